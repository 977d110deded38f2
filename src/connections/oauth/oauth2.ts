/**
 * OAuth2 token requests: the authorization-code exchange (with a PKCE verifier), refresh_token and
 * client_credentials grants, honouring the provider's `token_request_auth_method`, `token_params`
 * and `refresh_params`. Each returns stored-shape `OAuth2Credentials` with `expires_at` computed.
 * A token endpoint that answers an error or garbage becomes OAUTH_FAILED (exchange, client
 * credentials) or AUTH_REFRESH_FAILED (refresh) with a message naming the endpoint and the reason;
 * `details.transient` tells a provider outage (5xx, network) from a definitive refusal.
 */
import type { OAuth2Credentials } from '../../define/context.ts';
import { PatchbayError, excerptOf, type ErrorCode } from '../../errors.ts';
import { oauthClient } from '../../providers/integration.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import { addHeaderSecrets, addSecretValue, emptySecrets } from '../../upstream/redact.ts';
import { fetchTransport, type Transport } from '../../upstream/transport.ts';
import { fillOAuthParams, fillOAuthUrl, type OAuthConnection } from './templates.ts';

/**
 * How token requests are sent (the transport seam; tests and replays plug in here), and for which
 * connection: its `connectionConfig` fills `${connectionConfig.<field>}` in token_url / refresh_url
 * and the params (Zendesk, Okta, Auth0, Microsoft app-only…), after the fields used there passed
 * the provider's declared shape (with `fullAccess`'s rights; templates.ts), since the request
 * carries the client secret.
 */
export interface TokenRequestOptions extends OAuthConnection {
  transport?: Transport;
  signal?: AbortSignal;
  /** Epoch ms "now" for expires_at (tests pin it). */
  now?: number;
}

type Grant = 'authorization_code' | 'refresh_token' | 'client_credentials';

function providerLabel(integration: IntegrationConfig): string {
  return integration.provider.display_name ?? integration.provider.name ?? integration.id;
}

function fail(code: ErrorCode, message: string, transient: boolean, extra: { status?: number; excerpt?: string; cause?: unknown } = {}): PatchbayError {
  return new PatchbayError(code, message, { ...extra, details: { transient } });
}

/** Parses a token endpoint body: JSON, or form-encoded (GitHub without `Accept: application/json`). */
function parseTokenBody(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded') || /^[\w.-]+=[^<\s]*(&[\w.-]+=[^<\s]*)*$/.test(trimmed)) {
    const params = Object.fromEntries(new URLSearchParams(trimmed));
    return Object.keys(params).length > 0 ? params : undefined;
  }
  return undefined;
}

/** Turns a token response into credentials; `previous` keeps a refresh token the provider did not resend. */
export function toCredentials(
  raw: Record<string, unknown>,
  type: OAuth2Credentials['type'],
  now: number,
  previous?: OAuth2Credentials,
): OAuth2Credentials {
  const credentials: OAuth2Credentials = { type, access_token: String(raw['access_token']), raw };
  const refresh = raw['refresh_token'] ?? previous?.refresh_token;
  if (typeof refresh === 'string' && refresh) credentials.refresh_token = refresh;
  const expiresIn = Number(raw['expires_in']);
  if (Number.isFinite(expiresIn) && expiresIn > 0) credentials.expires_at = new Date(now + expiresIn * 1000).toISOString();
  else if (typeof raw['expires_at'] === 'string' && !Number.isNaN(Date.parse(raw['expires_at']))) credentials.expires_at = new Date(raw['expires_at']).toISOString();
  return credentials;
}

async function tokenRequest(integration: IntegrationConfig, grant: Grant, params: Record<string, string>, options: TokenRequestOptions): Promise<Record<string, unknown>> {
  const provider = integration.provider;
  const code: ErrorCode = grant === 'refresh_token' ? 'AUTH_REFRESH_FAILED' : 'OAUTH_FAILED';
  const template = grant === 'refresh_token' ? (provider.refresh_url ?? provider.token_url) : provider.token_url;
  const label = providerLabel(integration);
  if (!template) {
    throw fail('INVALID_CONFIG', `Integration "${integration.id}" has no token_url; set it on the provider in integrations/${integration.id}/integration.json.`, false);
  }
  const url = fillOAuthUrl(integration, grant === 'refresh_token' && provider.refresh_url ? 'refresh_url' : 'token_url', template, options);
  const endpoint = url.toString();
  // An unset ${ENV} of the OAuth app fails here, at the token request, with what to set.
  const { clientId, clientSecret } = oauthClient(integration, { secret: true });
  const secrets = emptySecrets();
  for (const value of [clientSecret, params['refresh_token'], params['code'], params['code_verifier']]) addSecretValue(secrets, value);

  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = new URLSearchParams({ grant_type: grant, ...params });
  if (provider.token_request_auth_method === 'basic') {
    const pair = `${encodeURIComponent(clientId ?? '')}:${encodeURIComponent(clientSecret ?? '')}`;
    headers['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
    addHeaderSecrets(secrets, headers);
  } else {
    if (clientId) body.set('client_id', clientId);
    if (clientSecret) body.set('client_secret', clientSecret);
  }

  const transport = options.transport ?? fetchTransport;
  let response;
  try {
    response = await transport({
      method: 'POST',
      url,
      headers,
      body: body.toString(),
      signal: options.signal ?? AbortSignal.timeout(30_000),
      config: { endpoint, method: 'POST' },
    });
  } catch (cause) {
    const reason = excerptOf(cause instanceof Error ? cause.message : String(cause), { max: 500, secrets });
    throw fail(code, `Could not reach the token endpoint of ${label} (${endpoint}): ${reason}. Check the network and token_url, then retry.`, true, { cause });
  }
  const text = Buffer.from(response.body).toString('utf8');
  const parsed = parseTokenBody(text, response.headers['content-type']);
  // Redacted whole, then cut; so is what the provider says about the error (it may echo the request).
  const excerpt = excerptOf(text, { max: 200, secrets });
  if (response.status >= 500) {
    throw fail(code, `The token endpoint of ${label} failed with ${response.status}; try again later.`, true, { status: response.status, excerpt });
  }
  if (parsed && typeof parsed['error'] === 'string') {
    const description = typeof parsed['error_description'] === 'string' ? ` (${excerptOf(parsed['error_description'], { max: 300, secrets })})` : '';
    throw fail(code, `The token endpoint of ${label} refused the ${grant} grant: ${excerptOf(parsed['error'], { max: 100, secrets })}${description}.`, false, { status: response.status, excerpt });
  }
  if (response.status >= 400) {
    throw fail(code, `The token endpoint of ${label} answered ${response.status} to the ${grant} grant${excerpt ? `: ${excerpt}` : ''}.`, false, { status: response.status, excerpt });
  }
  if (!parsed || typeof parsed['access_token'] !== 'string' || parsed['access_token'] === '') {
    throw fail(code, `The token endpoint of ${label} answered ${response.status} without an access_token (got: ${excerpt || 'an empty body'}). Check token_url.`, false, {
      status: response.status,
      excerpt,
    });
  }
  return parsed;
}

/**
 * Exchanges an authorization code (with its PKCE verifier) for tokens — the end of `patchbay connect`.
 *
 * @example
 * const credentials = await exchangeCode(integration, { code, redirectUri: 'http://127.0.0.1:3003/callback', codeVerifier }, { connectionConfig });
 */
export async function exchangeCode(
  integration: IntegrationConfig,
  input: { code: string; redirectUri: string; codeVerifier?: string },
  options: TokenRequestOptions = {},
): Promise<OAuth2Credentials> {
  const params: Record<string, string> = { ...fillOAuthParams(integration, 'token_params', options), code: input.code, redirect_uri: input.redirectUri };
  if (input.codeVerifier) params['code_verifier'] = input.codeVerifier;
  const raw = await tokenRequest(integration, 'authorization_code', params, options);
  return toCredentials(raw, 'OAUTH2', options.now ?? Date.now());
}

/** Trades a refresh token for new tokens; keeps the old refresh token when the provider sends none. Pass the stored `connectionConfig` in options. */
export async function refreshAccessToken(integration: IntegrationConfig, previous: OAuth2Credentials, options: TokenRequestOptions = {}): Promise<OAuth2Credentials> {
  if (!previous.refresh_token) {
    throw fail('NEEDS_REAUTH', `The access token of ${providerLabel(integration)} expired and there is no refresh token to renew it.`, false);
  }
  const params: Record<string, string> = { ...fillOAuthParams(integration, 'refresh_params', options), refresh_token: previous.refresh_token };
  const raw = await tokenRequest(integration, 'refresh_token', params, options);
  return toCredentials(raw, 'OAUTH2', options.now ?? Date.now(), previous);
}

/** Acquires an app token with the integration's client id and secret (OAUTH2_CC); `options.connectionConfig` fills e.g. Microsoft's tenant. */
export async function clientCredentialsToken(integration: IntegrationConfig, options: TokenRequestOptions = {}): Promise<OAuth2Credentials> {
  const appOptions: TokenRequestOptions = { command: 'connection add', ...options };
  const params: Record<string, string> = { ...fillOAuthParams(integration, 'token_params', appOptions) };
  if (integration.oauth.scopes.length > 0) params['scope'] = integration.oauth.scopes.join(integration.provider.scope_separator ?? ' ');
  const raw = await tokenRequest(integration, 'client_credentials', params, appOptions);
  return toCredentials(raw, 'OAUTH2_CC', options.now ?? Date.now());
}
