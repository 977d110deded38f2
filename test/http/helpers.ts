/**
 * The HTTP app of `serve` on a real socket, for tests that mount only some routes: the same
 * `createHttpApp` and `listenHttp` as `patchbay serve`, on 127.0.0.1 and a free port.
 */
import { createHttpApp, type HttpAppDeps } from '../../src/http/app.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/http/respond.ts';
import { policyFor } from '../../src/http/security.ts';
import { listenHttp, type RunningHttpServer } from '../../src/http/server.ts';

/**
 * Listens first, then builds the app from `deps(base)`, so routes can know their own URL
 * (the OAuth redirect URI needs it).
 */
export async function serveHttpApp(deps: (base: string) => Omit<HttpAppDeps, 'policy'>): Promise<RunningHttpServer & { base: string }> {
  let app: ReturnType<typeof createHttpApp> | undefined;
  const server = await listenHttp({ fetch: (request, env) => app!.fetch(request, env) }, { host: '127.0.0.1', port: 0, auth: true });
  const base = `http://127.0.0.1:${server.port}`;
  app = createHttpApp({ policy: policyFor('127.0.0.1', { maxBodyBytes: DEFAULT_MAX_BODY_BYTES }), ...deps(base) });
  return { ...server, base };
}
