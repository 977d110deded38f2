/**
 * `patchbay serve`: the long-running front end. `--stdio` speaks MCP on stdin/stdout for a
 * local client; otherwise an HTTP server (loopback, port 3003 by default) serves MCP at `/mcp`,
 * `GET /health` and the REST routes, and the sync scheduler runs beside it. SIGINT/SIGTERM stop
 * accepting, cancel running calls, stop the scheduler and close the store.
 *
 * @example
 * patchbay serve --stdio --connection alice
 * patchbay serve --port 3003 --catalog --tools 'github_*'
 */
import type { Command } from 'commander';
import { PatchbayError } from '../../errors.ts';
import { createMcpHandlers } from '../../mcp/handlers.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../../mcp/result.ts';
import { FULL_SCOPE } from '../../access/scope.ts';
import type { ConnectionSelection } from '../../mcp/scope.ts';
import type { McpCallEvent } from '../../mcp/server.ts';
import { serveStdio } from '../../mcp/stdio.ts';
import type { KeyVerifier } from '../../http/auth.ts';
import { isLoopbackHost } from '../../http/security.ts';
import { pathsFrom } from '../options.ts';
import { connectHandlers, openServeRuntime, packageVersion, startServeScheduler } from '../../http/bootstrap.ts';

interface ServeOptions {
  stdio?: boolean;
  host: string;
  port: string;
  auth: boolean;
  scheduler: boolean;
  catalog?: boolean;
  tools?: string;
  connection?: string;
  maxResultBytes: string;
  maxBodyBytes: string;
  allowedOrigins?: string;
  allowedHosts?: string;
  isolation: string;
  publicUrl?: string;
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

function positiveInt(value: string, option: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new PatchbayError('INVALID_ARGUMENT', `${option} must be a whole number; got "${value}".`);
  return number;
}

/** Registers `serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve every action as an MCP tool (stdio or Streamable HTTP at /mcp) plus the HTTP API and the sync scheduler')
    .option('--stdio', 'MCP over stdin/stdout for a local client (logs go to stderr)')
    .option('--host <host>', 'HTTP bind address (localhost = 127.0.0.1 and ::1)', process.env['PATCHBAY_HOST'] ?? 'localhost')
    .option('--port <port>', 'HTTP port (0 = any free port)', process.env['PATCHBAY_PORT'] ?? '3003')
    .option('--no-auth', 'accept HTTP requests without an API key (loopback only)')
    .option('--no-scheduler', 'do not run syncs on their schedule')
    .option('--catalog', 'catalog mode: search_actions, describe_action, call_action instead of one tool per action')
    .option('--tools <globs>', 'only expose these tools, e.g. "github_*,slack_post-message"')
    .option('--connection <id>', 'stdio: the connection every tool uses (default PATCHBAY_CONNECTION)')
    .option('--max-result-bytes <n>', 'cap on a tool result text', String(DEFAULT_MAX_RESULT_BYTES))
    .option('--max-body-bytes <n>', 'cap on an HTTP request body', String(4 * 1024 * 1024))
    .option('--allowed-origins <list>', 'browser origins allowed besides localhost, comma-separated')
    .option('--allowed-hosts <list>', 'Host names allowed besides localhost (DNS rebinding protection), comma-separated')
    .option('--public-url <url>', 'this server as the outside sees it (OAuth redirect URI base; default http://localhost:<port>)', process.env['PATCHBAY_PUBLIC_URL'])
    .option('--isolation <mode>', 'worker: user code in worker threads; inline: on the main thread (trusted code, lower latency)', 'worker')
    .action(async (options: ServeOptions, command: Command) => {
      const paths = pathsFrom(command);
      if (options.isolation !== 'worker' && options.isolation !== 'inline') {
        throw new PatchbayError('INVALID_ARGUMENT', `--isolation must be worker or inline; got "${options.isolation}".`);
      }
      const stdio = options.stdio === true;
      const version = packageVersion();
      const runtime = await openServeRuntime(paths, { stdio, isolation: options.isolation });
      const { logger } = runtime;
      const handlers = createMcpHandlers(
        { manifest: runtime.manifest, executor: runtime.executor, connections: () => runtime.store.connections.list(), records: runtime.store.records },
        { catalogMode: options.catalog === true, maxResultBytes: positiveInt(options.maxResultBytes, '--max-result-bytes'), tools: list(options.tools) },
      );
      const onCall = (event: McpCallEvent) => logger.info({ ...event, durationMs: Math.round(event.durationMs) }, 'tool call');

      let shuttingDown = false;
      const stops: Array<() => Promise<void>> = [];
      const shutdown = async (reason: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        logger.info({ reason }, 'shutting down');
        for (const stop of stops.reverse()) await stop().catch((error) => logger.error({ err: String(error) }, 'shutdown step failed'));
        await runtime.close().catch(() => {});
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));

      if (stdio) {
        const connectionId = options.connection ?? process.env['PATCHBAY_CONNECTION'];
        const selection: ConnectionSelection = connectionId ? { connectionId } : {};
        const session = await serveStdio(handlers, { scope: FULL_SCOPE, selection }, { version, onCall });
        stops.push(() => session.close());
        if (options.scheduler) stops.push(startServeScheduler(runtime));
        logger.info({ tools: handlers.catalog.actions.length, catalog: options.catalog === true }, 'MCP server ready on stdio');
        await session.closed;
        await shutdown('stdin closed');
        return;
      }

      // Loaded here, not at the top: stdio clients start faster without the HTTP transport's modules.
      const [{ createMcpRoute }, { createRouter }, { startHttpServer }] = await Promise.all([
        import('../../http/mcp-route.ts'),
        import('../../http/router.ts'),
        import('../../http/server.ts'),
      ]);
      let verifyKey: KeyVerifier | undefined;
      if (options.auth) {
        verifyKey = await runtime.keyVerifier();
      } else {
        if (!isLoopbackHost(options.host)) {
          throw new PatchbayError('INVALID_ARGUMENT', `--no-auth is only allowed on a loopback host; ${options.host} is reachable from other machines.`);
        }
        process.stderr.write('warning: --no-auth: any program on this machine can call every tool without a key.\n');
      }
      const router = createRouter();
      const preRoutes = connectHandlers(runtime, { verifyKey, publicUrl: options.publicUrl });
      const mcp = createMcpRoute({ handlers, info: { version, onCall } });
      const http = await startHttpServer({
        host: options.host,
        port: positiveInt(options.port, '--port'),
        router,
        preRoutes,
        mcp,
        verifyKey,
        allowedOrigins: list(options.allowedOrigins),
        allowedHosts: list(options.allowedHosts),
        maxBodyBytes: positiveInt(options.maxBodyBytes, '--max-body-bytes'),
        logger,
        health: () => ({ version, tools: handlers.catalog.actions.length, inFlight: mcp.inFlight() }),
      });
      stops.push(async () => {
        mcp.abortAll();
        await http.close();
      });
      if (options.scheduler) stops.push(startServeScheduler(runtime));
      process.stderr.write(`patchbay listening on ${http.url} (MCP at ${http.url}/mcp; ${http.addresses.join(', ')})\n`);
    });
}
