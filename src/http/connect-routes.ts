/**
 * The OAuth connect flow over HTTP, for a backend that connects its own users:
 *
 *   GET /connect/<integration>?connection_id=<id>[&connection_config[<field>]=<value>…]
 *                                                   → 200 { url, state, expires_at } (send the user to url)
 *   GET /oauth/callback?code=…&state=…              → an HTML page saying connected, or what went wrong
 *
 * The server (src/http/server.ts) mounts the returned handler before its router; it answers
 * false for any other path. `/connect` needs the caller's API key when `authenticate` is given;
 * `/oauth/callback` is public (the browser arrives from the provider), guarded by the single-use
 * `state`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finishOAuthFlow, startOAuthFlow, type OAuthFlowDeps } from '../connections/oauth/flow.ts';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import { sendError, sendJson, statusForCode } from './respond.ts';

export interface ConnectRoutesDeps extends OAuthFlowDeps {
  /** This server's public origin, e.g. https://patchbay.example.com; the redirect URI is `<publicUrl>/oauth/callback`. */
  publicUrl: string;
  /**
   * Checks the caller of /connect (API key); omitted = open (loopback `--no-auth`). `false` → 401
   * (no or unknown key), `'forbidden'` → 403 (a valid key not scoped to this connection).
   */
  authenticate?: (req: IncomingMessage) => Promise<boolean | 'forbidden'>;
}

/**
 * The connection config from `connection_config[<field>]=<value>` query parameters (Zendesk's
 * `connection_config[subdomain]=acme`): it fills the provider's `${connectionConfig.<field>}`
 * URLs and is stored with the connection. Undefined when there is none.
 */
export function connectionConfigFromQuery(params: URLSearchParams): Record<string, string> | undefined {
  const config: Record<string, string> = {};
  for (const [key, value] of params) {
    const match = /^connection_config\[([^\]]+)\]$/.exec(key);
    if (match) config[match[1]!] = value;
    else if (key.startsWith('connection_config')) {
      throw new PatchbayError('INVALID_ARGUMENT', `Pass connection config as connection_config[<field>]=<value>, e.g. connection_config[subdomain]=acme (got "${key}").`);
    }
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/** The redirect URI to register with the provider for this server. */
export function callbackUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/oauth/callback`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small page for the browser at the end of the flow. */
export function callbackPage(ok: boolean, message: string): string {
  const title = ok ? 'Connected' : 'Connection failed';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui;margin:3rem"><h1>${title}</h1><p>${escapeHtml(message)}</p>${ok ? '<p>You can close this tab.</p>' : ''}</body></html>`;
}

/**
 * Builds the handler.
 *
 * @example
 * const connect = createConnectRoutes({ kv: store.kv, connections, integrations, publicUrl: 'http://127.0.0.1:3003' });
 * if (await connect(req, res)) return;
 */
export function createConnectRoutes(deps: ConnectRoutesDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const redirectUri = callbackUrl(deps.publicUrl);
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const connectMatch = /^\/connect\/([^/]+)\/?$/.exec(url.pathname);
    if (url.pathname !== '/oauth/callback' && !connectMatch) return false;
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      sendJson(res, 405, { error: { code: 'INVALID_ARGUMENT', message: `Use GET for ${url.pathname}.` } });
      return true;
    }
    if (connectMatch) {
      try {
        const verdict = deps.authenticate ? await deps.authenticate(req) : true;
        if (verdict === 'forbidden') {
          sendJson(res, 403, { error: { code: 'FORBIDDEN', message: 'This API key may not connect this integration or connection id; use a key scoped to it (patchbay key create --connections …).' } });
          return true;
        }
        if (!verdict) {
          sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'Send an API key: Authorization: Bearer <key> (patchbay key create).' } }, { 'www-authenticate': 'Bearer' });
          return true;
        }
        const connectionId = url.searchParams.get('connection_id');
        if (!connectionId) throw new PatchbayError('INVALID_ARGUMENT', 'Pass ?connection_id=<your id for this user>, e.g. /connect/github?connection_id=alice');
        const connectionConfig = connectionConfigFromQuery(url.searchParams);
        const started = await startOAuthFlow(deps, {
          integrationId: decodeURIComponent(connectMatch[1]!),
          connectionId,
          redirectUri,
          ...(connectionConfig ? { connectionConfig } : {}),
        });
        sendJson(res, 200, { url: started.url, state: started.state, expires_at: started.expiresAt });
      } catch (error) {
        sendError(res, error);
      }
      return true;
    }
    try {
      const summary = await finishOAuthFlow(deps, url);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(callbackPage(true, `"${summary.connection_id}" is connected to ${summary.integration_id}.`));
    } catch (error) {
      const err = toPatchbayError(error, 'OAUTH_FAILED');
      const transient = (err.details as { transient?: boolean } | undefined)?.transient === true;
      res.writeHead(transient ? 502 : statusForCode(err.code) === 409 ? 409 : 400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(callbackPage(false, err.message));
    }
    return true;
  };
}
