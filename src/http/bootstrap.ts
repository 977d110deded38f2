/**
 * What `serve` needs from the rest of patchbay, gathered in one place: the runtime (manifest,
 * executor, connections, store), the logger (stderr in stdio mode), the API-key verifier
 * (creating and printing the first key once), the connect routes and the sync scheduler.
 *
 * @example
 * const runtime = await openServeRuntime(paths, { stdio: true });
 * const verify = await runtime.keyVerifier();
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProjectPaths } from '../config/paths.ts';
import { ensureInitialKey, verifyApiKey } from '../connections/api-keys.ts';
import { connectionAllowed } from '../access/scope.ts';
import { createLogger } from '../observability/logger.ts';
import { createRuntime, type Runtime } from '../runtime/runtime.ts';
import { startScheduler } from '../sync/scheduler.ts';
import { authenticate, type KeyVerifier } from './auth.ts';
import { createConnectRoutes } from './connect-routes.ts';

/** The runtime plus what only `serve` needs. */
export interface ServeRuntime extends Runtime {
  /** Makes sure a key exists (printing a new one once on stderr) and returns the verifier. */
  keyVerifier(): Promise<KeyVerifier>;
}

/** The package version, for the MCP server info and /health. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the runtime for this project (compiling first when the sources changed). */
export async function openServeRuntime(paths: ProjectPaths, options: { stdio: boolean; isolation?: 'worker' | 'inline' }): Promise<ServeRuntime> {
  const logger = createLogger({ stdio: options.stdio, base: { service: 'patchbay' } });
  const runtime = await createRuntime({ paths, logger, ...(options.isolation ? { isolation: options.isolation } : {}) });
  return Object.assign(runtime, {
    async keyVerifier(): Promise<KeyVerifier> {
      const initial = await ensureInitialKey(runtime.store, process.env);
      if (initial.secret) {
        process.stderr.write(
          `\nCreated the first API key (shown once; store it now):\n\n  ${initial.secret}\n\nSend it as "Authorization: Bearer <key>". More keys: patchbay key create --name <name>\n\n`,
        );
      }
      return (secret) => verifyApiKey(runtime.store, secret);
    },
  });
}

/** A handler tried before the router; answers true when it took the request. */
export type PreRouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * `/connect/<integration>` and `/oauth/callback`. The redirect URI is
 * `<publicUrl>/oauth/callback`; without `--public-url` it is this server's own
 * `http://localhost:<port>` (what a local OAuth app registers). A key scoped to some
 * connections may only start flows for those.
 */
export function connectHandlers(runtime: Runtime, options: { verifyKey?: KeyVerifier; publicUrl?: string }): PreRouteHandler[] {
  const verifyKey = options.verifyKey;
  const deps = {
    kv: runtime.store.kv,
    connections: runtime.connections,
    integrations: runtime.integrations,
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
        handler = createConnectRoutes({ ...deps, publicUrl });
        byUrl.set(publicUrl, handler);
      }
      return handler(req, res);
    },
  ];
}

/** Starts the sync scheduler; returns its stop function. */
export function startServeScheduler(runtime: Runtime): () => Promise<void> {
  const scheduler = startScheduler({ runtime, logger: runtime.logger });
  return () => scheduler.stop();
}
