/**
 * What `serve` needs from the rest of patchbay, gathered in one place: the runtime (manifest,
 * executor, connections, store), the logger (stderr in stdio mode), the API-key verifier
 * (creating and printing the first key once), and the optional features — the sync scheduler
 * and the connect routes — started when their modules exist in this build.
 *
 * @example
 * const runtime = await openServeRuntime(paths, { stdio: true });
 * const verify = await runtime.keyVerifier();
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Manifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import { PatchbayError } from '../errors.ts';
import { ensureInitialKey, verifyApiKey } from '../connections/api-keys.ts';
import type { ConnectionService } from '../connections/types.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { Executor } from '../runtime/types.ts';
import type { Store } from '../store/types.ts';
import { connectionAllowed } from '../mcp/scope.ts';
import { authenticate, type KeyVerifier } from './auth.ts';
import { optionalModule } from './optional.ts';

/** The running parts `serve` drives. */
export interface ServeRuntime {
  logger: Logger;
  manifest: Manifest;
  executor: Executor;
  connections: ConnectionService;
  store: Store;
  /** The runtime object itself, for optional features that take it. */
  runtime: unknown;
  /** Makes sure a key exists (printing a new one once on stderr) and returns the verifier. */
  keyVerifier(): Promise<KeyVerifier>;
  close(): Promise<void>;
}

/** The package version, for the MCP server info and /health. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

interface RuntimeLike {
  manifest: Manifest | (() => Manifest);
  executor: Executor;
  connections: ConnectionService;
  store: Store;
  close(): Promise<void>;
}

/** Builds the runtime for this project (compiling first when the sources changed). */
export async function openServeRuntime(paths: ProjectPaths, options: { stdio: boolean; isolation?: 'worker' | 'inline' }): Promise<ServeRuntime> {
  const logger = createLogger({ stdio: options.stdio, base: { service: 'patchbay' } });
  const module = await optionalModule<{ createRuntime(options: Record<string, unknown>): Promise<RuntimeLike> }>(import.meta.url, '../runtime/runtime');
  if (!module) throw new PatchbayError('INTERNAL', 'This build has no runtime (src/runtime/runtime.ts); reinstall patchbay.');
  const runtime = await module.createRuntime({ paths, logger, ...(options.isolation ? { isolation: options.isolation } : {}) });
  const manifest = typeof runtime.manifest === 'function' ? runtime.manifest() : runtime.manifest;
  return {
    logger,
    manifest,
    executor: runtime.executor,
    connections: runtime.connections,
    store: runtime.store,
    runtime,
    async keyVerifier() {
      const initial = await ensureInitialKey(runtime.store, process.env);
      if (initial.secret) {
        process.stderr.write(
          `\nCreated the first API key (shown once; store it now):\n\n  ${initial.secret}\n\nSend it as "Authorization: Bearer <key>". More keys: patchbay key create --name <name>\n\n`,
        );
      }
      return (secret) => verifyApiKey(runtime.store, secret);
    },
    close: () => runtime.close(),
  };
}

/** A handler tried before the router; answers true when it took the request. */
export type PreRouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * `/connect/<integration>` and `/oauth/callback` when the connect routes exist in this build.
 * The redirect URI is `<publicUrl>/oauth/callback`; without `--public-url` it is this server's
 * own `http://localhost:<port>` (what a local OAuth app registers). A key scoped to some
 * connections may only start flows for those.
 */
export async function connectHandlers(runtime: ServeRuntime, options: { verifyKey?: KeyVerifier; publicUrl?: string }): Promise<PreRouteHandler[]> {
  type Connect = { createConnectRoutes(deps: Record<string, unknown>): PreRouteHandler };
  const connect = await optionalModule<Connect>(import.meta.url, './connect-routes');
  const integrations = (runtime.runtime as { integrations?: unknown }).integrations;
  if (!connect || typeof integrations !== 'function') return [];
  const verifyKey = options.verifyKey;
  const deps = {
    kv: runtime.store.kv,
    connections: runtime.connections,
    integrations,
    ...(verifyKey
      ? {
          authenticate: async (req: IncomingMessage) => {
            const scope = await authenticate(req.headers, verifyKey);
            if (!scope) return false;
            const url = new URL(req.url ?? '/', 'http://localhost');
            const integrationId = decodeURIComponent(url.pathname.split('/')[2] ?? '');
            const connectionId = url.searchParams.get('connection_id');
            return connectionId === null || connectionAllowed(scope, integrationId, connectionId);
          },
        }
      : {}),
  };
  const byUrl = new Map<string, PreRouteHandler>();
  return [
    (req, res) => {
      const publicUrl = options.publicUrl ?? `http://localhost:${req.socket.localPort}`;
      let handler = byUrl.get(publicUrl);
      if (!handler) {
        handler = connect.createConnectRoutes({ ...deps, publicUrl });
        byUrl.set(publicUrl, handler);
      }
      return handler(req, res);
    },
  ];
}

/** Starts the sync scheduler when present; returns its stop function (a no-op otherwise). */
export async function startOptionalScheduler(runtime: ServeRuntime): Promise<() => Promise<void>> {
  const scheduler = await optionalModule<{ startScheduler(options: { runtime: unknown; logger: Logger }): { stop(): Promise<void> } }>(
    import.meta.url,
    '../sync/scheduler',
  );
  if (!scheduler) return async () => {};
  const running = scheduler.startScheduler({ runtime: runtime.runtime, logger: runtime.logger });
  return () => running.stop();
}
