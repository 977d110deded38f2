/**
 * The ConnectionService: the only code that reads or writes credentials. It validates their shape
 * against the integration's auth mode, seals them before they reach the store, unseals on read,
 * and runs the connection lifecycle hooks (post-connection-creation, pre-connection-deletion)
 * through an optional `onEvent` callback so the store layer never imports the runtime.
 */
import type { Credentials } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import { assertConnectionConfig } from '../providers/index.ts';
import { AUTH_MODES, type AuthMode, type IntegrationConfig } from '../providers/types.ts';
import type { ConnectionRow, Store } from '../store/types.ts';
import { seal, sealedKeyId, staticKeyRing, unseal, type KeyRing } from './crypto.ts';
import { maskCredentials, validateCredentials } from './credentials.ts';
import type { ConnectionService, ConnectionSummary, LoadedConnection } from './types.ts';

/** Lifecycle events a service reports; names as Nango's on-event functions. */
export type ConnectionEvent = 'post-connection-creation' | 'pre-connection-deletion';

export interface ConnectionServiceOptions {
  store: Store;
  /** The key ring (see `loadKeyRing`), or a raw 32-byte key. */
  key: KeyRing | Uint8Array;
  /**
   * Resolves an integration's configuration (auth mode, provider name). Throws
   * INTEGRATION_NOT_FOUND for an unknown id. Without it, any credential type is accepted and the
   * provider is the integration id.
   */
  integrations?: (integrationId: string) => IntegrationConfig | Promise<IntegrationConfig>;
  /** Runs on-event functions (the runtime wires it). A failure is reported to `onEventError`, never undoes the add/remove. */
  onEvent?: (event: ConnectionEvent, connection: LoadedConnection) => Promise<void>;
  onEventError?: (event: ConnectionEvent, error: unknown) => void;
  /**
   * Told when an event's functions are not run because the connection's credentials cannot be
   * opened (removing a connection sealed under a key patchbay does not have). The add/remove goes on.
   */
  onEventSkipped?: (event: ConnectionEvent, connection: { integration_id: string; connection_id: string }, reason: PatchbayError) => void;
}

const isKeyError = (error: unknown): error is PatchbayError => error instanceof PatchbayError && error.code === 'ENCRYPTION_KEY_ERROR';

/**
 * Builds the service over a store.
 *
 * @example
 * const connections = createConnectionService({ store, key: loadKeyRing({ keyFile, store }) });
 * await connections.add({ integrationId: 'github', connectionId: 'alice', credentials: { type: 'BEARER', token } });
 */
export function createConnectionService(options: ConnectionServiceOptions): ConnectionService & { readonly ring: KeyRing } {
  const { store } = options;
  const ring: KeyRing = options.key instanceof Uint8Array ? staticKeyRing(options.key) : options.key;

  // Sealed text is unique per write (random IV), so caching by it can never serve stale
  // credentials; it saves the AES-GCM decrypt on the hot path (every outgoing request reads them).
  const opened = new Map<string, string>();
  const open = (sealed: string): Credentials => {
    let plain = opened.get(sealed);
    if (plain === undefined) {
      plain = unseal(sealed, ring);
      if (opened.size >= 1000) opened.delete(opened.keys().next().value!);
      opened.set(sealed, plain);
    }
    return JSON.parse(plain) as Credentials;
  };

  /** Why `row`'s credentials do not open, naming the connection and the way out. */
  const unreadable = (row: ConnectionRow, cause: PatchbayError): PatchbayError => {
    const id = sealedKeyId(row.credentials);
    const remove = `remove the connection and add it again: patchbay connection remove ${row.integration_id} ${row.connection_id}`;
    const why =
      id !== undefined && !ring.find(id)
        ? `are sealed with encryption key ${id}, which patchbay does not have (it holds ${ring.ids().join(', ')}). Restore that key (the encryption.key file or PATCHBAY_ENCRYPTION_KEY in use when they were saved; an old one goes in PATCHBAY_ENCRYPTION_KEY_PREVIOUS), or ${remove}`
        : id === undefined
          ? `are not in the sealed format patchbay writes (the database was edited or is damaged). ${remove[0]!.toUpperCase()}${remove.slice(1)}`
          : `failed their integrity check under key ${id} (altered in the database, or the key file was replaced by another with the same id). ${remove[0]!.toUpperCase()}${remove.slice(1)}`;
    return new PatchbayError('ENCRYPTION_KEY_ERROR', `The credentials of connection "${row.connection_id}" (${row.integration_id}) ${why}.`, { cause });
  };

  const credentialsOf = (row: ConnectionRow): Credentials => {
    try {
      return open(row.credentials);
    } catch (error) {
      throw isKeyError(error) ? unreadable(row, error) : error;
    }
  };

  const load = (row: ConnectionRow): LoadedConnection => ({
    connection_id: row.connection_id,
    provider_config_key: row.integration_id,
    integration_id: row.integration_id,
    provider: row.provider,
    credentials: credentialsOf(row),
    connection_config: row.connection_config,
    metadata: row.metadata,
    created_at: row.created_at,
    updated_at: row.updated_at,
    credentials_version: row.credentials_version,
    refresh_status: row.refresh_status,
    refresh_error: row.refresh_error,
  });

  /** A row whose credentials do not open is listed with `credentials_error` rather than failing the list. */
  const summarize = (row: ConnectionRow): ConnectionSummary => {
    let credentials: Credentials | undefined;
    let failure: PatchbayError | undefined;
    try {
      credentials = credentialsOf(row);
    } catch (error) {
      if (!isKeyError(error)) throw error;
      failure = error;
    }
    return {
      integration_id: row.integration_id,
      connection_id: row.connection_id,
      provider: row.provider,
      auth_mode: credentials ? credentials.type : null,
      created_at: row.created_at,
      updated_at: row.updated_at,
      refresh_status: row.refresh_status,
      refresh_error: row.refresh_error,
      credentials_masked: credentials ? maskCredentials(credentials) : {},
      connection_config: row.connection_config,
      metadata: row.metadata,
      ...(failure ? { credentials_error: failure.message } : {}),
    };
  };

  const notFound = (integrationId: string, connectionId: string): PatchbayError =>
    new PatchbayError(
      'CONNECTION_NOT_FOUND',
      `No connection "${connectionId}" for integration "${integrationId}". Add one: patchbay connection add ${integrationId} ${connectionId} --token <T> (or see patchbay connection list).`,
    );

  const fire = async (event: ConnectionEvent, connection: LoadedConnection): Promise<void> => {
    if (!options.onEvent) return;
    try {
      await options.onEvent(event, connection);
    } catch (error) {
      options.onEventError?.(event, error);
    }
  };

  const service = {
    ring,
    async find(integrationId: string, connectionId: string) {
      const row = await store.connections.get(integrationId, connectionId);
      return row ? load(row) : undefined;
    },
    async get(integrationId: string, connectionId: string) {
      const found = await service.find(integrationId, connectionId);
      if (!found) throw notFound(integrationId, connectionId);
      return found;
    },
    async list(filter?: { integrationId?: string }) {
      return (await store.connections.list(filter)).map(summarize);
    },
    async add(connection: Parameters<ConnectionService['add']>[0]) {
      const { integrationId, connectionId } = connection;
      if (!/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$/.test(connectionId)) {
        throw new PatchbayError('INVALID_ARGUMENT', `Connection id "${connectionId}" is not valid: use letters, digits and . _ @ + - (at most 255 characters; ":" is reserved for integration:connection scopes).`);
      }
      const config = options.integrations ? await options.integrations(integrationId) : undefined;
      const declared = (connection.credentials as { type?: unknown } | null)?.type;
      if (!config && !AUTH_MODES.includes(declared as AuthMode)) {
        throw new PatchbayError('INVALID_CREDENTIALS', `Credentials for "${integrationId}" need a "type" (one of ${AUTH_MODES.join(', ')}).`);
      }
      const credentials = validateCredentials(connection.credentials, config ? config.provider.auth_mode : (declared as AuthMode), integrationId);
      // Every way a connection is stored passes here: its config is what later fills the token URL.
      if (config) assertConnectionConfig(config, connection.connectionConfig, { fullAccess: connection.fullAccess === true });
      const now = new Date().toISOString();
      const row: ConnectionRow = {
        integration_id: integrationId,
        connection_id: connectionId,
        provider: config?.provider.name ?? integrationId,
        credentials: seal(JSON.stringify(credentials), ring),
        connection_config: connection.connectionConfig ?? {},
        metadata: connection.metadata ?? null,
        created_at: now,
        updated_at: now,
        refresh_status: null,
        refresh_error: null,
        last_refreshed_at: null,
        credentials_version: 1,
      };
      await store.connections.insert(row);
      await fire('post-connection-creation', load(row));
      return summarize(row);
    },
    async saveCredentials(integrationId: string, connectionId: string, credentials: Credentials, opts: { expectVersion?: number } = {}) {
      // Without expectVersion the write must land: retry when a concurrent writer bumped the version.
      for (let attempt = 0; attempt < 10; attempt++) {
        const row = await store.connections.get(integrationId, connectionId);
        if (!row) throw notFound(integrationId, connectionId);
        if (opts.expectVersion !== undefined && row.credentials_version !== opts.expectVersion) return false;
        const now = new Date().toISOString();
        const written = await store.connections.update(
          integrationId,
          connectionId,
          {
            credentials: seal(JSON.stringify(credentials), ring),
            credentials_version: row.credentials_version + 1,
            updated_at: now,
            refresh_status: 'ok',
            refresh_error: null,
            last_refreshed_at: now,
          },
          { expectVersion: row.credentials_version },
        );
        if (written || opts.expectVersion !== undefined) return written;
      }
      throw new PatchbayError('STORE_ERROR', `The credentials of "${connectionId}" (${integrationId}) kept changing while saving; try again.`);
    },
    async markRefreshFailed(integrationId: string, connectionId: string, error: string) {
      const now = new Date().toISOString();
      const updated = await store.connections.update(integrationId, connectionId, { refresh_status: 'failed', refresh_error: error.slice(0, 1000), last_refreshed_at: now, updated_at: now });
      if (!updated) throw notFound(integrationId, connectionId);
    },
    async setMetadata(integrationId: string, connectionId: string, metadata: Record<string, unknown>) {
      const updated = await store.connections.update(integrationId, connectionId, { metadata, updated_at: new Date().toISOString() });
      if (!updated) throw notFound(integrationId, connectionId);
    },
    async updateMetadata(integrationId: string, connectionId: string, patch: Record<string, unknown>) {
      const row = await store.connections.get(integrationId, connectionId);
      if (!row) throw notFound(integrationId, connectionId);
      await store.connections.update(integrationId, connectionId, { metadata: { ...(row.metadata ?? {}), ...patch }, updated_at: new Date().toISOString() });
    },
    async setConnectionConfig(integrationId: string, connectionId: string, connectionConfig: Record<string, unknown>, access: { fullAccess?: boolean } = {}) {
      const row = await store.connections.get(integrationId, connectionId);
      if (!row) throw notFound(integrationId, connectionId);
      const config = options.integrations ? await options.integrations(integrationId) : undefined;
      if (config) assertConnectionConfig(config, connectionConfig, { fullAccess: access.fullAccess === true });
      await store.connections.update(integrationId, connectionId, { connection_config: connectionConfig, updated_at: new Date().toISOString() });
    },
    async remove(integrationId: string, connectionId: string) {
      const row = await store.connections.get(integrationId, connectionId);
      if (!row) return false;
      let loaded: LoadedConnection | undefined;
      try {
        loaded = load(row);
      } catch (error) {
        // Unreadable credentials: its functions could not act for it anyway; remove it so it can be re-added.
        if (!isKeyError(error)) throw error;
        if (options.onEvent) options.onEventSkipped?.('pre-connection-deletion', row, error);
      }
      if (loaded) await fire('pre-connection-deletion', loaded);
      return store.connections.delete(integrationId, connectionId);
    },
  };
  return service;
}
