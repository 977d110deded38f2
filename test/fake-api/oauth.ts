/**
 * The fake API's OAuth2 server: `GET /oauth/authorize` (redirects back with a code, or with
 * error=access_denied when `state.oauth.deny`) and `POST /oauth/token` (authorization_code with
 * PKCE verification, refresh_token with rotation, client_credentials). Every token request is
 * counted in `state.tokenRequests` / `state.tokenCounts`; `state.oauth` makes it fail (or echo a
 * request field back, as a careless provider's error does). Both also
 * answer under `/tenants/<tenant>/…`, like a provider with a tenant in its OAuth URLs (Microsoft,
 * Workday); the recorded request path shows which tenant was used.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, text, type Route, type RouteContext } from './http.ts';
import type { TokenRequest } from './state.ts';

/** The OAuth path without a `/tenants/<tenant>` prefix. */
function oauthPath(url: URL): string {
  return url.pathname.replace(/^\/tenants\/[\w.-]+(?=\/oauth\/)/, '');
}

export const authorize: Route = (ctx) => {
  if (ctx.req.method !== 'GET' || oauthPath(ctx.url) !== '/oauth/authorize') return false;
  const q = ctx.url.searchParams;
  const redirectUri = q.get('redirect_uri');
  if (!redirectUri) {
    json(ctx.res, 400, { error: 'invalid_request', error_description: 'redirect_uri is required' });
    return true;
  }
  const target = new URL(redirectUri);
  if (q.get('state') !== null) target.searchParams.set('state', q.get('state') ?? '');
  if (ctx.state.oauth.deny) {
    target.searchParams.set('error', 'access_denied');
    target.searchParams.set('error_description', 'The user denied access');
  } else if (q.get('client_id') !== ctx.state.options.clientId) {
    target.searchParams.set('error', 'invalid_client');
  } else {
    const code = `code-${randomBytes(8).toString('hex')}`;
    const entry: { redirectUri: string; challenge?: string; method?: string; scope?: string } = { redirectUri };
    if (q.get('code_challenge')) entry.challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method')) entry.method = q.get('code_challenge_method') ?? '';
    if (q.get('scope')) entry.scope = q.get('scope') ?? '';
    ctx.state.codes.set(code, entry);
    target.searchParams.set('code', code);
  }
  ctx.res.writeHead(302, { location: target.toString() });
  ctx.res.end();
  return true;
};

/** Reads client credentials from the basic header or the body. */
function clientAuth(ctx: RouteContext, params: Record<string, string>): { id?: string; secret?: string; method: TokenRequest['client_auth'] } {
  const header = ctx.req.headers.authorization;
  if (header?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)), method: 'basic' };
  }
  if (params['client_id'] !== undefined) {
    const out: { id?: string; secret?: string; method: TokenRequest['client_auth'] } = { id: params['client_id'], method: 'body' };
    if (params['client_secret'] !== undefined) out.secret = params['client_secret'];
    return out;
  }
  return { method: 'none' };
}

function pkceMatches(verifier: string | undefined, challenge: string, method: string | undefined): boolean {
  if (!verifier) return false;
  if (method === 'plain') return verifier === challenge;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

export const token: Route = async (ctx) => {
  if (ctx.req.method !== 'POST' || oauthPath(ctx.url) !== '/oauth/token') return false;
  const { state, res } = ctx;
  const params: Record<string, string> =
    typeof ctx.body === 'object' && ctx.body !== null ? Object.fromEntries(Object.entries(ctx.body).map(([k, v]) => [k, String(v)])) : {};
  const grant = params['grant_type'] ?? '';
  const client = clientAuth(ctx, params);
  state.tokenRequests.push({ grant_type: grant, client_auth: client.method, params });
  state.tokenCounts[grant] = (state.tokenCounts[grant] ?? 0) + 1;
  if (state.oauth.tokenDelayMs > 0) await sleep(state.oauth.tokenDelayMs);

  const fault = state.oauth.tokenFailure;
  if (fault === 'garbage') return text(res, 200, '<html>surprise, not JSON</html>'), true;
  if (fault === 'server') return json(res, 500, { error: 'server_error' }), true;
  if (fault === 'error') return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been revoked' }), true;
  if (fault === 'echo') {
    const { field, pad, status, type } = state.oauth.echo;
    const detail = `${'.'.repeat(pad)}${field}=${(field === 'authorization' ? ctx.req.headers.authorization : params[field]) ?? '(none)'}`;
    return (type === 'text' ? text(res, status, detail) : json(res, status, { error: 'invalid_request', error_description: detail })), true;
  }

  if (client.id !== state.options.clientId || (grant !== 'authorization_code' && client.secret !== state.options.clientSecret)) {
    return json(res, 401, { error: 'invalid_client', error_description: 'Unknown client or wrong secret' }), true;
  }
  if (grant === 'authorization_code') {
    const entry = state.codes.get(params['code'] ?? '');
    if (!entry) return json(res, 400, { error: 'invalid_grant', error_description: 'Unknown or used code' }), true;
    state.codes.delete(params['code'] ?? '');
    if (entry.redirectUri !== params['redirect_uri']) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' }), true;
    }
    if (entry.challenge !== undefined && !pkceMatches(params['code_verifier'], entry.challenge, entry.method)) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' }), true;
    }
    if (entry.challenge === undefined && client.secret !== state.options.clientSecret) {
      return json(res, 401, { error: 'invalid_client', error_description: 'Wrong secret' }), true;
    }
    const tokens = state.issueTokens();
    state.refreshTokens.add(tokens.refresh_token);
    return json(res, 200, { ...tokens, token_type: 'Bearer', scope: entry.scope ?? '' }), true;
  }
  if (grant === 'refresh_token') {
    const old = params['refresh_token'] ?? '';
    if (!state.refreshTokens.has(old)) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'Refresh token is invalid or was rotated' }), true;
    }
    const tokens = state.issueTokens();
    if (state.options.rotateRefreshTokens) {
      state.refreshTokens.delete(old);
      state.refreshTokens.add(tokens.refresh_token);
      return json(res, 200, { ...tokens, token_type: 'Bearer' }), true;
    }
    return json(res, 200, { access_token: tokens.access_token, expires_in: tokens.expires_in, token_type: 'Bearer' }), true;
  }
  if (grant === 'client_credentials') {
    const { access_token, expires_in } = state.issueTokens();
    return json(res, 200, { access_token, expires_in, token_type: 'Bearer' }), true;
  }
  json(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type "${grant}" is not supported` });
  return true;
};

/** Adds a refresh token the server will accept, for tests that seed a stored connection. */
export function seedTokens(state: RouteContext['state'], ttlSeconds?: number): { access_token: string; refresh_token: string; expires_in: number } {
  const tokens = state.issueTokens();
  if (ttlSeconds !== undefined) state.accessTokens.set(tokens.access_token, Date.now() + ttlSeconds * 1000);
  state.refreshTokens.add(tokens.refresh_token);
  return tokens;
}
