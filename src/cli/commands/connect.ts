/**
 * `patchbay connect <integration> <connection-id>`: the OAuth2 authorization-code flow (PKCE,
 * state) from a terminal. A callback server listens on 127.0.0.1 (`--port`, default 3004; register
 * `http://127.0.0.1:<port>/oauth/callback` as the redirect URI with the provider), the browser
 * opens the provider's consent page, the tokens are exchanged and stored sealed, and the
 * integration's post-connection-creation functions run. `--config '{"subdomain":"acme"}'` fills
 * the provider's `${connectionConfig.subdomain}` URLs (Zendesk, Shopify, Okta…) and is stored.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { finishOAuthFlow, startOAuthFlow } from '../../connections/oauth/flow.ts';
import { PatchbayError, toPatchbayError } from '../../errors.ts';
import { callbackPage, callbackUrl } from '../../http/routes/connect.ts';
import { createApp } from '../../app.ts';
import { parseJsonArgument, pathsFrom } from '../options.ts';

/** Default port of the callback server (serve uses 3003). */
export const DEFAULT_CONNECT_PORT = 3004;

/** Opens `url` in the default browser; false when there is no opener (then the URL is printed only). */
function openBrowser(url: string): boolean {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

interface ConnectOptions {
  browser: boolean;
  port: string;
  timeout: string;
  metadata?: string;
  config?: string;
}

/** Registers `patchbay connect`. */
export function register(program: Command): void {
  program
    .command('connect')
    .description('Connect an account with OAuth2 (opens the browser; tokens stored encrypted)')
    .argument('<integration>', 'integration id (auth mode OAUTH2)')
    .argument('<connection-id>', 'your id for this account')
    .option('--no-browser', 'print the URL instead of opening a browser')
    .option('--port <n>', 'callback server port on 127.0.0.1 (0 = any free port)', String(DEFAULT_CONNECT_PORT))
    .option('--timeout <seconds>', 'how long to wait for the consent', '300')
    .option('--metadata <json>', 'connection metadata (JSON or @file)')
    .option('--config <json>', 'connection config, e.g. {"subdomain":"acme"} (JSON or @file)')
    .action(async (integrationId: string, connectionId: string, options: ConnectOptions, command: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PatchbayError('INVALID_ARGUMENT', `--port must be 0-65535 (got "${options.port}").`);
      const timeoutMs = Number(options.timeout) * 1000;
      const metadata = parseJsonArgument(options.metadata, '--metadata') as Record<string, unknown> | undefined;
      const connectionConfig = parseJsonArgument(options.config, '--config') as Record<string, unknown> | undefined;
      if (connectionConfig !== undefined && (typeof connectionConfig !== 'object' || connectionConfig === null || Array.isArray(connectionConfig))) {
        throw new PatchbayError('INVALID_ARGUMENT', `--config must be a JSON object, e.g. --config '{"subdomain":"acme"}'.`);
      }
      // node:http is imported here, not at the top: importing it as ESM costs ~50 ms (it loads the
      // bundled undici), which every other command, `serve --stdio` included, would pay at start.
      const { createServer } = await import('node:http');
      const runtime = await createApp({ paths: pathsFrom(command) });
      const server = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', (error: NodeJS.ErrnoException) =>
            reject(
              error.code === 'EADDRINUSE'
                ? new PatchbayError('INVALID_ARGUMENT', `Port ${port} is in use. Pass another with --port (and register http://127.0.0.1:<port>/oauth/callback with the provider).`)
                : error,
            ),
          );
          server.listen(port, '127.0.0.1', () => resolve());
        });
        const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const deps = { kv: runtime.store.kv, connections: runtime.connections, integrations: runtime.integrations };
        const started = await startOAuthFlow(deps, {
          integrationId,
          connectionId,
          redirectUri: callbackUrl(publicUrl),
          ...(metadata ? { metadata } : {}),
          ...(connectionConfig ? { connectionConfig } : {}),
          // The local operator has full access: a host outside the provider's suffixes is theirs to choose.
          fullAccess: true,
        });
        const outcome = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new PatchbayError('TIMEOUT', `No OAuth callback within ${options.timeout}s. Run the command again.`)), timeoutMs);
          server.on('request', (req, res) => {
            void (async () => {
              const url = new URL(req.url ?? '/', publicUrl);
              if (url.pathname !== '/oauth/callback') {
                res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: this server only receives the OAuth callback.');
                return;
              }
              const ours = url.searchParams.get('state') === started.state;
              try {
                const summary = await finishOAuthFlow(deps, url);
                res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(callbackPage(true, `"${summary.connection_id}" is connected to ${summary.integration_id}.`));
                clearTimeout(timer);
                resolve();
              } catch (error) {
                const err = toPatchbayError(error, 'OAUTH_FAILED');
                res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(callbackPage(false, err.message));
                if (ours) {
                  clearTimeout(timer);
                  reject(err);
                }
              }
            })().catch(reject);
          });
        });
        process.stdout.write(`Open this URL to connect "${connectionId}" to ${integrationId}:\n\n  ${started.url}\n\nWaiting for the callback on ${callbackUrl(publicUrl)} …\n`);
        if (options.browser) openBrowser(started.url);
        await outcome;
        process.stdout.write(`Connected "${connectionId}" to ${integrationId}. Try it: patchbay connection test ${integrationId} ${connectionId}\n`);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await runtime.close();
      }
    });
}
