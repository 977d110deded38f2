/**
 * The sync scheduler `patchbay serve` runs: every sync of the manifest, for every connection of
 * its integration, at its frequency. Per (integration, connection, sync) the state lives in
 * SyncStore (paused, next_run_at), so a restart continues the schedule and several processes
 * sharing a store cooperate: the run's lease (store.locks) keeps two runs of one sync for one
 * connection apart, across processes too. A concurrency limit caps runs in flight in this
 * process; jitter spreads connections so they do not all fire in the same second. Every tick
 * also looks for runs a dead process left 'running' and resumes each as soon as its lease
 * expires (recovery.ts), whatever `next_run_at` says.
 */
import type { FunctionManifest } from '../build/manifest.ts';
import { PatchbayError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { SyncStateRow } from '../store/types.ts';
import { findInterruptedRuns, recoverRuns } from './recovery.ts';
import { runSync } from './runner.ts';
import { firstRunAt, forConnection, nextRunAt } from './schedule.ts';
import { defaultSyncState } from './state.ts';
import type { RunSyncOptions, SyncRuntime } from './types.ts';

export interface SchedulerOptions {
  runtime: SyncRuntime;
  logger?: Logger;
  /** Runs in flight at once in this process (default PATCHBAY_SYNC_CONCURRENCY or 4). */
  concurrency?: number;
  /** Clock (epoch ms); injectable for tests. */
  now?: () => number;
  /** How often due syncs are looked for (ms, default 1000). */
  tickMs?: number;
  /** Randomness for jitter (default Math.random). */
  random?: () => number;
  /** Passed to every run (lease, webhook tuning). */
  runOptions?: Pick<RunSyncOptions, 'leaseMs' | 'webhooks' | 'env'>;
}

export interface Scheduler {
  /** Stops scheduling, aborts runs in flight and waits for them to finish. */
  stop(): Promise<void>;
  /** Looks for due syncs now (what every tick does); resolves when due runs have been started. */
  tick(): Promise<void>;
  /** Runs in flight right now. */
  readonly running: number;
}

const jobKey = (i: string, c: string, s: string): string => JSON.stringify([i, c, s]);

/**
 * Starts the scheduler.
 *
 * @example
 * const scheduler = startScheduler({ runtime, logger, concurrency: 8 });
 * process.on('SIGTERM', () => scheduler.stop());
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { runtime } = options;
  const logger = options.logger ?? runtime.logger;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const concurrency = Math.max(1, options.concurrency ?? (Number(process.env['PATCHBAY_SYNC_CONCURRENCY']) || 4));
  const inFlight = new Map<string, Promise<void>>();
  const controller = new AbortController();
  let stopped = false;
  let ticking: Promise<void> | undefined;

  function launch(fn: FunctionManifest, connectionId: string): void {
    const key = jobKey(fn.integrationId, connectionId, fn.name);
    const run = runSync(runtime, {
      ...options.runOptions,
      integrationId: fn.integrationId,
      syncName: fn.name,
      connectionId,
      trigger: 'schedule',
      signal: controller.signal,
    })
      .then(() => undefined) // the runner logs the outcome
      .catch((error: unknown) => {
        if (error instanceof PatchbayError && error.code === 'LOCKED') return; // another process runs it
        logger?.error({ sync: fn.name, connectionId, error: (error as Error).message }, 'scheduled sync could not run');
      })
      .finally(() => {
        inFlight.delete(key);
      });
    inFlight.set(key, run);
  }

  /**
   * Resumes runs a dead process left 'running' once their lease expired: the next run marks them
   * failed and continues from their checkpoint. One whose sync is paused, or whose sync or
   * connection is gone, is only marked failed.
   */
  async function resumeInterrupted(syncs: FunctionManifest[], connections: Map<string, string[]>, states: Map<string, SyncStateRow>): Promise<void> {
    for (const run of await findInterruptedRuns(runtime.store)) {
      const key = jobKey(run.integration_id, run.connection_id, run.sync_name);
      if (inFlight.has(key)) continue;
      const ids = { integrationId: run.integration_id, connectionId: run.connection_id, syncName: run.sync_name };
      const fn = syncs.find((f) => f.integrationId === run.integration_id && f.name === run.sync_name);
      if (!fn || !connections.get(run.integration_id)?.includes(run.connection_id) || states.get(key)?.paused) {
        const marked = await recoverRuns(runtime.store, ids);
        if (marked > 0) logger?.warn({ ...ids, runs: marked }, 'marked a sync run left running by a stopped process as failed; not resumed (paused, or sync or connection gone)');
        continue;
      }
      if (stopped || inFlight.size >= concurrency) return; // the next tick
      logger?.warn({ ...ids, runId: run.id, startedAt: run.started_at }, 'resuming a sync run interrupted by a stopped process');
      launch(fn, run.connection_id);
    }
  }

  async function scan(): Promise<void> {
    const syncs = runtime.manifest.functions.filter((f) => f.type === 'sync');
    const t = now();
    const due: Array<{ fn: FunctionManifest; state: SyncStateRow; at: number }> = [];
    const connectionsByIntegration = new Map<string, string[]>();
    for (const integrationId of new Set(syncs.map((f) => f.integrationId))) {
      const rows = await runtime.store.connections.list({ integrationId });
      connectionsByIntegration.set(integrationId, rows.map((r) => r.connection_id));
    }
    const states = new Map((await runtime.store.syncs.listStates()).map((s) => [jobKey(s.integration_id, s.connection_id, s.sync_name), s]));
    await resumeInterrupted(syncs, connectionsByIntegration, states);
    for (const fn of syncs) {
      for (const connectionId of connectionsByIntegration.get(fn.integrationId) ?? []) {
        const key = jobKey(fn.integrationId, connectionId, fn.name);
        let state = states.get(key);
        if (!state) {
          const autoStart = fn.autoStart !== false;
          state = {
            ...defaultSyncState(fn.integrationId, connectionId, fn.name),
            paused: !autoStart,
            next_run_at: autoStart ? new Date(firstRunAt(fn, t, random)).toISOString() : null,
          };
          await runtime.store.syncs.setState(state);
        }
        if (!state.paused && state.next_run_at === null) {
          // Unpaused but never scheduled: its first run was started by hand. Its next one comes an
          // interval later, as after any run.
          const next = state.last_run_id !== null ? nextRunAt(forConnection(fn, state), t, random) : firstRunAt(forConnection(fn, state), t, random);
          state = { ...state, next_run_at: new Date(next).toISOString() };
          await runtime.store.syncs.setState(state);
        }
        if (state.paused || state.next_run_at === null || inFlight.has(key)) continue;
        const at = Date.parse(state.next_run_at);
        if (at <= t) due.push({ fn, state, at });
      }
    }
    due.sort((a, b) => a.at - b.at);
    for (const job of due) {
      if (stopped || inFlight.size >= concurrency) break;
      // Advance next_run_at before starting, so neither this nor another process starts it twice.
      const latest = (await runtime.store.syncs.getState(job.fn.integrationId, job.state.connection_id, job.fn.name)) ?? job.state;
      if (latest.paused || latest.next_run_at !== job.state.next_run_at) continue;
      await runtime.store.syncs.setState({ ...latest, next_run_at: new Date(nextRunAt(forConnection(job.fn, latest), t, random)).toISOString() });
      launch(job.fn, job.state.connection_id);
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (ticking) return ticking;
    ticking = scan()
      .catch((error: unknown) => logger?.error({ error: (error as Error).message }, 'sync scheduler tick failed'))
      .finally(() => {
        ticking = undefined;
      });
    return ticking;
  }

  const timer = setInterval(() => void tick(), options.tickMs ?? 1000);
  timer.unref();
  void tick();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await ticking;
      controller.abort(new PatchbayError('ABORTED', 'The server is shutting down; the sync resumes from its last checkpoint on the next start.'));
      await Promise.allSettled([...inFlight.values()]);
    },
    tick,
    get running() {
      return inFlight.size;
    },
  };
}
