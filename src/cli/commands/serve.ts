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
import { createApp, serveApp, type Serving } from '../../app.ts';
import { PatchbayError } from '../../errors.ts';
import { assertAuthOrLoopback } from '../../http/security.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../../mcp/result.ts';
import { createLogger } from '../../observability/logger.ts';
import { pathsFrom } from '../options.ts';

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
  maxUploadBytes: string;
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
    .option('--max-upload-bytes <n>', 'cap on a body streamed through /proxy to a provider', String(1024 * 1024 * 1024))
    .option('--allowed-origins <list>', 'browser origins allowed besides localhost, comma-separated')
    .option('--allowed-hosts <list>', 'Host names allowed besides localhost (DNS rebinding protection), comma-separated')
    .option('--public-url <url>', 'this server as the outside sees it (OAuth redirect URI base; default http://localhost:<port>)', process.env['PATCHBAY_PUBLIC_URL'])
    .option('--isolation <mode>', 'process: user code in runner processes under Node\'s permission model (default); worker: worker threads of the server (contained, not a boundary); inline: on the main thread (trusted code only)', 'process')
    .action(async (options: ServeOptions, command: Command) => {
      const paths = pathsFrom(command);
      if (options.isolation !== 'process' && options.isolation !== 'worker' && options.isolation !== 'inline') {
        throw new PatchbayError('INVALID_ARGUMENT', `--isolation must be process, worker or inline; got "${options.isolation}".`);
      }
      const stdio = options.stdio === true;
      if (!stdio && !options.auth) assertAuthOrLoopback(false, options.host);
      // A person running serve in a terminal reads lines; a process manager or MCP client gets JSON.
      const logger = createLogger({ stdio, base: { service: 'patchbay' }, pretty: !stdio && process.stdout.isTTY === true });
      const app = await createApp({ paths, logger, isolation: options.isolation });
      let serving: Serving | undefined;
      let shuttingDown = false;
      const shutdown = async (reason: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        logger.info({ reason }, 'shutting down');
        await serving?.stop();
        await app.close().catch(() => {});
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));

      const connection = options.connection ?? process.env['PATCHBAY_CONNECTION'];
      const tools = list(options.tools);
      const allowedOrigins = list(options.allowedOrigins);
      const allowedHosts = list(options.allowedHosts);
      serving = await serveApp(app, {
        stdio,
        host: options.host,
        port: positiveInt(options.port, '--port'),
        auth: options.auth,
        scheduler: options.scheduler,
        catalog: options.catalog === true,
        ...(tools ? { tools } : {}),
        ...(connection ? { connection } : {}),
        maxResultBytes: positiveInt(options.maxResultBytes, '--max-result-bytes'),
        maxBodyBytes: positiveInt(options.maxBodyBytes, '--max-body-bytes'),
        maxUploadBytes: positiveInt(options.maxUploadBytes, '--max-upload-bytes'),
        ...(allowedOrigins ? { allowedOrigins } : {}),
        ...(allowedHosts ? { allowedHosts } : {}),
        ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
        onFirstKey: (secret) =>
          process.stderr.write(
            `\nCreated the first API key (shown once; store it now):\n\n  ${secret}\n\nSend it as "Authorization: Bearer <key>". More keys: patchbay key create --name <name>\n\n`,
          ),
      });
      if (stdio) {
        logger.info({ tools: serving.tools, catalog: options.catalog === true }, 'MCP server ready on stdio');
        await serving.closed;
        await shutdown('stdin closed');
        return;
      }
      if (!options.auth) process.stderr.write('warning: --no-auth: any program on this machine can call every tool without a key.\n');
      process.stderr.write(`patchbay listening on ${serving.url} (MCP at ${serving.url}/mcp; ${serving.addresses?.join(', ')})\n`);
    });
}
