/**
 * Step 4 of a tool call: the capabilities a function's `nango` reaches, served on the main
 * thread for the worker (step 3); `nango.proxy/get/post` go on to the HTTP client
 * (upstream/client.ts, step 5).
 *
 * The live capabilities: what a function's `nango` calls reach in production. proxy → the HTTP
 * client with the connection's credential source; metadata → the connection service;
 * checkpoints → `store.kv`; locks → `store.locks`; environment → integration.json's
 * `environment`; triggerAction → a nested execution; records → `store.records` under a run id.
 * With `dryRun`, records, metadata and checkpoints stay in memory (runtime/dry-run.ts) and nothing
 * is written; proxy calls are real.
 */
import type { Connection, Credentials, EnvironmentVariable, ProxyConfiguration, PublicIntegration } from '../define/context.ts';
import type { ConnectionService, LoadedConnection } from '../connections/types.ts';
import { connectionAllowed, FULL_SCOPE } from '../access/scope.ts';
import { PatchbayError } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { Store } from '../store/types.ts';
import type { Capabilities, DirectHttp, RecordCapabilities, SyncStarter } from './capabilities.ts';
import { createRecordCollector, memoryState, type StateCapabilities } from './dry-run.ts';
import type { ExecutionScope, ScopeFactory, ScopeOutcome, ScopeRequest } from './executor.ts';
import type { CredentialSource, HttpClient } from '../upstream/client.ts';
import { listPage, liveRecords } from './live-records.ts';
import type { Executor, HttpCallLog } from './types.ts';
import { defaultDeleteGuard } from '../records/delete-guard.ts';

/** What live capabilities are made of; runtime.ts wires them. */
export interface LiveDeps {
  store: Store;
  connections: ConnectionService;
  http: HttpClient;
  /** The resolved integration.json (cached by the caller). */
  integration(integrationId: string): Promise<IntegrationConfig>;
  /** The credential source of a connection (refresh, single-flight); see runtime/auth. */
  credentials(integration: IntegrationConfig, connection: LoadedConnection): CredentialSource;
  /** The executor, for `triggerAction` (a getter: the executor is created after the scopes). */
  executor(): Executor;
  /** Replaces individual capabilities (`patchbay test`, embedding). */
  overrides?: Partial<Capabilities>;
  /** Where the provider's webhooks reach this server, when one is listening. */
  webhookUrl?(integrationId: string, connectionId: string): string | null;
  /** What `nango.triggerSync` / `startSync` start runs with; absent, they only log. */
  startSyncs?: SyncStarter;
  /**
   * Runners may call the execution's own connection themselves (ScopeRequest.direct). Off when
   * `http` is not one a runner can rebuild (a test's in-process transport) or proxy is overridden.
   */
  direct?: boolean;
}

/** A runner may force a token refresh (after a 401) at most this often per execution. */
const FORCED_REFRESH_INTERVAL_MS = 10_000;

/** HTTP calls kept in a result (a long paginated sync makes thousands). */
export const MAX_KEPT_CALLS = 1000;

/** The checkpoint key of one function on one connection. */
export function checkpointKey(integrationId: string, connectionId: string, name: string): string {
  return `checkpoint:${integrationId}:${connectionId}:${name}`;
}

interface Target {
  integration: IntegrationConfig;
  connection: LoadedConnection;
  source: CredentialSource;
}

/**
 * The scope factory for live (and dry) runs.
 *
 * @example
 * const executor = createExecutor({ manifest, scope: liveScopes({ store, connections, http, integration, credentials, executor: () => executor }) });
 */
export function liveScopes(deps: LiveDeps): ScopeFactory {
  const loaded = new Map<string, { version: string; connection: LoadedConnection }>();
  // Unsealing credentials costs more than the rest of a call's bookkeeping; reuse the decrypted
  // connection while its row (credentials version, update time) is unchanged.
  const connection = async (integrationId: string, connectionId: string): Promise<LoadedConnection> => {
    const key = `${integrationId}\u0000${connectionId}`;
    const row = await deps.store.connections.get(integrationId, connectionId);
    const version = row ? `${row.credentials_version}:${row.updated_at}` : '';
    const hit = loaded.get(key);
    if (row && hit && hit.version === version) return hit.connection;
    const fresh = await deps.connections.get(integrationId, connectionId);
    if (row) {
      if (loaded.size >= 1000) loaded.clear();
      loaded.set(key, { version, connection: fresh });
    } else loaded.delete(key);
    return fresh;
  };
  return (request) => liveScope(deps, connection, request);
}

async function liveScope(
  deps: LiveDeps,
  loadConnection: (integrationId: string, connectionId: string) => Promise<LoadedConnection>,
  { fn, request, executionId, signal, deadline, log, direct: wantsDirect }: ScopeRequest,
): Promise<ExecutionScope> {
  const integrationId = fn.integrationId;
  const connectionId = request.connectionId;
  const dryRun = request.dryRun === true;
  const http: HttpCallLog[] = [];
  // The caller's scope holds inside the function too: another connection is reachable only if
  // the caller (the API key behind the tool call) may use it. The own connection was checked by
  // the front end before the execution started.
  const scope = request.scope ?? FULL_SCOPE;
  const mayReach = (key: string, id: string, how: string): void => {
    if (connectionAllowed(scope, key, id)) return;
    throw new PatchbayError(
      'FORBIDDEN',
      `${how} refused: this execution runs for an API key that may not use connection "${id}" of "${key}". A function reaches only the connections its caller may use.`,
    );
  };
  const targets = new Map<string, Promise<Target>>();
  const target = (key: string, id: string, how = 'nango.getConnection'): Promise<Target> => {
    const cacheKey = `${key}\u0000${id}`;
    let pending = targets.get(cacheKey);
    if (!pending) {
      mayReach(key, id, how);
      pending = (async () => {
        const integration = await deps.integration(key);
        const connection = await loadConnection(key, id);
        return { integration, connection, source: deps.credentials(integration, connection) };
      })();
      targets.set(cacheKey, pending);
    }
    return pending;
  };
  const own = await target(integrationId, connectionId);

  const state: StateCapabilities & { snapshot?: unknown } = dryRun
    ? memoryState({
        metadata: request.metadata ?? own.connection.metadata,
        checkpoint: request.checkpoint ?? (await deps.store.kv.get<Record<string, unknown>>(checkpointKey(integrationId, connectionId, fn.name))) ?? null,
      })
    : liveState(deps, integrationId, connectionId, fn.name);

  const locks = new Set<string>();
  const lockKey = (key: string) => `lock:${integrationId}:${connectionId}:${key}`;

  let records: RecordCapabilities | undefined;
  let outcome: () => ScopeOutcome = () => ({ http });
  // Record writes run behind the function (live-records.ts); what depends on them waits here.
  let drain = async (): Promise<void> => {};
  if (fn.type === 'sync') {
    const owner = { integrationId, connectionId };
    if (dryRun) {
      const collector = createRecordCollector(async (model, ids) => {
        const found = await deps.store.records.getByIds({ ...owner, model }, ids);
        return [...found].filter(([, r]) => r.deleted_at === null).map(([id, r]) => [id, r.data] as [string, Record<string, unknown>]);
      });
      records = { ...collector.caps, list: (model, page) => listPage(deps.store.records, { ...owner, model }, page) };
      outcome = () => ({ http, records: collector.records(), changes: collector.changes() });
    } else {
      const live = liveRecords(deps.store.records, integrationId, connectionId, request.runId ?? executionId, request.deleteGuard ?? defaultDeleteGuard(fn.name));
      records = live.caps;
      drain = live.drain;
      outcome = () => ({ http, changes: live.changes() });
    }
  }

  // The runner calls the own connection itself; token refreshes still happen here, single-flight.
  let direct: DirectHttp | undefined;
  if (wantsDirect && deps.direct && !deps.overrides?.proxy) {
    try {
      direct = { integration: runnerIntegration(own.integration), credentials: await own.source.get(), connectionConfig: own.connection.connection_config };
    } catch {
      // Credentials that cannot be had now: the server's proxy says why on the first request.
    }
  }
  let lastForced = 0;

  const caps: Omit<Capabilities, 'log' | 'progress'> = {
    ...(direct
      ? {
          async refreshCredentials(reason: 'expired' | 'unauthorized') {
            // What a runner asks for is not trusted: a forced refresh is rate-limited, else the
            // current credentials (refreshed here if they are about to expire) are the answer.
            if (reason !== 'unauthorized' || Date.now() - lastForced < FORCED_REFRESH_INTERVAL_MS) return own.source.get();
            lastForced = Date.now();
            return own.source.refresh('unauthorized');
          },
          recordHttpCall(call: HttpCallLog) {
            if (http.length < MAX_KEPT_CALLS) http.push(call);
          },
        }
      : {}),
    async proxy(config: ProxyConfiguration) {
      const t = config.providerConfigKey || config.connectionId ? await target(config.providerConfigKey ?? integrationId, config.connectionId ?? connectionId, 'nango.proxy') : own;
      return deps.http.request(
        {
          integration: t.integration,
          credentials: t.source,
          connectionConfig: t.connection.connection_config,
          signal,
          deadline,
          onCall: (call) => {
            if (http.length < MAX_KEPT_CALLS) http.push(call);
          },
          onLog: log,
        },
        config,
      );
    },
    async getConnection(key?: string, id?: string): Promise<Connection> {
      const t = key || id ? await target(key ?? integrationId, id ?? connectionId) : own;
      const fresh = await loadConnection(t.connection.integration_id, t.connection.connection_id);
      return {
        ...(fresh.id !== undefined ? { id: fresh.id } : {}),
        connection_id: fresh.connection_id,
        provider_config_key: fresh.provider_config_key,
        provider: fresh.provider,
        credentials: withNangoNames(await t.source.get()),
        connection_config: fresh.connection_config,
        metadata: dryRun && t === own ? await state.getMetadata() : fresh.metadata,
        created_at: fresh.created_at,
        updated_at: fresh.updated_at,
      };
    },
    ...state,
    // A checkpoint is never ahead of the records before it.
    async getCheckpoint() {
      await drain();
      return state.getCheckpoint();
    },
    async saveCheckpoint(checkpoint) {
      await drain();
      return state.saveCheckpoint(checkpoint);
    },
    async clearCheckpoint() {
      await drain();
      return state.clearCheckpoint();
    },
    async getEnvironmentVariables(): Promise<EnvironmentVariable[] | null> {
      const env = own.integration.environment;
      const entries = Object.entries(env ?? {});
      return entries.length > 0 ? entries.map(([name, value]) => ({ name, value })) : null;
    },
    async getWebhookURL() {
      return deps.webhookUrl?.(integrationId, connectionId) ?? null;
    },
    async triggerAction(key, id, actionName, input) {
      mayReach(key, id, 'nango.triggerAction');
      const nested = { integrationId: key, connectionId: id, name: actionName, input, signal, dryRun, scope, depth: (request.depth ?? 0) + 1 };
      const result = await deps.executor().run(request.validate === undefined ? nested : { ...nested, validate: request.validate });
      return result.output;
    },
    async tryAcquireLock(key, ttlMs) {
      if (typeof key !== 'string' || !key || !(ttlMs > 0)) {
        throw new PatchbayError('INVALID_ARGUMENT', 'tryAcquireLock needs { key: non-empty string, ttlMs: positive number }.');
      }
      const ok = await deps.store.locks.tryAcquire(lockKey(key), executionId, ttlMs);
      if (ok) locks.add(key);
      return ok;
    },
    async releaseLock(key) {
      locks.delete(key);
      return deps.store.locks.release(lockKey(key), executionId);
    },
    async getIntegration() {
      return publicIntegration(own.integration, deps.webhookUrl?.(integrationId, connectionId) ?? null);
    },
    async startSyncs(wanted) {
      if (dryRun || !deps.startSyncs) {
        log({ time: new Date().toISOString(), level: 'info', message: `sync start requested for ${wanted.integrationId}/${wanted.syncNames.join(', ')} (${dryRun ? 'dry run: not started' : 'no sync runner here: not started'})` });
        return;
      }
      if (wanted.connectionId !== undefined) mayReach(wanted.integrationId, wanted.connectionId, 'nango.triggerSync');
      await deps.startSyncs(wanted, log, scope);
    },
    ...(records ? { records } : {}),
    ...deps.overrides,
  };

  return {
    caps,
    ...(direct ? { direct } : {}),
    info: {
      connectionId,
      providerConfigKey: integrationId,
      provider: own.integration.provider.name,
      executionId,
      ...(dryRun ? { isCLI: true } : {}),
      ...(own.integration.provider.proxy.paginate ? { paginationDefaults: own.integration.provider.proxy.paginate } : {}),
      ...(fn.type === 'sync' ? await lastSync(deps.store, integrationId, connectionId, fn.name) : {}),
    },
    async finish(ok) {
      // The run ends when its records are written: a failed write fails a run that succeeded.
      const failed = await drain().then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      // Locks are held for the execution only (Nango releases them when the script ends).
      await Promise.all([...locks].map((key) => deps.store.locks.release(lockKey(key), executionId).catch(() => false)));
      if (ok && failed) throw failed.error;
      return outcome();
    },
  };
}

/**
 * The integration as a runner sees it: what requests need (provider, base URL, proxy settings),
 * without the OAuth client secret, the webhook secret or the environment values.
 */
export function runnerIntegration(integration: IntegrationConfig): IntegrationConfig {
  // Token requests stay on the server: their parameters may carry values of the OAuth app.
  const { authorization_params: _a, token_params: _t, refresh_params: _r, ...provider } = integration.provider;
  return {
    id: integration.id,
    provider,
    oauth: { scopes: integration.oauth.scopes, ...(integration.oauth.client_id !== undefined ? { client_id: integration.oauth.client_id } : {}) },
    environment: {},
    webhooks: { urls: [] },
  };
}

/** `nango.getIntegration()`: Nango's public integration shape; the client secret never leaves. */
export function publicIntegration(integration: IntegrationConfig, webhookUrl: string | null): PublicIntegration {
  const provider = integration.provider;
  const oauth = integration.oauth;
  const isOAuth = provider.auth_mode.startsWith('OAUTH');
  return {
    unique_key: integration.id,
    provider: provider.name,
    display_name: provider.display_name ?? provider.name,
    webhook_url: webhookUrl,
    credentials: isOAuth ? { type: provider.auth_mode, client_id: oauth.client_id ?? null, scopes: oauth.scopes.length > 0 ? oauth.scopes.join(',') : null } : null,
  };
}

function liveState(deps: LiveDeps, integrationId: string, connectionId: string, name: string): StateCapabilities {
  const key = checkpointKey(integrationId, connectionId, name);
  return {
    getMetadata: async () => {
      const row = await deps.store.connections.get(integrationId, connectionId);
      if (!row) return (await deps.connections.get(integrationId, connectionId)).metadata ?? null;
      return row.metadata ?? null;
    },
    setMetadata: (metadata) => deps.connections.setMetadata(integrationId, connectionId, metadata),
    updateMetadata: (patch) => deps.connections.updateMetadata(integrationId, connectionId, patch),
    getCheckpoint: async () => (await deps.store.kv.get<Record<string, unknown>>(key)) ?? null,
    saveCheckpoint: (checkpoint) => deps.store.kv.set(key, checkpoint),
    clearCheckpoint: async () => {
      await deps.store.kv.delete(key);
    },
  };
}

async function lastSync(store: Store, integrationId: string, connectionId: string, name: string): Promise<{ lastSyncDate?: string }> {
  const state = await store.syncs.getState(integrationId, connectionId, name).catch(() => undefined);
  return state?.last_success_at ? { lastSyncDate: state.last_success_at } : {};
}

/** Credentials as Nango functions read them: an API key is `apiKey` there, `api_key` in patchbay. */
function withNangoNames(credentials: Credentials): Credentials {
  return credentials.type === 'API_KEY' ? { ...credentials, apiKey: credentials.api_key } : credentials;
}
