/**
 * The HTTP server of `patchbay serve`: `/mcp` (Streamable HTTP), `/health`, and a router for
 * the rest of the API. Every request first passes the pure checks of security.ts (Host,
 * Origin, size, protocol version), then the API key (unless the route is public or the server
 * runs `--no-auth` on loopback). It binds loopback by default; `localhost` listens on both
 * 127.0.0.1 and ::1 so either resolution of the name reaches it. A handler that throws answers
 * 500 with a code; the process keeps serving.
 *
 * @example
 * const http = await startHttpServer({ host: 'localhost', port: 3003, router, mcp, verifyKey, logger });
 * console.error(`listening on ${http.url}`);
 * await http.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PatchbayError } from '../errors.ts';
import { authenticate, bearerToken, selectionFromHeaders, type KeyVerifier } from './auth.ts';
import { jsonRpcError, type McpRoute } from './mcp-route.ts';
import { DEFAULT_MAX_BODY_BYTES, isBodyTooLarge, readJsonBody, sendError, sendJson } from './respond.ts';
import { FULL_SCOPE } from '../access/scope.ts';
import type { Router } from './router.ts';
import { checkRequest, isLoopbackHost, policyFor, type SecurityPolicy } from './security.ts';

/** The subset of a pino logger the server uses. */
export interface HttpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  router: Router;
  mcp?: McpRoute;
  /** Undefined = `--no-auth` (refused unless the host is loopback). */
  verifyKey?: KeyVerifier;
  allowedOrigins?: string[];
  allowedHosts?: string[];
  maxBodyBytes?: number;
  logger?: HttpLogger;
  /** Handlers tried after `/mcp` and before the router (the connect routes); true = handled. */
  preRoutes?: Array<(req: IncomingMessage, res: ServerResponse) => Promise<boolean>>;
  /** Extra fields for `GET /health`. */
  health?: () => Record<string, unknown>;
}

export interface RunningHttpServer {
  /** `http://localhost:3003` (or the bound host). */
  url: string;
  port: number;
  /** Every bound address. */
  addresses: string[];
  close(): Promise<void>;
}

function unauthorized(res: ServerResponse, req: IncomingMessage): void {
  const hasToken = bearerToken(req.headers) !== undefined;
  const otherScheme = !hasToken && req.headers.authorization !== undefined;
  sendError(
    res,
    new PatchbayError(
      'UNAUTHORIZED',
      hasToken
        ? 'The API key is unknown or revoked. Create one with `patchbay key create --name <name>`.'
        : otherScheme
          ? 'The Authorization header must use the Bearer scheme: `Authorization: Bearer <key>`.'
          : 'Missing API key: send `Authorization: Bearer <key>` (the key was printed on first start; create another with `patchbay key create --name <name>`).',
    ),
    { 'www-authenticate': 'Bearer' },
  );
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-allow-headers': 'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id, connection-id, provider-config-key',
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-expose-headers': 'mcp-session-id, www-authenticate',
  };
}

/** The request handler, separate from listening so tests and embedders can mount it. */
export function createRequestHandler(options: HttpServerOptions, policy: SecurityPolicy) {
  const logger = options.logger;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const verdict = checkRequest(url.pathname === '/mcp' ? req.headers : { ...req.headers, 'mcp-protocol-version': undefined }, policy);
      if (!verdict.ok) {
        if (url.pathname === '/mcp') return jsonRpcError(res, verdict.status, -32000, verdict.message);
        return sendJson(res, verdict.status, { error: { code: verdict.code, message: verdict.message } });
      }
      for (const [name, value] of Object.entries(corsHeaders(req))) res.setHeader(name, value);
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok', ...(options.health?.() ?? {}) });

      if (url.pathname === '/mcp' && options.mcp) {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return jsonRpcError(res, 405, -32000, 'Method not allowed: this server is stateless; send JSON-RPC with POST.');
        }
        const scope = await authenticate(req.headers, options.verifyKey);
        if (!scope) return unauthorized(res, req);
        let body: unknown;
        try {
          body = await readJsonBody(req, policy.maxBodyBytes);
        } catch (error) {
          if (isBodyTooLarge(error)) return jsonRpcError(res, 413, -32000, (error as Error).message);
          return jsonRpcError(res, 400, -32700, `Parse error: ${(error as Error).message}`);
        }
        return await options.mcp.handle(req, res, body, scope, selectionFromHeaders(req.headers));
      }

      for (const handle of options.preRoutes ?? []) if (await handle(req, res)) return;

      const match = options.router.match(req.method ?? 'GET', url.pathname);
      if (!match) return sendError(res, new PatchbayError('NOT_FOUND', `No route ${req.method} ${url.pathname}. See docs/mcp.md for the HTTP API.`));
      if ('methodNotAllowed' in match) {
        res.setHeader('allow', match.methodNotAllowed.join(', '));
        return sendJson(res, 405, { error: { code: 'INVALID_ARGUMENT', message: `Use ${match.methodNotAllowed.join(' or ')} for ${url.pathname}.` } });
      }
      let scope = FULL_SCOPE;
      if (!match.route.public) {
        const found = await authenticate(req.headers, options.verifyKey);
        if (!found) return unauthorized(res, req);
        scope = found;
      }
      await match.route.handler(req, res, { params: match.params, url, scope });
    } catch (error) {
      if (isBodyTooLarge(error)) return sendJson(res, 413, { error: { code: 'INVALID_ARGUMENT', message: (error as Error).message } });
      logger?.error({ err: error instanceof Error ? { message: error.message, code: (error as PatchbayError).code } : String(error), url: req.url }, 'request failed');
      if (!res.headersSent) sendError(res, error);
      else res.end();
    }
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts listening; rejects `--no-auth` on a non-loopback host. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  if (!options.verifyKey && !isLoopbackHost(options.host)) {
    throw new PatchbayError('INVALID_ARGUMENT', `--no-auth is only allowed on a loopback host; ${options.host} is reachable from other machines. Remove --no-auth and use an API key.`);
  }
  const policy = policyFor(options.host, {
    allowedOrigins: options.allowedOrigins,
    allowedHosts: options.allowedHosts,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  const handler = createRequestHandler(options, policy);
  const hosts = options.host === 'localhost' ? ['127.0.0.1', '::1'] : [options.host];
  const servers: Server[] = [];
  const addresses: string[] = [];
  let port = options.port;
  for (const host of hosts) {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void handler(req, res));
    try {
      const address = await listen(server, port, host);
      port = address.port;
      servers.push(server);
      addresses.push(address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ::1 may be missing (IPv6 disabled): 127.0.0.1 alone still serves `localhost`.
      if (servers.length > 0 && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      for (const started of servers) started.close();
      if (code === 'EADDRINUSE') throw new PatchbayError('INVALID_ARGUMENT', `Port ${port} on ${host} is in use. Pick another with --port.`, { cause: error });
      throw error;
    }
  }
  const displayHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${displayHost}:${port}`,
    port,
    addresses,
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections();
              setTimeout(() => server.closeAllConnections(), 2000).unref();
            }),
        ),
      );
    },
  };
}
