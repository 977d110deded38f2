/**
 * The OAuth 2.0 authorization-code flow with PKCE (S256), shared by `patchbay connect` (a callback
 * server on 127.0.0.1) and the HTTP routes a backend uses to connect its own users.
 *
 * start:  checks the integration is OAUTH2, the connection id free and the connection config of
 *         the shape the provider declares (a scoped caller may not point `hostname` outside
 *         workday.com: the token request carries the client secret), keeps { verifier, ids,
 *         connection config, fullAccess } in store.kv under the `state` for 10 minutes, returns
 *         the provider's authorization URL (`${connectionConfig.subdomain}` & co. filled).
 * finish: takes the callback URL, consumes the state (single use), exchanges the code at the
 *         token_url filled with the remembered connection config (checked again, with the same
 *         rights), then stores the connection in one insert (post-connection-creation runs
 *         through the service).
 *
 * Nothing is half-stored: tokens exist only in memory until the single insert. A crash between the
 * exchange and the insert leaves no row and no usable state; starting again works.
 */
import { PatchbayError } from '../../errors.ts';
import { assertConnectionConfig } from '../../providers/index.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import { authorizationUrl, checkCallback, createPkce, createState } from './authorize.ts';
import { exchangeCode, type TokenRequestOptions } from './oauth2.ts';
import type { OAuth2Credentials } from '../../define/context.ts';
import type { KeyValueStore } from '../../store/types.ts';
import type { ConnectionService, ConnectionSummary } from '../types.ts';

/** How long a started flow waits for its callback. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

const stateKey = (state: string): string => `oauth-state:${state}`;

interface PendingFlow {
  integrationId: string;
  connectionId: string;
  verifier: string;
  redirectUri: string;
  metadata?: Record<string, unknown>;
  connectionConfig?: Record<string, unknown>;
  fullAccess?: boolean;
}

export interface OAuthFlowDeps {
  kv: KeyValueStore;
  connections: ConnectionService;
  integrations: (integrationId: string) => Promise<IntegrationConfig>;
  /** Token requests' transport and signal (tests, record/replay). */
  tokenOptions?: TokenRequestOptions;
  /** Called with the tokens before they are stored; tests throw here to simulate a crash. */
  onTokens?: (credentials: OAuth2Credentials) => void | Promise<void>;
}

export interface StartInput {
  integrationId: string;
  connectionId: string;
  /** Where the provider sends the user back, e.g. http://127.0.0.1:3003/oauth/callback */
  redirectUri: string;
  metadata?: Record<string, unknown>;
  connectionConfig?: Record<string, unknown>;
  /**
   * The caller holds a full-access key, or is the local CLI operator: a connection config value
   * outside the provider's declared suffixes, pattern or enum is accepted (syntax still checked).
   * Default false.
   */
  fullAccess?: boolean;
}

/**
 * Starts a flow and returns the URL to send the user to.
 *
 * @example
 * const { url } = await startOAuthFlow(deps, { integrationId: 'github', connectionId: 'alice', redirectUri });
 */
export async function startOAuthFlow(deps: OAuthFlowDeps, input: StartInput): Promise<{ url: string; state: string; expiresAt: string }> {
  const integration = await deps.integrations(input.integrationId);
  if (integration.provider.auth_mode !== 'OAUTH2') {
    throw new PatchbayError(
      'INVALID_ARGUMENT',
      `Integration "${input.integrationId}" uses ${integration.provider.auth_mode} auth, not OAuth2: add its credentials with patchbay connection add ${input.integrationId} ${input.connectionId} (see --help).`,
    );
  }
  if (await deps.connections.find(input.integrationId, input.connectionId)) {
    throw new PatchbayError(
      'CONNECTION_EXISTS',
      `A connection "${input.connectionId}" already exists for integration "${input.integrationId}". Pick another id, or remove it first: patchbay connection remove ${input.integrationId} ${input.connectionId}`,
    );
  }
  const fullAccess = input.fullAccess === true;
  // Before anything else: a value outside the provider's declared shape is the caller's mistake (400).
  assertConnectionConfig(integration, input.connectionConfig, { fullAccess });
  const pkce = createPkce();
  const state = createState();
  // Filled with the connection config now, so a missing field fails before the user is sent anywhere.
  const url = authorizationUrl(integration, { redirectUri: input.redirectUri, state, pkce, connectionConfig: input.connectionConfig ?? {}, connectionId: input.connectionId, fullAccess });
  const pending: PendingFlow = { integrationId: input.integrationId, connectionId: input.connectionId, verifier: pkce.verifier, redirectUri: input.redirectUri };
  if (input.metadata) pending.metadata = input.metadata;
  if (input.connectionConfig) pending.connectionConfig = input.connectionConfig;
  if (fullAccess) pending.fullAccess = true;
  await deps.kv.set(stateKey(state), pending, OAUTH_STATE_TTL_MS);
  return { url: url.toString(), state, expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS).toISOString() };
}

/**
 * Finishes a flow from the provider's redirect (`?code=&state=` or `?error=`). Fails with
 * OAUTH_FAILED for an unknown/expired/reused state, a denied consent or a token endpoint error.
 *
 * @example
 * const summary = await finishOAuthFlow(deps, new URL(req.url!, 'http://127.0.0.1'));
 */
export async function finishOAuthFlow(deps: OAuthFlowDeps, callback: URL): Promise<ConnectionSummary> {
  const state = callback.searchParams.get('state') ?? '';
  const pending = state === '' ? undefined : await deps.kv.get<PendingFlow>(stateKey(state));
  if (!pending) {
    throw new PatchbayError('OAUTH_FAILED', 'This OAuth callback does not belong to a connect attempt in progress (unknown, used or expired state). Start again: patchbay connect <integration> <connection-id>');
  }
  // Single use: a replayed callback cannot store a second time.
  await deps.kv.delete(stateKey(state));
  const code = checkCallback(callback.searchParams, state);
  const integration = await deps.integrations(pending.integrationId);
  const credentials = await exchangeCode(
    integration,
    { code, redirectUri: pending.redirectUri, codeVerifier: pending.verifier },
    // The same rights as at start: the token URL is checked with them before it gets the client secret.
    { ...deps.tokenOptions, connectionConfig: pending.connectionConfig ?? {}, connectionId: pending.connectionId, fullAccess: pending.fullAccess === true },
  );
  await deps.onTokens?.(credentials);
  return deps.connections.add({
    integrationId: pending.integrationId,
    connectionId: pending.connectionId,
    credentials,
    ...(pending.metadata ? { metadata: pending.metadata } : {}),
    ...(pending.connectionConfig ? { connectionConfig: pending.connectionConfig } : {}),
    fullAccess: pending.fullAccess === true,
  });
}
