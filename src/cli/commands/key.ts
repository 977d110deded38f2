/**
 * `patchbay key create|list|revoke|rotate-encryption`: API keys for the HTTP server and `/mcp`
 * (secrets shown once, stored hashed), and re-encryption of every stored credential under a new
 * encryption key.
 */
import type { Command } from 'commander';
import { openProjectStore } from '../../app.ts';
import { createApiKey } from '../../connections/api-keys.ts';
import { rotateEncryptionKey } from '../../connections/rotate.ts';
import { PatchbayError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';
import type { ProjectPaths } from '../../config/paths.ts';
import { pathsFrom } from '../options.ts';

async function withStore<T>(paths: ProjectPaths, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openProjectStore(paths);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `key-2026-11-29`, or `key-2026-11-29-2`, `-3`… when an active key already has that name. */
async function freeDefaultName(store: Store): Promise<string> {
  const base = `key-${new Date().toISOString().slice(0, 10)}`;
  const taken = new Set((await store.keys.list()).filter((row) => row.revoked_at === null).map((row) => row.name));
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

const list = (value: string | undefined): string[] | null =>
  value === undefined ? null : value.split(',').map((part) => part.trim()).filter((part) => part !== '');

/** Registers `patchbay key …`. */
export function register(program: Command): void {
  const key = program.command('key').description('API keys for the HTTP server and MCP; encryption key rotation');

  key
    .command('create')
    .description('Create an API key (the secret is printed once)')
    .option('--name <name>', 'a label for the key (default key-<date>, numbered when taken)')
    .option('--connections <list>', 'comma-separated connections it may use (integration:connection or connection); default all')
    .option('--tools <globs>', 'comma-separated tool-name globs it may call, e.g. github_*; default all')
    .option('--json', 'print { id, name, secret } as JSON')
    .action(async (options: { name?: string; connections?: string; tools?: string; json?: boolean }, command: Command) => {
      await withStore(pathsFrom(command), async (store) => {
        const name = options.name ?? (await freeDefaultName(store));
        const { row, secret } = await createApiKey(store, { name, connections: list(options.connections), tools: list(options.tools) });
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ id: row.id, name: row.name, secret, connections: row.connections, tools: row.tools })}\n`);
          return;
        }
        process.stdout.write(`Created API key ${row.id} (${row.name}). Secret, shown only now:\n\n  ${secret}\n\nSend it as "Authorization: Bearer <secret>".\n`);
      });
    });

  key
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withStore(pathsFrom(command), async (store) => {
        const rows = (await store.keys.list()).map(({ hash: _hash, ...row }) => row);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('No API keys. Create one: patchbay key create --name <label>\n');
          return;
        }
        for (const row of rows) {
          const state = row.revoked_at ? `revoked ${row.revoked_at}` : `last used ${row.last_used_at ?? 'never'}`;
          const scope = `connections: ${row.connections?.join(',') ?? 'all'}; tools: ${row.tools?.join(',') ?? 'all'}`;
          process.stdout.write(`${row.id}  ${row.name}  ${state}  (${scope})\n`);
        }
      });
    });

  key
    .command('revoke')
    .description('Revoke an API key by id or name (takes effect on the next request)')
    .argument('<id-or-name>')
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      await withStore(pathsFrom(command), async (store) => {
        if (!(await store.keys.revoke(idOrName))) {
          throw new PatchbayError('NOT_FOUND', `No active API key with id or name "${idOrName}". See patchbay key list.`);
        }
        process.stdout.write(`Revoked ${idOrName}.\n`);
      });
    });

  key
    .command('rotate-encryption')
    .description('Re-encrypt every stored credential under a new encryption key, without downtime')
    .option('--new-key <key>', 'the new key (32 bytes, hex or base64); generated when omitted')
    .action(async (options: { newKey?: string }, command: Command) => {
      const paths = pathsFrom(command);
      await withStore(paths, async (store) => {
        const result = await rotateEncryptionKey({ store, keyFile: paths.keyFile, ...(options.newKey ? { newKey: options.newKey } : {}) });
        process.stdout.write(`Re-encrypted ${result.resealed} connection(s) under key ${result.keyId}.\n`);
        if (result.retired.length > 0) {
          process.stdout.write(`Kept ${result.retired.join(', ')} in the database, sealed under the new key, for rows written late under it; the next rotation drops it once no row uses it.\n`);
        }
        for (const row of result.unreadable) {
          process.stderr.write(
            `warning: "${row.connection_id}" (${row.integration_id}) was left as it was: it is sealed with key ${row.key_id ?? '(none)'}, which patchbay does not have. Restore that key, or remove and re-add the connection: patchbay connection remove ${row.integration_id} ${row.connection_id}\n`,
          );
        }
        if (!result.checkpointed) {
          process.stderr.write('warning: another process kept reading an old snapshot, so the write-ahead log was not emptied; every row is readable, but back up patchbay.db with its -wal file (or run the rotation again when idle).\n');
        }
        if (result.mode === 'env') {
          process.stdout.write('Now set PATCHBAY_ENCRYPTION_KEY to the new key (and keep the old one in PATCHBAY_ENCRYPTION_KEY_PREVIOUS until every process has restarted).\n');
        } else {
          process.stdout.write(`${paths.keyFile} holds the new key; back it up.\n`);
        }
      });
    });
}
