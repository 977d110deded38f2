/**
 * The first half of the OAuth2 authorization-code flow: a PKCE pair, a state value, and the
 * provider's authorization URL with the integration's client id, scopes and
 * `authorization_params`. `patchbay connect` opens that URL, receives `?code=&state=` on its
 * redirect URI, checks the state with `checkCallback`, and finishes with `exchangeCode` (oauth2.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PatchbayError, excerptOf } from '../../errors.ts';
import { oauthClient } from '../../providers/integration.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import { fillOAuthParams, fillOAuthUrl } from './templates.ts';

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** A fresh PKCE pair: 43 base64url characters of entropy, hashed with SHA-256. */
export function createPkce(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), method: 'S256' };
}

/** A random `state` value that ties the callback to this attempt. */
export function createState(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The URL to send the user to. Scopes come from integration.json's `oauth.scopes`, else the
 * provider's `default_scopes`, joined with `scope_separator` (default a space). PKCE is added
 * unless the provider sets `disable_pkce`. `${connectionConfig.<field>}` and `${clientId}` in the
 * URL and `authorization_params` are filled from `connectionConfig` and `oauth.client_id`
 * (INVALID_CONFIG naming the `--config` field when one is missing, or when a value does not have
 * its declared shape; `fullAccess` waives the suffix, pattern and enum rules).
 *
 * @example
 * const pkce = createPkce(); const state = createState();
 * const url = authorizationUrl(integration, { redirectUri: 'http://127.0.0.1:3003/callback', state, pkce, connectionConfig: { subdomain: 'acme' } });
 */
export function authorizationUrl(
  integration: IntegrationConfig,
  input: { redirectUri: string; state: string; pkce?: PkcePair; connectionConfig?: Record<string, unknown>; connectionId?: string; fullAccess?: boolean },
): URL {
  const provider = integration.provider;
  if (!provider.authorization_url) {
    throw new PatchbayError('INVALID_CONFIG', `Integration "${integration.id}" has no authorization_url; set it on the provider in integrations/${integration.id}/integration.json.`);
  }
  const { clientId } = oauthClient(integration);
  const connection = { connectionConfig: input.connectionConfig ?? {}, fullAccess: input.fullAccess === true, ...(input.connectionId ? { connectionId: input.connectionId } : {}) };
  const url = fillOAuthUrl(integration, 'authorization_url', provider.authorization_url, connection);
  const params = fillOAuthParams(integration, 'authorization_params', connection);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  const scopes = integration.oauth.scopes.length > 0 ? integration.oauth.scopes : (provider.default_scopes ?? []);
  if (scopes.length > 0) url.searchParams.set('scope', scopes.join(provider.scope_separator ?? ' '));
  if (input.pkce && !provider.disable_pkce) {
    url.searchParams.set('code_challenge', input.pkce.challenge);
    url.searchParams.set('code_challenge_method', input.pkce.method);
  }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}

/**
 * Reads the redirect back from the provider: returns the code, or throws OAUTH_FAILED when the
 * user denied access, the provider reported an error, or the state does not match.
 */
export function checkCallback(callback: URL | URLSearchParams, expectedState: string): string {
  const params = callback instanceof URL ? callback.searchParams : callback;
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description');
    const hint = error === 'access_denied' ? ' The authorisation was declined; run the connect command again to retry.' : '';
    // Anyone can call the callback: what it says is cut like any upstream excerpt.
    throw new PatchbayError('OAUTH_FAILED', `The provider returned ${excerptOf(error, { max: 100 })}${description ? ` (${excerptOf(description)})` : ''}.${hint}`);
  }
  const state = Buffer.from(params.get('state') ?? '');
  const expected = Buffer.from(expectedState);
  if (state.length !== expected.length || !timingSafeEqual(state, expected)) {
    throw new PatchbayError('OAUTH_FAILED', 'The OAuth callback carries a state that does not match this attempt; start the connect command again.');
  }
  const code = params.get('code');
  if (!code) throw new PatchbayError('OAUTH_FAILED', 'The OAuth callback has no code; start the connect command again.');
  return code;
}
