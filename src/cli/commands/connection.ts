/**
 * `patchbay connection add|list|show|remove|test`: the credentials patchbay holds for each user of
 * an integration. Secrets are accepted from flags, a JSON file or stdin (`-`), sealed at once, and
 * only ever shown masked.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Credentials } from '../../define/context.ts';
import { PatchbayError } from '../../errors.ts';
import { loadKeyRing } from '../../connections/key-file.ts';
import { createConnectionService } from '../../connections/service.ts';
import type { ConnectionService, ConnectionSummary } from '../../connections/types.ts';
import { verifyConnection } from '../../runtime/verify-connection.ts';
import type { ProjectPaths } from '../../config/paths.ts';
import { assertConnectionConfig, loadIntegrationConfig } from '../../providers/index.ts';
import type { AuthMode } from '../../providers/types.ts';
import { clientCredentialsToken } from '../../connections/oauth/oauth2.ts';
import { createApp, openConnections, type App } from '../../app.ts';
import { parseJsonArgument, pathsFrom } from '../options.ts';

interface AddOptions {
  apiKey?: string;
  token?: string;
  basic?: string;
  credentials?: string;
  metadata?: string;
  config?: string;
}

/** `-` reads the secret from stdin, so it stays out of shell history and `ps`. */
function secretArgument(value: string): string {
  return value === '-' ? readFileSync(0, 'utf8').trim() : value;
}

/** Builds credentials from the add flags; the auth mode decides what `--token` means. */
export function credentialsFromFlags(options: AddOptions, mode: AuthMode): unknown {
  const given = ['apiKey', 'token', 'basic', 'credentials'].filter((flag) => options[flag as keyof AddOptions] !== undefined);
  if (given.length > 1) throw new PatchbayError('INVALID_ARGUMENT', 'Pass one of --api-key, --token, --basic or --credentials, not several.');
  if (options.credentials !== undefined) return parseJsonArgument(options.credentials, '--credentials');
  if (options.apiKey !== undefined) return { type: 'API_KEY', api_key: secretArgument(options.apiKey) };
  if (options.token !== undefined) {
    const token = secretArgument(options.token);
    return mode === 'OAUTH2' || mode === 'OAUTH2_CC' ? { type: mode, access_token: token, raw: {} } : { type: 'BEARER', token };
  }
  if (options.basic !== undefined) {
    const value = secretArgument(options.basic);
    const at = value.indexOf(':');
    if (at < 1) throw new PatchbayError('INVALID_ARGUMENT', '--basic expects USER:PASS (the password may be empty: USER:).');
    return { type: 'BASIC', username: value.slice(0, at), password: value.slice(at + 1) };
  }
  if (mode === 'NONE') return { type: 'NONE' };
  if (mode === 'OAUTH2') throw new PatchbayError('INVALID_ARGUMENT', 'This integration uses OAuth2: run `patchbay connect <integration> <connection-id>`, or pass --token / --credentials.');
  throw new PatchbayError('INVALID_ARGUMENT', `No credentials given. This integration uses ${mode}: pass ${mode === 'API_KEY' ? '--api-key <KEY>' : mode === 'BASIC' ? '--basic USER:PASS' : '--token <TOKEN> or --credentials JSON'}.`);
}

function jsonObject(value: string | undefined, option: string): Record<string, unknown> | undefined {
  const parsed = parseJsonArgument(value, option);
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PatchbayError('INVALID_ARGUMENT', `${option} must be a JSON object, e.g. ${option} '{"key":"value"}'.`);
  return parsed as Record<string, unknown>;
}

/**
 * Opens the store and the service alone: enough for reads, no build needed. Loads even when no
 * row opens with the configured key, so each one is reported as unreadable (and can be removed).
 */
async function withService<T>(paths: ProjectPaths, fn: (service: ConnectionService) => Promise<T>): Promise<T> {
  const opened = await openConnections(paths, process.env, { allowUnknownKeys: true });
  try {
    return await fn(opened.connections);
  } finally {
    await opened.close();
  }
}

/** The whole app (on-event functions, HTTP client), for add, remove and test. */
async function withRuntime<T>(paths: ProjectPaths, fn: (runtime: App) => Promise<T>): Promise<T> {
  const runtime = await createApp({ paths });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** `show alice` or `show github alice`: one id is enough when only one integration has it. */
async function resolveTarget(service: ConnectionService, first: string, second: string | undefined): Promise<[string, string]> {
  if (second !== undefined) return [first, second];
  const matches = (await service.list()).filter((c) => c.connection_id === first);
  if (matches.length === 1) return [matches[0]!.integration_id, first];
  if (matches.length === 0) throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${first}". See patchbay connection list.`);
  throw new PatchbayError('INVALID_ARGUMENT', `"${first}" exists for several integrations (${matches.map((m) => m.integration_id).join(', ')}). Name one: patchbay connection show <integration> ${first}`);
}

function printSummary(summary: ConnectionSummary): void {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.credentials_error) process.stderr.write(`warning: ${summary.credentials_error}\n`);
}

async function summaryOf(service: ConnectionService, integrationId: string, connectionId: string): Promise<ConnectionSummary> {
  const found = (await service.list({ integrationId })).find((c) => c.connection_id === connectionId);
  if (!found) throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${connectionId}" for integration "${integrationId}". See patchbay connection list.`);
  return found;
}

/** Registers `patchbay connection …`. */
export function register(program: Command): void {
  const connection = program.command('connection').description('Add, list, show, remove and test connections (stored credentials, encrypted)');

  connection
    .command('add')
    .description('Store credentials for <connection-id> of <integration> (secrets: a value or - for stdin)')
    .argument('<integration>', 'integration id (folder under integrations/ or a catalog provider)')
    .argument('<connection-id>', 'your id for this account, e.g. a user id')
    .option('--api-key <key>', 'API_KEY auth (OAUTH2_CC integrations need no flag: a token is fetched)')
    .option('--token <token>', 'BEARER auth, or an OAuth2 access token')
    .option('--basic <user:pass>', 'BASIC auth')
    .option('--credentials <json>', 'credentials as JSON or @file.json (any auth mode)')
    .option('--metadata <json>', 'connection metadata (JSON or @file)')
    .option('--config <json>', 'connection config, e.g. {"subdomain":"acme"} (JSON or @file)')
    .action(async (integrationId: string, connectionId: string, options: AddOptions, command: Command) => {
      const paths = pathsFrom(command);
      const integration = await loadIntegrationConfig(paths, integrationId);
      const mode = integration.provider.auth_mode;
      const noFlags = [options.apiKey, options.token, options.basic, options.credentials].every((value) => value === undefined);
      // Client credentials need no user secret: fetch the first token with the integration's oauth client.
      const metadata = jsonObject(options.metadata, '--metadata');
      const connectionConfig = jsonObject(options.config, '--config');
      // Before the client-credentials request below sends the client secret to a URL the config fills.
      // The local operator has full access: only the syntax rules can refuse a value.
      assertConnectionConfig(integration, connectionConfig, { fullAccess: true });
      const credentials = (
        mode === 'OAUTH2_CC' && noFlags ? await clientCredentialsToken(integration, { connectionConfig: connectionConfig ?? {}, connectionId, fullAccess: true }) : credentialsFromFlags(options, mode)
      ) as Credentials;
      await withRuntime(paths, async (runtime) => {
        const summary = await runtime.connections.add({
          integrationId,
          connectionId,
          credentials,
          ...(metadata ? { metadata } : {}),
          ...(connectionConfig ? { connectionConfig } : {}),
          fullAccess: true,
        });
        process.stdout.write(`Added connection "${connectionId}" to ${integrationId} (${summary.auth_mode}). Try it: patchbay connection test ${integrationId} ${connectionId}\n`);
      });
    });

  connection
    .command('list')
    .description('List connections (secrets never shown)')
    .option('--integration <id>', 'only this integration')
    .option('--json', 'print JSON')
    .action(async (options: { integration?: string; json?: boolean }, command: Command) => {
      await withService(pathsFrom(command), async (service) => {
        const list = await service.list(options.integration ? { integrationId: options.integration } : {});
        if (options.json) {
          process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
          return;
        }
        if (list.length === 0) {
          process.stdout.write('No connections yet. Add one: patchbay connection add <integration> <connection-id> --token <T>\n');
          return;
        }
        const rows = [
          ['INTEGRATION', 'CONNECTION', 'AUTH', 'REFRESH', 'CREATED'],
          ...list.map((c) => [c.integration_id, c.connection_id, c.auth_mode ?? 'UNREADABLE', c.refresh_status ?? '-', c.created_at]),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const row of rows) process.stdout.write(`${row.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
        const unreadable = list.filter((c) => c.credentials_error !== undefined);
        if (unreadable.length > 0) {
          const first = unreadable[0]!;
          process.stderr.write(
            `warning: ${unreadable.length} connection(s) cannot be opened (AUTH UNREADABLE): sealed under a key patchbay does not have. See why and how to fix it: patchbay connection show ${first.integration_id} ${first.connection_id}\n`,
          );
        }
      });
    });

  connection
    .command('show')
    .description('Show one connection, secrets masked: show <integration> <id>, or show <id> when unambiguous')
    .argument('<integration-or-id>')
    .argument('[connection-id]')
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      await withService(pathsFrom(command), async (service) => {
        const [integrationId, connectionId] = await resolveTarget(service, first, second);
        printSummary(await summaryOf(service, integrationId, connectionId));
      });
    });

  for (const what of ['metadata', 'config'] as const) {
    connection
      .command(what)
      .description(
        what === 'metadata'
          ? "Print a connection's metadata, or change it: --set JSON replaces it, --merge JSON adds and overwrites keys (what nango.getMetadata() reads)"
          : "Print a connection's config, or change it: --set JSON replaces it, --merge JSON adds and overwrites keys (checked against the provider's declared fields)",
      )
      .argument('<integration-or-id>')
      .argument('[connection-id]')
      .option('--set <json>', 'replace it with this JSON object (or @file.json)')
      .option('--merge <json>', 'merge this JSON object into it (or @file.json)')
      .action(async (first: string, second: string | undefined, options: { set?: string; merge?: string }, command: Command) => {
        if (options.set !== undefined && options.merge !== undefined) throw new PatchbayError('INVALID_ARGUMENT', 'Pass --set or --merge, not both.');
        const set = jsonObject(options.set, '--set');
        const merge = jsonObject(options.merge, '--merge');
        await withService(pathsFrom(command), async (service) => {
          const [integrationId, connectionId] = await resolveTarget(service, first, second);
          const row = await service.get(integrationId, connectionId);
          const current = (what === 'metadata' ? row.metadata : row.connection_config) ?? {};
          let next = current;
          if (set || merge) {
            next = set ?? { ...current, ...merge };
            // The operator at the terminal has full access: any valid host a provider allows.
            if (what === 'metadata') await service.setMetadata(integrationId, connectionId, next);
            else await service.setConnectionConfig(integrationId, connectionId, next, { fullAccess: true });
          }
          process.stdout.write(`${JSON.stringify(next, null, 2)}\n`);
        });
      });
  }

  connection
    .command('remove')
    .description('Remove a connection (runs pre-connection-deletion functions first)')
    .argument('<integration-or-id>')
    .argument('[connection-id]')
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const paths = pathsFrom(command);
      const target = await withService(paths, async (service) => {
        const [integrationId, connectionId] = await resolveTarget(service, first, second);
        const summary = await summaryOf(service, integrationId, connectionId);
        if (summary.credentials_error === undefined) return [integrationId, connectionId] as const;
        // No function can act for it without its credentials, and the runtime may refuse to start
        // when no row opens: remove it here, without pre-connection-deletion functions.
        process.stderr.write(`warning: skipping the pre-connection-deletion functions of "${connectionId}" (${integrationId}): its credentials cannot be opened, so they could not act for it.\n`);
        await service.remove(integrationId, connectionId);
        process.stdout.write(`Removed connection "${connectionId}" from ${integrationId}. Add it again with: patchbay connection add ${integrationId} ${connectionId} …\n`);
        return undefined;
      });
      if (!target) return;
      const [integrationId, connectionId] = target;
      await withRuntime(paths, async (runtime) => {
        if (!(await runtime.connections.remove(integrationId, connectionId))) {
          throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${connectionId}" for integration "${integrationId}". See patchbay connection list.`);
        }
        process.stdout.write(`Removed connection "${connectionId}" from ${integrationId}.\n`);
      });
    });

  connection
    .command('test')
    .description("Check a connection's credentials (validate-connection function, or the provider's verification endpoint)")
    .argument('<integration-or-id>')
    .argument('[connection-id]')
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const paths = pathsFrom(command);
      const [integrationId, connectionId] = await withService(paths, (service) => resolveTarget(service, first, second));
      await withRuntime(paths, async (runtime) => {
        const result = await verifyConnection(runtime, integrationId, connectionId);
        process.stdout.write(`OK: "${connectionId}" (${integrationId}) works — ${result.method === 'validate-connection' ? `validate-connection function ${result.detail}` : result.detail}.\n`);
      });
    });
}
