/**
 * The composition root: builds (or reuses) the manifest, opens the store, loads the encryption
 * key, and wires the connection service, the HTTP client, credential sources and the executor
 * together. Every front end (dryrun, serve, MCP, REST, the scheduler) starts from one Runtime, so
 * they all run functions the same way.
 *
 * @example
 * const runtime = await createRuntime({ paths: resolvePaths() });
 * try {
 *   const { output } = await runtime.executor.run({ integrationId: 'github', name: 'list-repos', connectionId: 'alice' });
 * } finally {
 *   await runtime.close();
 * }
 */
import { ensureBuilt } from '../build/index.ts';
import type { Manifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import { loadKeyRing } from '../connections/key-file.ts';
import { createConnectionService, type ConnectionEvent } from '../connections/service.ts';
import type { ConnectionService, LoadedConnection } from '../connections/types.ts';
import { PatchbayError } from '../errors.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { loadIntegrationConfig } from '../providers/index.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import type { Capabilities } from './capabilities.ts';
import { createCredentialManager, type CredentialsFactory } from '../connections/refresh.ts';

import { startSyncRuns } from '../sync/start.ts';
import { createExecutor } from './executor.ts';
import { createHttpClient, type HttpClient } from '../upstream/client.ts';
import type { Transport } from '../upstream/transport.ts';
import { liveScopes } from './live-capabilities.ts';
import type { Executor } from './types.ts';
import type { WorkerPoolOptions } from './worker-pool.ts';

export interface RuntimeOptions {
  paths: ProjectPaths;
  /** 'sqlite' (default, PATCHBAY_HOME/patchbay.db) or 'memory' (tests, throwaway runs). */
  storeKind?: 'sqlite' | 'memory';
  /** Replaces undici under the HTTP client (record/replay, tests). */
  transport?: Transport;
  /** 'worker' (default) or 'inline' (same context code on the main thread; tests and benchmarks). */
  isolation?: 'worker' | 'inline';
  pool?: WorkerPoolOptions;
  /** Options of the pool syncs run in (default: `pool`'s, no warm worker). */
  syncPool?: WorkerPoolOptions;
  /** Validate input, output and records by default (true). */
  validate?: boolean;
  timeouts?: Partial<Record<'action' | 'sync' | 'onEvent', number>>;
  /** Replaces individual capabilities of every execution (`patchbay test`, embedding). */
  capabilityOverrides?: Partial<Capabilities>;
  logger?: Logger;
  /** A manifest to use instead of building (tests, embedding); `ensureBuilt` is skipped. */
  manifest?: Manifest;
  env?: NodeJS.ProcessEnv;
}

/** Everything a front end needs, wired. `close()` ends workers, sockets and the database. */
export interface Runtime {
  paths: ProjectPaths;
  /** The current manifest (replaced by `reload()`). */
  readonly manifest: Manifest;
  store: Store;
  connections: ConnectionService;
  /** The resolved integration.json of an integration (cached for the runtime's life). */
  integrations: (integrationId: string) => Promise<IntegrationConfig>;
  http: HttpClient;
  credentials: CredentialsFactory;
  executor: Executor;
  logger: Logger;
  /**
   * Rebuilds when the sources changed and swaps the manifest; runs already started finish on the
   * old bundles, the next ones load the new (bundles are cached by path and mtime).
   */
  reload(): Promise<Manifest>;
  close(): Promise<void>;
}

/** Builds a Runtime; see the module doc. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { paths } = options;
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  let manifest = options.manifest ?? (await ensureBuilt(paths));
  const store = await openStore(options.storeKind === 'memory' ? { kind: 'memory' } : { kind: 'sqlite', file: paths.databaseFile });
  const closers: Array<() => Promise<void>> = [() => store.close()];
  try {
    const configs = new Map<string, Promise<IntegrationConfig>>();
    const integrations = (id: string): Promise<IntegrationConfig> => {
      let pending = configs.get(id);
      if (!pending) {
        pending = loadIntegrationConfig(paths, id, env);
        pending.catch(() => configs.delete(id));
        configs.set(id, pending);
      }
      return pending;
    };
    const key = await loadKeyRing({ keyFile: paths.keyFile, store, env });
    let executor: Executor | undefined;
    let self: Runtime | undefined;
    const connections = createConnectionService({
      store,
      key,
      integrations,
      onEvent: (event, connection) => runOnEvents(manifest, () => executor!, event, connection),
      onEventError: (event, error) => logger.warn({ event, err: error }, 'on-event function failed'),
    });
    const http = createHttpClient(options.transport ? { transport: options.transport } : {});
    closers.unshift(() => http.close());
    const manager = createCredentialManager({ connections, locks: store.locks, ...(options.transport ? { http: options.transport } : {}) });
    const credentials: CredentialsFactory = (integration, connection) => manager.forConnection(integration, connection.connection_id);
    executor = createExecutor({
      manifest: () => manifest,
      isolation: options.isolation ?? 'worker',
      pool: { ...poolFromEnv(env), ...options.pool },
      ...(options.syncPool ? { syncPool: options.syncPool } : {}),
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.validate !== undefined ? { validate: options.validate } : {}),
      logger,
      scope: liveScopes({
        store,
        connections,
        http,
        integration: integrations,
        credentials,
        executor: () => executor!,
        startSyncs: (request, log) => startSyncRuns(self!, request, log),
        ...(options.capabilityOverrides ? { overrides: options.capabilityOverrides } : {}),
      }),
    });
    const exec = executor;
    closers.unshift(() => exec.close());
    let closed: Promise<void> | undefined;
    return (self = {
      paths,
      get manifest() {
        return manifest;
      },
      store,
      connections,
      integrations,
      http,
      credentials,
      executor: exec,
      logger,
      async reload() {
        manifest = await ensureBuilt(paths);
        return manifest;
      },
      close: () => (closed ??= closeAll(closers)),
    });
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/**
 * Pool settings an operator sets without code: PATCHBAY_WORKERS (max workers),
 * PATCHBAY_WORKER_MEMORY_MB (heap limit per worker), PATCHBAY_JOBS_PER_WORKER.
 */
export function poolFromEnv(env: NodeJS.ProcessEnv): WorkerPoolOptions {
  const out: WorkerPoolOptions = {};
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) {
      throw new PatchbayError('INVALID_CONFIG', `${name} must be a positive whole number (got "${raw}").`);
    }
    return value;
  };
  const workers = num('PATCHBAY_WORKERS');
  const memory = num('PATCHBAY_WORKER_MEMORY_MB');
  const jobs = num('PATCHBAY_JOBS_PER_WORKER');
  if (workers !== undefined) out.maxWorkers = workers;
  if (memory !== undefined) out.memoryLimitMb = memory;
  if (jobs !== undefined) out.jobsPerWorker = jobs;
  return out;
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers) {
    try {
      await close();
    } catch {
      // Keep closing the rest; a failed close must not leak the others.
    }
  }
}

/** Runs the integration's on-event functions for `event` (post-connection-creation, …) in order. */
async function runOnEvents(manifest: Manifest, executor: () => Executor, event: ConnectionEvent, connection: LoadedConnection): Promise<void> {
  const handlers = manifest.functions.filter((f) => f.type === 'onEvent' && f.integrationId === connection.integration_id && f.event === event);
  for (const fn of handlers) {
    await executor().run({ integrationId: fn.integrationId, name: fn.name, connectionId: connection.connection_id });
  }
}
