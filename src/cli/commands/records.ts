/**
 * `patchbay records <integration> <connection-id> <model>`: read synced records, Nango's
 * GET /records page shape with `--json`, a compact table otherwise.
 */
import type { Command } from 'commander';
import { openProjectStore } from '../../app.ts';
import type { Manifest } from '../../build/manifest.ts';
import { readManifest } from '../../build/output.ts';
import { closest } from '../../config/similar.ts';
import { PatchbayError } from '../../errors.ts';
import { queryRecords } from '../../records/query.ts';
import type { RecordQuery, Store } from '../../store/types.ts';
import { pathsFrom } from '../options.ts';

interface RecordsOptions {
  modifiedAfter?: string;
  cursor?: string;
  limit?: string;
  filter?: string;
  json?: boolean;
}

/** Turns CLI flags into a RecordQuery; bad values name the flag and what it accepts. */
export function recordsQueryFrom(options: RecordsOptions): RecordQuery {
  const query: RecordQuery = {};
  if (options.limit !== undefined) {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new PatchbayError('INVALID_ARGUMENT', `--limit must be a positive integer (got "${options.limit}").`);
    query.limit = limit;
  }
  if (options.modifiedAfter !== undefined) query.modifiedAfter = options.modifiedAfter;
  if (options.cursor !== undefined) query.cursor = options.cursor;
  if (options.filter !== undefined) {
    query.filter = options.filter.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean) as RecordQuery['filter'];
  }
  return query;
}

/**
 * Typos end here with "did you mean", not with an empty page: the connection must exist, and
 * when a build exists, the model must be one of the integration's syncs' models. Returns the
 * syncs that produce the model (for the "run the sync first" hint).
 */
async function checkNames(store: Store, manifest: Manifest | undefined, integrationId: string, connectionId: string, model: string): Promise<string[]> {
  if (!(await store.connections.get(integrationId, connectionId))) {
    const all = await store.connections.list();
    const ofIntegration = all.filter((c) => c.integration_id === integrationId).map((c) => c.connection_id);
    if (ofIntegration.length === 0) {
      const integrations = [...new Set(all.map((c) => c.integration_id))];
      const close = closest(integrationId, integrations);
      throw new PatchbayError(
        'CONNECTION_NOT_FOUND',
        `No connection for integration "${integrationId}".${close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} See patchbay connection list.`,
      );
    }
    const close = closest(connectionId, ofIntegration);
    throw new PatchbayError(
      'CONNECTION_NOT_FOUND',
      `No connection "${connectionId}" for integration "${integrationId}".${close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} Connections: ${ofIntegration.join(', ')}.`,
    );
  }
  if (!manifest) return [];
  const syncs = manifest.functions.filter((f) => f.type === 'sync' && f.integrationId === integrationId);
  const producers = syncs.filter((f) => Object.keys(f.models ?? {}).includes(model)).map((f) => f.name);
  if (producers.length > 0 || syncs.length === 0) return producers;
  const models = [...new Set(syncs.flatMap((f) => Object.keys(f.models ?? {})))];
  const close = closest(model, models);
  throw new PatchbayError(
    'NOT_FOUND',
    `No model "${model}" in the syncs of "${integrationId}".${close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} Models: ${models.join(', ')}.`,
  );
}

function cell(value: unknown, width: number): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** Registers `patchbay records`. */
export function register(program: Command): void {
  program
    .command('records')
    .description("Show a sync's stored records (Nango's GET /records shape with --json)")
    .argument('<integration>', 'integration id (folder under integrations/)')
    .argument('<connection-id>', 'connection id')
    .argument('<model>', 'model name, e.g. Issue')
    .option('--modified-after <iso>', 'only records changed at or after this time (ISO 8601)')
    .option('--cursor <cursor>', 'continue after this cursor (next_cursor of the previous page)')
    .option('--limit <n>', 'records per page (default 100, at most 10000)')
    .option('--filter <actions>', 'comma-separated last actions: added,updated,deleted')
    .option('--json', 'print { records, next_cursor } as JSON')
    .action(async (integrationId: string, connectionId: string, model: string, options: RecordsOptions, command: Command) => {
      const paths = pathsFrom(command);
      const query = recordsQueryFrom(options);
      const store = await openProjectStore(paths);
      try {
        const producers = await checkNames(store, readManifest(paths.manifestFile), integrationId, connectionId, model);
        const page = await queryRecords(store.records, { integrationId, connectionId, model }, query);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        if (page.records.length === 0) {
          const total = await store.records.count({ integrationId, connectionId, model }, { includeDeleted: true });
          process.stdout.write(
            total === 0
              ? `No records for ${integrationId}/${connectionId}/${model} yet. Run the sync first: patchbay sync run ${producers[0] ?? '<sync>'} --integration ${integrationId} --connection ${connectionId}\n`
              : 'No records match.\n',
          );
          return;
        }
        process.stdout.write(`${'ID'.padEnd(24)} ${'ACTION'.padEnd(8)} ${'MODIFIED'.padEnd(24)} DATA\n`);
        for (const record of page.records) {
          const { _nango_metadata: meta, ...data } = record;
          process.stdout.write(`${cell(String(data['id']), 24)} ${meta.last_action.padEnd(8)} ${meta.last_modified_at.padEnd(24)} ${cell(data, 80).trimEnd()}\n`);
        }
        process.stdout.write(page.next_cursor ? `\nMore: --cursor ${page.next_cursor}\n` : `\n${page.records.length} record(s).\n`);
      } finally {
        await store.close();
      }
    });
}
