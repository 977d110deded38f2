/**
 * The credential manager: hands the HTTP client a `CredentialSource` per connection that is
 * always usable. OAuth2 tokens are refreshed ahead of expiry (the provider's
 * `token_expiration_buffer`, default 300 s) and on demand after a 401; OAUTH2_CC tokens are
 * acquired with the integration's client id/secret and reused until they expire.
 *
 * Refreshes are single-flight: in-process through a shared promise per connection, across
 * processes through `locks.tryAcquire('refresh:<integration>:<connection>')` — a process that
 * loses the race polls until the holder has written new credentials (credentials_version moved)
 * and uses those. Because refresh tokens rotate, the new ones are persisted (compare-and-set on
 * the version) BEFORE the new access token is handed out. A refused refresh marks the connection
 * (`markRefreshFailed`) and throws NEEDS_REAUTH telling the user to run `patchbay connect`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Credentials, OAuth2Credentials } from '../define/context.ts';
import type { ConnectionService, LoadedConnection } from './types.ts';
import { PatchbayError } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { LockStore } from '../store/types.ts';
import type { CredentialSource } from '../upstream/client.ts';
import type { Transport } from '../upstream/transport.ts';
import { clientCredentialsToken, refreshAccessToken } from './oauth/oauth2.ts';

/** The stores a manager reads and writes, and its timing knobs. */
export interface CredentialManagerOptions {
  connections: ConnectionService;
  locks: LockStore;
  /** Transport for token requests (default: fetch). */
  http?: Transport;
  /** How long a refresh lock is held at most (default 60 s: longer than the 30 s token request timeout). */
  lockTtlMs?: number;
  /** How often a waiting process re-reads the connection (default 100 ms). */
  pollMs?: number;
  /**
   * How long a read connection is reused before the store is read again (default 1000 ms; 0
   * disables). Staleness is safe: a token another process rotated meanwhile gets a 401, and the
   * refresh path re-reads the store and picks up the newer version.
   */
  cacheMs?: number;
}

/** Makes credential sources; one per process so refreshes are shared. */
export interface CredentialManager {
  /** The credential source of one connection, for `RequestContext.credentials`. */
  forConnection(integration: IntegrationConfig, connectionId: string): CredentialSource;
}

/** The credential source of a loaded connection: what the runtime asks for per execution. */
export type CredentialsFactory = (integration: IntegrationConfig, connection: LoadedConnection) => CredentialSource;

type Reason = 'expired' | 'unauthorized';

const DEFAULT_BUFFER_S = 300;

function isOAuth(credentials: Credentials): credentials is OAuth2Credentials {
  return credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC';
}

/** Whether an OAuth token must be renewed now (missing, expired, or within the buffer). */
export function needsRefresh(credentials: OAuth2Credentials, bufferSeconds: number, now = Date.now()): boolean {
  if (!credentials.access_token) return true;
  if (!credentials.expires_at) return false;
  return Date.parse(credentials.expires_at) - bufferSeconds * 1000 <= now;
}

function reauthMessage(integration: IntegrationConfig, connectionId: string, why: string): string {
  return `connection ${connectionId} of ${integration.id} needs re-authorisation: run \`patchbay connect ${integration.id} ${connectionId}\` (${why})`;
}

/**
 * Builds the manager. One per process; it is what makes refreshes single-flight.
 *
 * @example
 * const credentials = createCredentialManager({ connections, locks: store.locks });
 * await http.request({ integration, credentials: credentials.forConnection(integration, 'alice'), connectionConfig, signal }, { endpoint: '/me' });
 */
export function createCredentialManager(options: CredentialManagerOptions): CredentialManager {
  const { connections, locks } = options;
  const owner = `${process.pid}:${randomUUID()}`;
  const lockTtlMs = options.lockTtlMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const inflight = new Map<string, Promise<LoadedConnection>>();
  const cacheMs = options.cacheMs ?? 1000;
  const cache = new Map<string, { connection: LoadedConnection; at: number }>();
  const remember = (connection: LoadedConnection): LoadedConnection => {
    if (cacheMs > 0) cache.set(`${connection.integration_id}\u0000${connection.connection_id}`, { connection, at: Date.now() });
    return connection;
  };
  async function read(integrationId: string, connectionId: string): Promise<LoadedConnection> {
    const hit = cache.get(`${integrationId}\u0000${connectionId}`);
    if (hit && Date.now() - hit.at < cacheMs) return hit.connection;
    return remember(await connections.get(integrationId, connectionId));
  }
  const tokenOptions = options.http ? { transport: options.http } : {};

  /** Fresh credentials from the token endpoint, persisted before they are returned. */
  async function renew(integration: IntegrationConfig, current: LoadedConnection): Promise<LoadedConnection> {
    const previous = current.credentials;
    let next: OAuth2Credentials;
    try {
      // The stored connection config fills `${connectionConfig.subdomain}` & co. in token_url. It
      // was checked against the provider's declared shape when stored, under the rights of whoever
      // stored it (a full-access key may have chosen a host outside the provider's suffixes), so
      // only the syntax rules are checked again here, before the client secret is sent.
      const options = { ...tokenOptions, connectionConfig: current.connection_config, connectionId: current.connection_id, fullAccess: true };
      if (previous.type === 'OAUTH2_CC') next = await clientCredentialsToken(integration, options);
      else if (previous.type === 'OAUTH2') next = await refreshAccessToken(integration, previous, options);
      else return current;
    } catch (error) {
      // A provider or connection config problem: the tokens are fine, the fix is in the config.
      if (error instanceof PatchbayError && error.code === 'INVALID_CONFIG') throw error;
      const err = error instanceof PatchbayError ? error : new PatchbayError('AUTH_REFRESH_FAILED', String(error), { cause: error });
      await connections.markRefreshFailed(integration.id, current.connection_id, err.message).catch(() => undefined);
      const transient = (err.details as { transient?: boolean } | undefined)?.transient === true;
      if (transient) {
        throw new PatchbayError('AUTH_REFRESH_FAILED', `Refreshing the token of connection ${current.connection_id} of ${integration.id} failed: ${err.message}`, {
          cause: err,
          ...(err.status !== undefined ? { status: err.status } : {}),
        });
      }
      throw new PatchbayError('NEEDS_REAUTH', reauthMessage(integration, current.connection_id, err.message), {
        cause: err,
        ...(err.status !== undefined ? { status: err.status } : {}),
      });
    }
    // Persist first: the old refresh token is already revoked by a rotating provider. If someone
    // wrote in between (it should not happen under the lock), theirs is the stored truth.
    await connections.saveCredentials(integration.id, current.connection_id, next, { expectVersion: current.credentials_version });
    return remember(await connections.get(integration.id, current.connection_id));
  }

  /** Refresh under the cross-process lock; `seenVersion` is the version the caller found stale. */
  async function refreshLocked(integration: IntegrationConfig, connectionId: string, seenVersion: number, reason: Reason): Promise<LoadedConnection> {
    const key = `refresh:${integration.id}:${connectionId}`;
    const buffer = integration.provider.token_expiration_buffer ?? DEFAULT_BUFFER_S;
    const givesUpAt = Date.now() + lockTtlMs * 2;
    for (;;) {
      if (await locks.tryAcquire(key, owner, lockTtlMs)) {
        try {
          const current = await connections.get(integration.id, connectionId);
          const moved = current.credentials_version > seenVersion && isOAuth(current.credentials);
          if (moved && (reason === 'unauthorized' || !needsRefresh(current.credentials as OAuth2Credentials, buffer))) return remember(current);
          return await renew(integration, current);
        } finally {
          await locks.release(key, owner).catch(() => false);
        }
      }
      // Another process is refreshing: wait for its write, then use it.
      await sleep(pollMs);
      const current = await connections.get(integration.id, connectionId);
      if (current.credentials_version > seenVersion) return remember(current);
      if (Date.now() > givesUpAt) {
        throw new PatchbayError('LOCKED', `Another process holds the token refresh of connection ${connectionId} of ${integration.id} and has not finished; retry in a moment.`);
      }
    }
  }

  /** In-process single flight: concurrent callers share one refresh. */
  function refreshShared(integration: IntegrationConfig, connectionId: string, seenVersion: number, reason: Reason): Promise<LoadedConnection> {
    const key = `${integration.id}\u0000${connectionId}`;
    let pending = inflight.get(key);
    if (!pending) {
      pending = refreshLocked(integration, connectionId, seenVersion, reason).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  }

  return {
    forConnection(integration, connectionId) {
      const buffer = integration.provider.token_expiration_buffer ?? DEFAULT_BUFFER_S;
      let lastVersion = -1;
      return {
        async get() {
          const connection = await read(integration.id, connectionId);
          lastVersion = connection.credentials_version;
          const credentials = connection.credentials;
          if (!isOAuth(credentials) || !needsRefresh(credentials, buffer)) return credentials;
          if (credentials.type === 'OAUTH2' && !credentials.refresh_token) {
            if (credentials.access_token && Date.parse(credentials.expires_at ?? '') > Date.now()) return credentials; // inside the buffer, still valid
            throw new PatchbayError('NEEDS_REAUTH', reauthMessage(integration, connectionId, 'the access token expired and there is no refresh token'));
          }
          const fresh = await refreshShared(integration, connectionId, connection.credentials_version, 'expired');
          lastVersion = fresh.credentials_version;
          return fresh.credentials;
        },
        async refresh(reason) {
          if (lastVersion < 0) lastVersion = (await read(integration.id, connectionId)).credentials_version;
          const fresh = await refreshShared(integration, connectionId, lastVersion, reason);
          lastVersion = fresh.credentials_version;
          return fresh.credentials;
        },
      };
    },
  };
}
