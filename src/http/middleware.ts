/**
 * The checks every request passes before a route sees it, as Hono middleware:
 *
 * - `guard`: Host (DNS rebinding), Origin, declared size and MCP-Protocol-Version (security.ts's
 *   pure rules), then CORS headers for allowed browser origins and the preflight answer.
 * - `requireKey`: the API key → the caller's scope in `c.var.scope` (401 otherwise).
 * - `limitBody`: bodies past the limit are refused while streaming (413), whatever the headers say.
 *
 * Failures are thrown as PatchbayErrors; the app's one error handler turns them into answers
 * (JSON-RPC shaped on `/mcp`).
 *
 * @example
 * app.use('*', guard(policy));
 * app.post('/mcp', requireKey(verifyKey), limitBody(policy.maxBodyBytes), handler);
 */
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiScope } from '../access/scope.ts';
import { PatchbayError } from '../errors.ts';
import { authenticate, unauthorized, type KeyVerifier } from './auth.ts';
import { bodyTooLarge } from './respond.ts';
import { checkRequest, type SecurityPolicy } from './security.ts';

/** What the app's handlers find on the context. */
export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    /** The caller's scope, set by `requireKey` (full scope on public routes and `--no-auth`). */
    scope: ApiScope;
  };
}

const CORS_ALLOW_HEADERS = 'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id, connection-id, provider-config-key';

/** Host, Origin, size and protocol-version checks, then CORS; answers preflights itself. */
export function guard(policy: SecurityPolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const headers = c.req.header();
    const path = c.req.path;
    // MCP-Protocol-Version means something on /mcp only; elsewhere it is ignored. Uploads through
    // /proxy stream to the provider under the proxy's own cap (routes/proxy.ts), not the body limit.
    const checked = { ...headers };
    if (path !== '/mcp') checked['mcp-protocol-version'] = undefined as unknown as string;
    if (path === '/proxy' || path.startsWith('/proxy/')) checked['content-length'] = undefined as unknown as string;
    const verdict = checkRequest(checked, policy);
    if (!verdict.ok) throw new PatchbayError(verdict.code, verdict.message);
    const origin = headers['origin'];
    if (origin) {
      c.header('access-control-allow-origin', origin);
      c.header('vary', 'Origin');
      c.header('access-control-allow-headers', CORS_ALLOW_HEADERS);
      c.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      c.header('access-control-expose-headers', 'mcp-session-id, www-authenticate');
    }
    if (c.req.method === 'OPTIONS') return c.body(null, 204);
    await next();
  };
}

/** The API key check; `verify` undefined is `--no-auth` (every caller has the full scope). */
export function requireKey(verify: KeyVerifier | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const headers = c.req.header();
    const scope = await authenticate(headers, verify);
    if (!scope) throw unauthorized(headers);
    c.set('scope', scope);
    await next();
  };
}

/** Refuses bodies past `maxBytes`, by the declared length or while streaming. */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw bodyTooLarge(maxBytes);
    },
  });
}
