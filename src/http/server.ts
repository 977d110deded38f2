/**
 * Listening: binds the HTTP app (http/app.ts) to a host and port. It binds loopback by default;
 * `localhost` listens on both 127.0.0.1 and ::1 so either resolution of the name reaches it.
 * `--no-auth` is refused on a host other machines can reach.
 *
 * @example
 * const http = await listenHttp(app, { host: 'localhost', port: 3003, auth: true });
 * console.error(`listening on ${http.url}`);
 * await http.close();
 */
import { getRequestListener } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { PatchbayError } from '../errors.ts';
import type { AppEnv } from './middleware.ts';
import { assertAuthOrLoopback } from './security.ts';

export interface ListenOptions {
  host: string;
  port: number;
  /** False = `--no-auth`: refused unless the host is loopback. */
  auth: boolean;
  /**
   * How long a client may take to send its request headers (default 10 s) and its whole request
   * (default 60 s; bodies are capped at a few MB): a stalled or trickling client is cut off, never
   * holding a connection. The answer may take as long as the call does.
   */
  timeouts?: { headersMs?: number; requestMs?: number };
}

/** See `ListenOptions.timeouts`. */
export const DEFAULT_REQUEST_TIMEOUTS = { headersMs: 10_000, requestMs: 60_000 };

export interface RunningHttpServer {
  /** `http://localhost:3003` (or the bound host). */
  url: string;
  port: number;
  /** Every bound address. */
  addresses: string[];
  close(): Promise<void>;
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
export async function listenHttp(app: Pick<Hono<AppEnv>, 'fetch'>, options: ListenOptions): Promise<RunningHttpServer> {
  assertAuthOrLoopback(options.auth, options.host);
  // Node's own Request/Response stay global: user code and undici keep the real classes.
  const handler = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const hosts = options.host === 'localhost' ? ['127.0.0.1', '::1'] : [options.host];
  const servers: Server[] = [];
  const addresses: string[] = [];
  let port = options.port;
  for (const host of hosts) {
    const { headersMs, requestMs } = { ...DEFAULT_REQUEST_TIMEOUTS, ...options.timeouts };
    const server = createServer(
      // Node checks the two timeouts every `connectionsCheckingInterval`: often enough to honour them.
      { keepAliveTimeout: 65_000, headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersMs / 4))) },
      (req, res) => void handler(req, res),
    );
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
