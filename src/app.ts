/**
 * The composition root: the one place that builds patchbay's parts and wires them together.
 * Layers import only downward (see README "Architecture"); where a lower layer needs something
 * from above — a function calling `nango.triggerSync` (runtime → sync), a new connection
 * running its on-event functions (connections → runtime) — the lower layer owns an interface
 * and this file fills it. Every front end (CLI commands, `serve` over stdio or HTTP, the
 * scheduler, tests, benchmarks) starts from `createApp`, so they all run functions the same way.
 *
 * @example
 * const app = await createApp({ paths: resolvePaths() });
 * try {
 *   const { output } = await app.executor.run({ integrationId: 'github', name: 'list-repos', connectionId: 'alice' });
 * } finally {
 *   await app.close();
 * }
 */
import { ensureBuilt } from './build/index.ts';
import type { Manifest } from './build/manifest.ts';
import type { ProjectPaths } from './config/paths.ts';
import { ensurePrivateDir } from './config/private-files.ts';
import { packageVersion } from './config/version.ts';
import { FULL_SCOPE } from './access/scope.ts';
import { ensureInitialKey, verifyApiKey } from './connections/api-keys.ts';
import { loadKeyRing } from './connections/key-file.ts';
import { createCredentialManager, type CredentialsFactory } from './connections/refresh.ts';
import { createConnectionService, type ConnectionEvent } from './connections/service.ts';
import type { ConnectionService, LoadedConnection } from './connections/types.ts';
import { PatchbayError } from './errors.ts';
import type { KeyVerifier } from './http/auth.ts';
import { assertAuthOrLoopback } from './http/security.ts';
import type { McpCallEvent } from './mcp/server.ts';
import { baseToolName, functionKey } from './mcp/naming.ts';
import { actionToolNames } from './mcp/tools.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { loadIntegrationConfig } from './providers/index.ts';
import type { IntegrationConfig } from './providers/types.ts';
import type { Capabilities } from './runtime/capabilities.ts';
import { createExecutor, type Isolation } from './runtime/executor.ts';
import { liveScopes } from './runtime/live-capabilities.ts';
import type { Executor } from './runtime/types.ts';
import type { WorkerPoolOptions } from './runtime/worker-pool.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/types.ts';
import { startAsyncActionQueue } from './queue/async-actions.ts';
import { startSyncRuns } from './sync/start.ts';
import { deliverWebhook, webhookTarget } from './sync/webhooks.ts';
import { createHttpClient, type ForwardedResponse, type HttpClient } from './upstream/client.ts';
import type { ProxyConfiguration } from './define/context.ts';
import type { Transport } from './upstream/transport.ts';

export interface AppOptions {
  paths: ProjectPaths;
  /** 'sqlite' (default, PATCHBAY_HOME/patchbay.db) or 'memory' (tests, throwaway runs). */
  storeKind?: 'sqlite' | 'memory';
  /** Replaces undici under the HTTP client (record/replay, tests). */
  transport?: Transport;
  /** 'process' (default: runner processes, a security boundary), 'worker' (threads) or 'inline' (tests, benchmarks). */
  isolation?: Isolation;
  pool?: WorkerPoolOptions;
  /** Options of the pool syncs run in (default: `pool`'s, no warm worker). */
  syncPool?: WorkerPoolOptions;
  /** Validate input, output and records by default (true). */
  validate?: boolean;
  timeouts?: Partial<Record<'action' | 'sync' | 'onEvent', number>>;
  /** Replaces individual capabilities of every execution (embedding, tests). */
  capabilityOverrides?: Partial<Capabilities>;
  logger?: Logger;
  /** A manifest to use instead of building (tests, embedding); `ensureBuilt` is skipped. */
  manifest?: Manifest;
  env?: NodeJS.ProcessEnv;
}

/** Everything a front end needs, wired. `close()` ends workers, sockets and the database. */
export interface App {
  paths: ProjectPaths;
  /** The environment the app was built with (integration.json interpolation, keys, pools). */
  readonly env: NodeJS.ProcessEnv;
  /** The current manifest (replaced by `reload()`). */
  readonly manifest: Manifest;
  store: Store;
  connections: ConnectionService;
  /** The resolved integration.json of an integration (cached for the app's life). */
  integrations: (integrationId: string) => Promise<IntegrationConfig>;
  /** The outbound HTTP client (auth injection, retries, redaction). */
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

/** Builds an App; see the module doc. */
export async function createApp(options: AppOptions): Promise<App> {
  const { paths } = options;
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  let manifest = options.manifest ?? (await ensureBuilt(paths));
  const store = options.storeKind === 'memory' ? await openStore({ kind: 'memory' }) : await openProjectStore(paths, env);
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
    // Late-bound: on-event functions and triggerAction need the executor, which needs these.
    let executor: Executor | undefined;
    const connections = createConnectionService({
      store,
      key,
      integrations,
      onEvent: (event, connection) => runOnEvents(manifest, executor!, event, connection),
      onEventError: (event, error) => logger.warn({ event, err: error }, 'on-event function failed'),
      onEventSkipped: (event, connection, reason) =>
        logger.warn({ event, integration: connection.integration_id, connection: connection.connection_id, reason: reason.message }, 'on-event functions skipped: the credentials cannot be opened'),
    });
    const http = createHttpClient(options.transport ? { transport: options.transport } : {});
    closers.unshift(() => http.close());
    const manager = createCredentialManager({ connections, locks: store.locks, ...(options.transport ? { http: options.transport } : {}) });
    const credentials: CredentialsFactory = (integration, connection) => manager.forConnection(integration, connection.connection_id);
    let closed: Promise<void> | undefined;
    const app: App = {
      paths,
      env,
      get manifest() {
        return manifest;
      },
      store,
      connections,
      integrations,
      http,
      credentials,
      get executor() {
        return executor!;
      },
      logger,
      async reload() {
        manifest = await ensureBuilt(paths);
        return manifest;
      },
      close: () => (closed ??= closeAll(closers)),
    };
    executor = createExecutor({
      manifest: () => manifest,
      isolation: options.isolation ?? 'process',
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
        // runtime → sync, filled here: a function's triggerSync starts runs of the sync runner.
        startSyncs: (request, log, scope) => startSyncRuns(app, request, log, scope),
        ...(options.capabilityOverrides ? { overrides: options.capabilityOverrides } : {}),
        // A runner builds its own client for the own connection; an injected transport cannot cross.
        direct: options.transport === undefined,
      }),
    });
    const started = executor;
    closers.unshift(() => started.close());
    return app;
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/**
 * The project's store: the embedded SQLite file under PATCHBAY_HOME. For commands that only
 * read or write rows (keys, records, connection list) and need no build or executor.
 * `PATCHBAY_DATABASE_URL` is refused rather than ignored: Postgres is not served yet, and
 * silently writing to SQLite instead would lose an operator's data to the wrong place.
 *
 * PATCHBAY_HOME is made (or tightened to) 0700 first: it is patchbay's own folder and holds the
 * key and the database; `build/` may already have created it with the umask's 0755.
 *
 * @example
 * const store = await openProjectStore(paths);
 */
export async function openProjectStore(paths: ProjectPaths, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  const url = env['PATCHBAY_DATABASE_URL'];
  if (url !== undefined && url.trim() !== '') {
    throw new PatchbayError(
      'INVALID_CONFIG',
      `PATCHBAY_DATABASE_URL is set, but this version of patchbay has no Postgres store yet. Unset it to use the embedded SQLite database (${paths.databaseFile}).`,
    );
  }
  ensurePrivateDir(paths.home);
  return openStore({ kind: 'sqlite', file: paths.databaseFile });
}

/**
 * The store and a connection service without a build or an executor (no on-event functions):
 * enough to list and show connections. `allowUnknownKeys` loads even when no stored row opens
 * with the configured key (see `loadKeyRing`), for commands that report rows as unreadable.
 *
 * @example
 * const { connections, close } = await openConnections(paths);
 */
export async function openConnections(
  paths: ProjectPaths,
  env: NodeJS.ProcessEnv = process.env,
  options: { allowUnknownKeys?: boolean } = {},
): Promise<{ store: Store; connections: ConnectionService; close(): Promise<void> }> {
  const store = await openProjectStore(paths, env);
  try {
    const key = await loadKeyRing({ keyFile: paths.keyFile, store, env, ...(options.allowUnknownKeys ? { allowUnknownKeys: true } : {}) });
    const connections = createConnectionService({ store, key, integrations: (id) => loadIntegrationConfig(paths, id, env) });
    return { store, connections, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The proxy without a server, for `patchbay proxy`: the connection's credentials (refreshed
 * single-flight, like the server does) injected into one call to its provider, whose answer is
 * handed back as it came (`HttpClient.forward`).
 *
 * @example
 * const proxy = await openProxy(paths);
 * const answer = await proxy.forward('github', 'alice', { endpoint: '/user' }, signal);
 */
export async function openProxy(
  paths: ProjectPaths,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ store: Store; forward(integrationId: string, connectionId: string, config: ProxyConfiguration, signal: AbortSignal): Promise<ForwardedResponse>; close(): Promise<void> }> {
  const opened = await openConnections(paths, env);
  const http = createHttpClient();
  const manager = createCredentialManager({ connections: opened.connections, locks: opened.store.locks });
  return {
    store: opened.store,
    async forward(integrationId, connectionId, config, signal) {
      const integration = await loadIntegrationConfig(paths, integrationId, env);
      const connection = await opened.connections.get(integrationId, connectionId);
      return http.forward({ integration, credentials: manager.forConnection(integration, connectionId), connectionConfig: connection.connection_config, signal }, config);
    },
    async close() {
      await http.close();
      await opened.close();
    },
  };
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

/** connections → runtime, filled here: the integration's on-event functions for `event`, in order. */
async function runOnEvents(manifest: Manifest, executor: Executor, event: ConnectionEvent, connection: LoadedConnection): Promise<void> {
  const handlers = manifest.functions.filter((f) => f.type === 'onEvent' && f.integrationId === connection.integration_id && f.event === event);
  for (const fn of handlers) {
    await executor.run({ integrationId: fn.integrationId, name: fn.name, connectionId: connection.connection_id });
  }
}

/** `patchbay serve`'s choices, already parsed. */
export interface ServeOptions {
  /** MCP over stdin/stdout instead of HTTP. */
  stdio: boolean;
  host: string;
  port: number;
  /** False = `--no-auth` (loopback only). */
  auth: boolean;
  scheduler: boolean;
  catalog: boolean;
  tools?: string[];
  /** stdio: the connection every tool uses. */
  connection?: string;
  maxResultBytes: number;
  maxBodyBytes: number;
  /** Cap on a body streamed through `/proxy` (default 1 GB). */
  maxUploadBytes?: number;
  allowedOrigins?: string[];
  allowedHosts?: string[];
  publicUrl?: string;
  /** Told the first API key's secret once, when this start created it. */
  onFirstKey?: (secret: string) => void;
}

/** A running server. */
export interface Serving {
  /** HTTP only: where it listens. */
  url?: string;
  addresses?: string[];
  /** Actions published as tools. */
  tools: number;
  /** stdio only: resolves when the client closes the session. */
  closed?: Promise<void>;
  /** Stops accepting, cancels running calls, stops the scheduler (not the app: `app.close()`). */
  stop(): Promise<void>;
}

/**
 * Starts the front ends of `patchbay serve` on an app: MCP over stdio, or the HTTP app (`/mcp`,
 * `/health`, connect, records) on a port; and the sync scheduler beside either.
 *
 * @example
 * const serving = await serveApp(app, { stdio: true, scheduler: true, catalog: false, maxResultBytes: 100_000, … });
 * await serving.closed;
 */
export async function serveApp(app: App, options: ServeOptions): Promise<Serving> {
  const version = packageVersion();
  // Loaded on serve only: other commands start without the MCP SDK and the scheduler.
  const [{ createMcpHandlers }, { serveStdio }, { startScheduler }] = await Promise.all([import('./mcp/handlers.ts'), import('./mcp/stdio.ts'), import('./sync/scheduler.ts')]);
  const startSchedulerOf = (): (() => Promise<void>) => {
    const scheduler = startScheduler({ runtime: app, logger: app.logger });
    return () => scheduler.stop();
  };
  const handlers = createMcpHandlers(
    { manifest: app.manifest, executor: app.executor, connections: () => app.store.connections.list(), records: app.store.records },
    { catalogMode: options.catalog, maxResultBytes: options.maxResultBytes, ...(options.tools ? { tools: options.tools } : {}) },
  );
  const onCall = (event: McpCallEvent) => app.logger.info({ ...event, durationMs: Math.round(event.durationMs) }, 'tool call');
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => app.logger.error({ err: String(error) }, 'shutdown step failed'));
  };
  const tools = handlers.catalog.actions.length;
  try {
    if (options.stdio) {
      const session = await serveStdio(handlers, { scope: FULL_SCOPE, selection: options.connection ? { connectionId: options.connection } : {} }, { version, onCall });
      stops.push(() => session.close());
      if (options.scheduler) stops.push(startSchedulerOf());
      return { tools, closed: session.closed, stop };
    }
    assertAuthOrLoopback(options.auth, options.host);
    // Loaded here, not at the top: stdio clients start faster without Hono and the HTTP transport.
    const [{ createHttpApp }, { createMcpRoute }, { listenHttp }, { policyFor }] = await Promise.all([
      import('./http/app.ts'),
      import('./http/routes/mcp.ts'),
      import('./http/server.ts'),
      import('./http/security.ts'),
    ]);
    let verifyKey: KeyVerifier | undefined;
    if (options.auth) {
      const initial = await ensureInitialKey(app.store, app.env);
      if (initial.secret) options.onFirstKey?.(initial.secret);
      verifyKey = (secret) => verifyApiKey(app.store, secret);
    }
    const mcp = createMcpRoute({ handlers, info: { version, onCall } });
    // Asynchronous actions: persisted before their 202, run here, resumed after a restart;
    // each finished one is announced to the backend's webhook URLs, as Nango's "async action completed".
    const announcing = new AbortController();
    stops.push(async () => announcing.abort());
    const queue = startAsyncActionQueue({
      store: app.store.asyncActions,
      locks: app.store.locks,
      run: (request) => app.executor.run(request),
      keyRevoked: async (keyId) => !(await app.store.keys.list()).some((row) => row.id === keyId && row.revoked_at === null),
      logger: app.logger,
      onFinished: async (row) => {
        const target = webhookTarget((await app.integrations(row.integration_id)).webhooks, app.env);
        const body = { from: 'patchbay', type: 'async_action', connectionId: row.connection_id, providerConfigKey: row.integration_id, payload: { id: row.id, statusUrl: `/action/${row.id}` } } as const;
        await deliverWebhook(target, body, { logger: app.logger, signal: announcing.signal });
      },
    });
    stops.push(() => queue.stop());
    // The name MCP lists an action under: what a scoped key's tool globs match on every route.
    const toolName = (integrationId: string, name: string): string => actionToolNames(app.manifest).get(functionKey(integrationId, name)) ?? baseToolName(integrationId, name);
    const http = createHttpApp({
      policy: policyFor(options.host, { allowedOrigins: options.allowedOrigins, allowedHosts: options.allowedHosts, maxBodyBytes: options.maxBodyBytes }),
      ...(verifyKey ? { verifyKey } : {}),
      mcp,
      connect: { kv: app.store.kv, connections: app.connections, integrations: app.integrations, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) },
      records: app.store.records,
      connections: { connections: app.connections, integrations: app.integrations, credentials: app.credentials },
      proxy: {
        http: app.http,
        connections: app.connections,
        integrations: app.integrations,
        credentials: app.credentials,
        logger: app.logger,
        ...(options.maxUploadBytes !== undefined ? { maxUploadBytes: options.maxUploadBytes } : {}),
      },
      catalog: {
        manifest: () => app.manifest,
        integrations: app.integrations,
        store: app.store,
        toolName,
      },
      syncs: {
        store: app.store,
        manifest: () => app.manifest,
        start: (request, scope) => startSyncRuns(app, request, (entry) => app.logger.info(entry.message), scope),
      },
      actions: {
        run: (request) => app.executor.run(request),
        manifest: () => app.manifest,
        toolName,
        queue,
        connectionExists: async (integrationId, connectionId) => (await app.store.connections.get(integrationId, connectionId)) !== undefined,
      },
      version,
      health: () => ({ version, tools, inFlight: mcp.inFlight(), executions: app.executor.inFlight(), asyncActions: queue.running() }),
      logger: app.logger,
      maxResultBytes: options.maxResultBytes,
    });
    const server = await listenHttp(http, { host: options.host, port: options.port, auth: options.auth });
    stops.push(async () => {
      mcp.abortAll();
      await server.close();
    });
    if (options.scheduler) stops.push(startSchedulerOf());
    return { url: server.url, addresses: server.addresses, tools, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

