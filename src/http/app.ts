/**
 * The one HTTP app of `patchbay serve`, on Hono: every path is a route, the checks every request
 * passes are middleware (Host/Origin/size/protocol version, then the API key on non-public
 * routes, then the body limit), and one error handler turns every PatchbayError into its status
 * (404, 405 and 413 with their own codes). Routes only throw; none writes an error itself.
 *
 *   GET  /health                      public: status, version, tools, calls in flight
 *   GET  /openapi.json                public: this API as OpenAPI 3.1 (openapi.ts)
 *   POST /mcp                         MCP over Streamable HTTP (routes/mcp.ts)
 *   GET  /connect/:integration        start an OAuth flow (routes/connect.ts)
 *   GET  /oauth/callback              public: the provider sends the browser back here
 *   GET  /records                     Nango's records API (routes/records.ts), PATCH /records/prune
 *   POST /action/trigger              run an action, Nango's API (routes/actions.ts), async with
 *   GET  /action/:id[/status]         X-Async: true (queue/async-actions.ts)
 *   GET|POST /connections, GET /connections/:id   Nango's connection API (routes/connections.ts), with
 *   DELETE /connections/:id           POST|PATCH /connections/metadata
 *   POST /sync/{trigger,start,pause}  Nango's sync API (routes/syncs.ts), with GET /sync/status
 *   PUT  /sync/update-connection-frequency
 *   GET  /integrations[/:key]         the project's integrations and functions (routes/catalog.ts)
 *   GET  /providers[/:provider]       the provider catalog
 *   *    /proxy/<endpoint>            Nango's proxy: the provider's API with the connection's auth (routes/proxy.ts)
 *
 * The REST API, incoming webhooks and the dashboard mount their routes here too.
 *
 * @example
 * const app = createHttpApp({ policy: policyFor('localhost', { maxBodyBytes }), verifyKey, mcp, records: store.records });
 * const server = await listenHttp(app, { host: 'localhost', port: 3003, auth: true });
 */
import { Hono, type Context } from 'hono';
import { PatchbayError, boundedErrorJSON, toPatchbayError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../observability/truncate.ts';
import type { RecordStore } from '../records/types.ts';
import type { KeyVerifier } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import { guard, limitBody, requireKey, type AppEnv } from './middleware.ts';
import { errorResponse, jsonRpcErrorResponse, methodNotAllowed, statusForCode } from './respond.ts';
import { oauthCallback, startConnect, type ConnectRoutesDeps } from './routes/connect.ts';
import { isParseError, type McpRoute } from './routes/mcp.ts';
import { listRecords, pruneRecords } from './routes/records.ts';
import { getActionResult, getActionStatus, triggerAction, type ActionRouteDeps } from './routes/actions.ts';
import { mountNotServed } from './routes/not-served.ts';
import { proxy, type ProxyRouteDeps } from './routes/proxy.ts';
import { getIntegration, integrationsAreFiles, listIntegrations, listProviders, showProvider, type CatalogRouteDeps } from './routes/catalog.ts';
import { pauseSyncs, startSyncs, syncStatus, updateConnectionFrequency, type SyncRouteDeps } from './routes/syncs.ts';
import { changeMetadata, deleteConnection, getConnection, importConnection, listConnections, type ConnectionRouteDeps } from './routes/connections.ts';
import type { SecurityPolicy } from './security.ts';

/** What the app serves; a route is mounted only when its part is given. */
export interface HttpAppDeps {
  policy: SecurityPolicy;
  /** Undefined = `--no-auth` (http/server.ts refuses that off loopback). */
  verifyKey?: KeyVerifier;
  mcp?: McpRoute;
  connect?: ConnectRoutesDeps;
  records?: Pick<RecordStore, 'query' | 'prune'>;
  actions?: ActionRouteDeps;
  connections?: ConnectionRouteDeps;
  syncs?: SyncRouteDeps;
  catalog?: CatalogRouteDeps;
  proxy?: ProxyRouteDeps;
  /** patchbay's version, for `GET /openapi.json`. */
  version?: string;
  /** Extra fields for `GET /health`. */
  health?: () => Record<string, unknown>;
  logger?: Pick<Logger, 'error'>;
  /** Cap on an error body, as on a tool result (`--max-result-bytes`, default 100 KB). */
  maxResultBytes?: number;
}

const MCP_STATELESS = 'Method not allowed: this server is stateless; send JSON-RPC with POST.';

/** Builds the app; `app.fetch` is the whole server. */
export function createHttpApp(deps: HttpAppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const key = requireKey(deps.verifyKey);
  /** After a path's routes: any other method is 405 naming the allowed ones. */
  const onlyThese = (path: string, allow: string[], message?: string) =>
    app.all(path, () => {
      throw message ? new PatchbayError('METHOD_NOT_ALLOWED', message, { details: { allow } }) : methodNotAllowed(path, allow);
    });

  app.use('*', guard(deps.policy));

  app.get('/health', (c) => c.json({ status: 'ok', ...(deps.health?.() ?? {}) }));
  onlyThese('/health', ['GET']);
  let openapi: Record<string, unknown> | undefined;
  app.get('/openapi.json', (c) => c.json((openapi ??= openApiDocument({ version: deps.version ?? '0.0.0' }))));
  onlyThese('/openapi.json', ['GET']);

  // Nango routes patchbay does not serve: 501 with what to do instead.
  mountNotServed(app, key);

  if (deps.mcp) {
    const mcp = deps.mcp;
    app.post('/mcp', key, limitBody(deps.policy.maxBodyBytes), (c) => mcp.handle(c));
    onlyThese('/mcp', ['POST'], MCP_STATELESS);
  }

  if (deps.connect) {
    const start = startConnect(deps.connect);
    for (const path of ['/connect/:integration', '/connect/:integration/']) {
      app.get(path, key, start);
      onlyThese(path, ['GET']);
    }
    app.get('/oauth/callback', oauthCallback(deps.connect));
    onlyThese('/oauth/callback', ['GET']);
  }

  if (deps.records) {
    // `@nangohq/node` asks for `/records/?…`.
    for (const path of ['/records', '/records/']) {
      app.get(path, key, listRecords(deps.records));
      onlyThese(path, ['GET']);
    }
    app.patch('/records/prune', key, limitBody(deps.policy.maxBodyBytes), pruneRecords(deps.records));
    onlyThese('/records/prune', ['PATCH']);
  }

  if (deps.actions) {
    app.post('/action/trigger', key, limitBody(deps.policy.maxBodyBytes), triggerAction(deps.actions));
    onlyThese('/action/trigger', ['POST']);
    // After /action/trigger, so that path keeps its 405 for other methods.
    app.get('/action/:id', key, getActionResult(deps.actions));
    onlyThese('/action/:id', ['GET']);
    app.get('/action/:id/status', key, getActionStatus(deps.actions));
    onlyThese('/action/:id/status', ['GET']);
  }

  if (deps.connections) {
    const body = limitBody(deps.policy.maxBodyBytes);
    // `/connection/…` is the older name Nango still answers (and older clients call).
    for (const base of ['/connections', '/connection']) {
      app.get(base, key, listConnections(deps.connections));
      app.post(base, key, body, importConnection(deps.connections));
      app.post(`${base}/metadata`, key, body, changeMetadata(deps.connections, 'set'));
      app.patch(`${base}/metadata`, key, body, changeMetadata(deps.connections, 'update'));
      onlyThese(`${base}/metadata`, ['POST', 'PATCH']);
      app.get(`${base}/:connectionId`, key, getConnection(deps.connections));
      app.delete(`${base}/:connectionId`, key, deleteConnection(deps.connections));
      onlyThese(base, ['GET', 'POST']);
      onlyThese(`${base}/:connectionId`, ['GET', 'DELETE']);
    }
  }

  if (deps.syncs) {
    const body = limitBody(deps.policy.maxBodyBytes);
    app.post('/sync/trigger', key, body, startSyncs(deps.syncs, 'trigger'));
    app.post('/sync/start', key, body, startSyncs(deps.syncs, 'start'));
    app.post('/sync/pause', key, body, pauseSyncs(deps.syncs));
    for (const path of ['/sync/trigger', '/sync/start', '/sync/pause']) onlyThese(path, ['POST']);
    app.get('/sync/status', key, syncStatus(deps.syncs));
    onlyThese('/sync/status', ['GET']);
    app.put('/sync/update-connection-frequency', key, body, updateConnectionFrequency(deps.syncs));
    onlyThese('/sync/update-connection-frequency', ['PUT']);
  }

  if (deps.proxy) {
    const forward = proxy({ maxBodyBytes: deps.policy.maxBodyBytes, ...deps.proxy });
    for (const path of ['/proxy', '/proxy/*']) {
      // No body limit here: uploads stream to the provider (routes/proxy.ts caps them).
      app.on(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], path, key, forward);
      onlyThese(path, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    }
  }

  if (deps.catalog) {
    app.get('/integrations', key, listIntegrations(deps.catalog));
    app.post('/integrations', key, integrationsAreFiles);
    onlyThese('/integrations', ['GET']);
    app.get('/integrations/:uniqueKey', key, getIntegration(deps.catalog));
    app.on(['PATCH', 'DELETE'], '/integrations/:uniqueKey', key, integrationsAreFiles);
    onlyThese('/integrations/:uniqueKey', ['GET']);
    app.get('/providers', key, listProviders());
    onlyThese('/providers', ['GET']);
    app.get('/providers/:provider', key, showProvider());
    onlyThese('/providers/:provider', ['GET']);
  }

  app.notFound((c) => errorResponse(new PatchbayError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}. See docs/http.md for the HTTP API.`), {}, deps.maxResultBytes));
  app.onError((error, c) => answerError(error, c, deps));
  return app;
}

/**
 * The one error handler. `/mcp` answers transport-level failures (origin, size, parse, method)
 * as JSON-RPC errors, since its clients read JSON-RPC; a missing key stays a plain 401 there too.
 * Unexpected errors are logged and answered 500 with a code; the process keeps serving.
 */
function answerError(error: unknown, c: Context<AppEnv>, deps: HttpAppDeps): Response {
  const err = toPatchbayError(error);
  const status = statusForCode(err.code);
  if (status >= 500) deps.logger?.error({ err: { message: err.message, code: err.code }, url: c.req.path }, 'request failed');
  if (c.req.path === '/mcp' && err.code !== 'UNAUTHORIZED') {
    const allow = (err.details as { allow?: string[] } | undefined)?.allow;
    const message = boundedErrorJSON(err, deps.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES).message;
    return jsonRpcErrorResponse(status, isParseError(err) ? -32700 : -32000, message, allow ? { allow: allow.join(', ') } : {});
  }
  return errorResponse(err, {}, deps.maxResultBytes);
}
