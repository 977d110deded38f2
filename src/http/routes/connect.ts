/**
 * The OAuth connect flow over HTTP, for a backend that connects its own users:
 *
 *   GET /connect/<integration>?connection_id=<id>[&connection_config[<field>]=<value>…]
 *                                                   → 200 { url, state, expires_at } (send the user to url)
 *   GET /oauth/callback?code=…&state=…              → an HTML page saying connected, or what went wrong
 *
 * http/app.ts mounts both. `/connect` needs the caller's API key (and a scope that covers the
 * connection); `/oauth/callback` is public (the browser arrives from the provider), guarded by
 * the single-use `state`.
 */
import type { Context } from 'hono';
import { connectionAllowed, isFullScope } from '../../access/scope.ts';
import { finishOAuthFlow, startOAuthFlow, type OAuthFlowDeps } from '../../connections/oauth/flow.ts';
import { PatchbayError, boundedErrorJSON, toPatchbayError } from '../../errors.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../../observability/truncate.ts';
import type { AppEnv } from '../middleware.ts';
import { statusForCode } from '../respond.ts';

export interface ConnectRoutesDeps extends OAuthFlowDeps {
  /**
   * This server's public origin, e.g. https://patchbay.example.com; the redirect URI is
   * `<publicUrl>/oauth/callback`. Default: `http://localhost:<the port the request came in on>`.
   */
  publicUrl?: string;
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
 * `GET /connect/<integration>`, behind the API-key middleware: a key scoped to some connections
 * may only start flows for those (403 otherwise), and only with connection config of the shape
 * the provider declares (400 INVALID_ARGUMENT otherwise: `connection_config[hostname]` outside
 * workday.com would receive the client secret). A full-access key may set a host outside the
 * declared suffixes; the syntax rules hold for every key.
 *
 * @example
 * app.get('/connect/:integration', requireKey(verify), startConnect(deps));
 */
export function startConnect(deps: ConnectRoutesDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const url = new URL(c.req.url);
    const integrationId = c.req.param('integration') ?? '';
    const connectionId = url.searchParams.get('connection_id');
    if (connectionId !== null && !connectionAllowed(c.get('scope'), integrationId, connectionId)) {
      throw new PatchbayError('FORBIDDEN', 'This API key may not connect this integration or connection id; use a key scoped to it (patchbay key create --connections …).');
    }
    if (!connectionId) throw new PatchbayError('INVALID_ARGUMENT', 'Pass ?connection_id=<your id for this user>, e.g. /connect/github?connection_id=alice');
    const connectionConfig = connectionConfigFromQuery(url.searchParams);
    const started = await startOAuthFlow(deps, {
      integrationId,
      connectionId,
      redirectUri: callbackUrl(deps.publicUrl ?? localOrigin(c)),
      ...(connectionConfig ? { connectionConfig } : {}),
      fullAccess: isFullScope(c.get('scope')),
    });
    return c.json({ url: started.url, state: started.state, expires_at: started.expiresAt });
  };
}

/**
 * `GET /oauth/callback`, public: the browser arrives from the provider; the single-use `state`
 * guards it. Answers a small HTML page either way.
 */
export function oauthCallback(deps: ConnectRoutesDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    try {
      const summary = await finishOAuthFlow(deps, new URL(c.req.url));
      return c.html(callbackPage(true, `"${summary.connection_id}" is connected to ${summary.integration_id}.`));
    } catch (error) {
      const err = toPatchbayError(error, 'OAUTH_FAILED');
      const transient = (err.details as { transient?: boolean } | undefined)?.transient === true;
      return c.html(callbackPage(false, boundedErrorJSON(err, DEFAULT_MAX_RESULT_BYTES).message), transient ? 502 : statusForCode(err.code) === 409 ? 409 : 400);
    }
  };
}

/**
 * This server as a local OAuth app registers it: `http://localhost:<port>`, from the socket's
 * own port (never from the Host header, which the client chooses).
 */
function localOrigin(c: Context<AppEnv>): string {
  const port = c.env?.incoming?.socket.localPort ?? new URL(c.req.url).port;
  return `http://localhost:${port}`;
}
