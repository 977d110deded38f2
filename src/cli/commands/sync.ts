/**
 * `patchbay sync list|status|run|pause|resume`: see and drive syncs from the terminal.
 * `run` shows a live progress line in a terminal (records per model, progress, elapsed) and a
 * summary; piped, it prints plain lines.
 */
import type { Command } from 'commander';
import { ensureBuilt } from '../../build/index.ts';
import type { FunctionManifest, Manifest } from '../../build/manifest.ts';
import { closest } from '../../config/similar.ts';
import { PatchbayError } from '../../errors.ts';
import { createLogger } from '../../observability/logger.ts';
import { createApp, openProjectStore } from '../../app.ts';
import type { Store, SyncRunRow } from '../../store/types.ts';
import { viewRun, type RunView } from '../../sync/recovery.ts';
import { findSync, runSync } from '../../sync/runner.ts';
import { createProgressLine } from '../../sync/progress.ts';
import { setSyncPaused } from '../../sync/state.ts';
import { pathsFrom } from '../options.ts';

interface TargetOptions {
  integration?: string;
  connection?: string;
  json?: boolean;
}

/** The one sync named `name` (ambiguity across integrations asks for --integration). */
export function resolveSync(manifest: Manifest, name: string, integrationId?: string): FunctionManifest {
  const matches = manifest.functions.filter((f) => f.type === 'sync' && f.name === name && (integrationId === undefined || f.integrationId === integrationId));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new PatchbayError('INVALID_ARGUMENT', `Sync "${name}" exists in ${matches.map((m) => m.integrationId).join(', ')}. Pass --integration <id>.`);
  }
  if (integrationId !== undefined) return findSync({ manifest }, integrationId, name);
  const syncs = manifest.functions.filter((f) => f.type === 'sync');
  const close = closest(name, syncs.map((f) => f.name));
  throw new PatchbayError(
    'FUNCTION_NOT_FOUND',
    `No sync "${name}".${close.length > 0 ? ` Did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} ${
      syncs.length > 0 ? `Syncs: ${syncs.map((f) => `${f.integrationId}/${f.name}`).join(', ')}.` : 'The project has no syncs yet.'
    } See patchbay sync list.`,
  );
}

async function connectionIds(store: Store, integrationId: string, only?: string): Promise<string[]> {
  const ids = (await store.connections.list({ integrationId })).map((c) => c.connection_id);
  if (only === undefined) return ids;
  if (!ids.includes(only)) {
    throw new PatchbayError(
      'CONNECTION_NOT_FOUND',
      `No connection "${only}" for integration "${integrationId}"${ids.length ? ` (connections: ${ids.join(', ')})` : ''}. Add one: patchbay connection add ${integrationId} ${only} ...`,
    );
  }
  return [only];
}

function formatRun({ run, interrupted, leaseLive, leaseExpiresAt }: RunView): string {
  const duration = run.duration_ms === null ? '' : ` in ${(run.duration_ms / 1000).toFixed(1)}s`;
  const counts = `+${run.added} ~${run.updated} -${run.deleted}`;
  let status: string = run.status;
  if (interrupted) status = leaseLive ? `interrupted, resumes when the lease expires at ${leaseExpiresAt}` : "interrupted, resumes on the scheduler's next tick";
  return `${run.started_at}  ${run.integration_id}/${run.sync_name}  ${run.connection_id}  ${status}${duration}  ${counts}${run.error ? `  ${run.error}` : ''}`;
}

/** A run in `sync status --json`: the stored row, and for a running one whether its process is gone and when its lease expires. */
function runJson({ run, interrupted, leaseExpiresAt }: RunView): Record<string, unknown> {
  return run.status === 'running' ? { ...run, interrupted, lease_expires_at: leaseExpiresAt } : { ...run };
}

async function withStore<T>(command: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openProjectStore(pathsFrom(command));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function setPaused(command: Command, name: string, options: TargetOptions, paused: boolean): Promise<void> {
  const manifest = await ensureBuilt(pathsFrom(command));
  const fn = resolveSync(manifest, name, options.integration);
  await withStore(command, async (store) => {
    const ids = await connectionIds(store, fn.integrationId, options.connection);
    if (ids.length === 0) throw new PatchbayError('CONNECTION_NOT_FOUND', `Integration "${fn.integrationId}" has no connections yet. Add one: patchbay connection add ${fn.integrationId} <id> ...`);
    for (const connectionId of ids) {
      await setSyncPaused(store, fn.integrationId, connectionId, fn.name, paused);
      process.stdout.write(`${paused ? 'Paused' : 'Resumed'} ${fn.integrationId}/${fn.name} for ${connectionId}\n`);
    }
  });
}

/** Registers `patchbay sync` and its subcommands. */
export function register(program: Command): void {
  const sync = program.command('sync').description('List, run, pause and resume syncs; see their runs');

  sync
    .command('list')
    .description('Syncs of the project with their frequency and, per connection, their state')
    .option('--integration <id>', 'only this integration')
    .option('--json', 'print JSON')
    .action(async (options: TargetOptions, command: Command) => {
      const manifest = await ensureBuilt(pathsFrom(command));
      const syncs = manifest.functions.filter((f) => f.type === 'sync' && (options.integration === undefined || f.integrationId === options.integration));
      await withStore(command, async (store) => {
        const states = await store.syncs.listStates(options.integration ? { integrationId: options.integration } : {});
        const rows = syncs.map((fn) => ({
          integration: fn.integrationId,
          sync: fn.name,
          frequency: fn.frequency ?? fn.cron ?? null,
          models: Object.keys(fn.models ?? {}),
          trackDeletes: fn.trackDeletes ?? false,
          autoStart: fn.autoStart !== false,
          connections: states
            .filter((s) => s.integration_id === fn.integrationId && s.sync_name === fn.name)
            .map((s) => ({ connectionId: s.connection_id, paused: s.paused, lastSuccessAt: s.last_success_at, nextRunAt: s.next_run_at })),
        }));
        if (options.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return void process.stdout.write('No syncs. Write one in integrations/<id>/syncs/<name>.ts (createSync).\n');
        for (const row of rows) {
          process.stdout.write(`${row.integration}/${row.sync}  ${row.frequency ?? ''}  models: ${row.models.join(', ')}${row.trackDeletes ? '  trackDeletes' : ''}${row.autoStart ? '' : '  autoStart: false'}\n`);
          for (const c of row.connections) {
            const next = c.nextRunAt ?? (c.paused ? '-' : 'on the next `patchbay serve` start');
            process.stdout.write(`  ${c.connectionId}  ${c.paused ? 'paused' : 'active'}  last success: ${c.lastSuccessAt ?? 'never'}  next: ${next}\n`);
          }
        }
      });
    });

  sync
    .command('status')
    .description('Recent runs (started, finished, failed with error, interrupted, records added/updated/deleted, duration)')
    .argument('[sync]', 'sync name (all syncs when omitted)')
    .option('--integration <id>', 'only this integration')
    .option('--connection <id>', 'only this connection')
    .option('--limit <n>', 'how many runs (default 20)', '20')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: TargetOptions & { limit: string }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new PatchbayError('INVALID_ARGUMENT', `--limit must be a positive integer (got "${options.limit}").`);
      await withStore(command, async (store) => {
        const filter: Parameters<Store['syncs']['listRuns']>[0] = { limit };
        if (name !== undefined) filter.syncName = name;
        if (options.integration !== undefined) filter.integrationId = options.integration;
        if (options.connection !== undefined) filter.connectionId = options.connection;
        const runs = await Promise.all((await store.syncs.listRuns(filter)).map((run) => viewRun(store, run)));
        if (options.json) return void process.stdout.write(`${JSON.stringify(runs.map(runJson), null, 2)}\n`);
        if (runs.length === 0) return void process.stdout.write('No sync runs yet. Start one: patchbay sync run <sync> --connection <id>\n');
        for (const run of runs) process.stdout.write(`${formatRun(run)}\n`);
      });
    });

  sync
    .command('run')
    .description('Run a sync now for one connection (or each connection of its integration)')
    .argument('<sync>', 'sync name')
    .option('--integration <id>', 'integration id (needed when two integrations have a sync of this name)')
    .option('--connection <id>', 'connection id (default: every connection of the integration)')
    .option('--allow-mass-deletes', 'let this run delete any share of a model (the delete guard refuses more than PATCHBAY_SYNC_MAX_DELETE_SHARE, default half)')
    .option('--json', 'print the finished run(s) as JSON')
    .action(async (name: string, options: TargetOptions & { allowMassDeletes?: boolean }, command: Command) => {
      const paths = pathsFrom(command);
      const level = (process.env['PATCHBAY_LOG_LEVEL'] as 'warn' | undefined) ?? 'warn';
      const runtime = await createApp({ paths, logger: createLogger({ stdio: true, level, pretty: process.stderr.isTTY === true }) });
      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new PatchbayError('ABORTED', 'Interrupted; the next run resumes from the last checkpoint.'));
      process.once('SIGINT', onSignal);
      try {
        const fn = resolveSync(runtime.manifest, name, options.integration);
        const ids = await connectionIds(runtime.store, fn.integrationId, options.connection);
        if (ids.length === 0) throw new PatchbayError('CONNECTION_NOT_FOUND', `Integration "${fn.integrationId}" has no connections yet. Add one: patchbay connection add ${fn.integrationId} <id> ...`);
        const runs: SyncRunRow[] = [];
        for (const connectionId of ids) {
          const progress = createProgressLine({ store: runtime.store, fn, connectionId, out: process.stderr, tty: Boolean(process.stderr.isTTY) && !options.json });
          try {
            const run = await runSync(runtime, {
              integrationId: fn.integrationId,
              syncName: fn.name,
              connectionId,
              trigger: 'cli',
              signal: controller.signal,
              onProgress: progress.onProgress,
              onLog: progress.onLog,
              ...(options.allowMassDeletes ? { allowMassDeletes: true } : {}),
            });
            progress.done(run);
            runs.push(run);
          } finally {
            progress.stop();
          }
        }
        if (options.json) process.stdout.write(`${JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2)}\n`);
        if (runs.some((r) => r.status !== 'success')) process.exitCode = 1;
      } finally {
        process.removeListener('SIGINT', onSignal);
        await runtime.close();
      }
    });

  sync
    .command('pause')
    .description('Stop scheduling a sync (for one connection or all)')
    .argument('<sync>', 'sync name')
    .option('--integration <id>', 'integration id')
    .option('--connection <id>', 'connection id (default: all)')
    .action((name: string, options: TargetOptions, command: Command) => setPaused(command, name, options, true));

  sync
    .command('resume')
    .description('Schedule a paused sync again (it runs on the next scheduler tick)')
    .argument('<sync>', 'sync name')
    .option('--integration <id>', 'integration id')
    .option('--connection <id>', 'connection id (default: all)')
    .action((name: string, options: TargetOptions, command: Command) => setPaused(command, name, options, false));
}
