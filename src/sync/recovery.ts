/**
 * Runs a dead process left 'running'. A run holds its sync's lease (store.locks) and renews it
 * while it lives, so a 'running' run whose lease expired is not running anywhere: its process
 * crashed or was killed. The next run of that sync marks it failed (INTERRUPTED, with what it
 * saved counted from the record store), and the scheduler looks for such runs on every tick so
 * the next run starts as soon as the lease expires, not at `next_run_at`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store, SyncRunRow } from '../store/types.ts';
import { savedSince, total, type Counts, type SyncIds } from './announce.ts';
import { syncLockKey } from './types.ts';

const INTERRUPTED =
  'INTERRUPTED: the process running this sync stopped before it finished (crash or kill). The next run resumes from the last checkpoint.';

/** Sync lock keys of the runs in progress in this process, per store. */
const localRuns = new WeakMap<Store, Set<string>>();

/**
 * Notes that this process runs the sync of `key` on `store`; false when it already does. A run of
 * this process is never taken for a dead one, even if its lease lapsed (a long-blocked event loop).
 */
export function holdLocally(store: Store, key: string): boolean {
  let keys = localRuns.get(store);
  if (!keys) localRuns.set(store, (keys = new Set()));
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

/** Forgets what holdLocally noted. */
export function releaseLocally(store: Store, key: string): void {
  localRuns.get(store)?.delete(key);
}

/**
 * A lease owner id: host, process id and a random part. The host and pid let `sync status` tell a
 * holder on this host that is gone from one still running; the random part keeps owners unique.
 */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

/**
 * True when `owner` (from leaseOwner) is a process of this host that no longer exists. False when it
 * is alive, on another host, or not of that form: then only the lease's expiry says it is gone.
 * For display only; a pid can be reused, and containers sharing a hostname have their own pids.
 */
export function ownerGone(owner: string): boolean {
  const match = /^(.*):(\d+):[^:]+$/.exec(owner);
  if (!match || match[1] !== hostname()) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What a run saved: counted from its start cursors when it has them, else its stored counts. */
async function savedBy(store: Store, run: SyncRunRow, next?: SyncRunRow): Promise<Counts> {
  if (Object.keys(run.start_cursors).length === 0) return { added: run.added, updated: run.updated, deleted: run.deleted };
  const ids = { integrationId: run.integration_id, connectionId: run.connection_id };
  return total(await savedSince(store.records, ids, run.start_cursors, next?.start_cursors));
}

/**
 * Marks the sync's runs left 'running' as failed, each with what it saved before it stopped.
 * Call only while holding the sync's lease: then none of them runs anywhere. Returns how many.
 */
export async function failStaleRuns(store: Store, ids: SyncIds): Promise<number> {
  const filter = { integrationId: ids.integrationId, connectionId: ids.connectionId, syncName: ids.syncName };
  const stale = (await store.syncs.listRuns({ ...filter, status: 'running', limit: 1000 })).reverse(); // oldest first
  for (const [index, run] of stale.entries()) {
    const saved = await savedBy(store, run, stale[index + 1]);
    await store.syncs.finishRun(run.id, { status: 'failed', error: INTERRUPTED, ...saved, duration_ms: Math.max(0, Date.now() - Date.parse(run.started_at)) });
  }
  return stale.length;
}

/**
 * The runs left 'running' by a process that is gone — their lease expired or is missing — the
 * newest per sync and connection, oldest first. Runs of this process are never among them. One
 * indexed query for running runs plus one lease read each: cheap enough for every scheduler tick.
 *
 * @example
 * for (const run of await findInterruptedRuns(store)) await runSync(runtime, { integrationId: run.integration_id, … });
 */
export async function findInterruptedRuns(store: Store, now = Date.now()): Promise<SyncRunRow[]> {
  const running = await store.syncs.listRuns({ status: 'running', limit: 10_000 });
  const seen = new Set<string>();
  const interrupted: SyncRunRow[] = [];
  for (const run of running) {
    const key = syncLockKey(run.integration_id, run.connection_id, run.sync_name);
    if (seen.has(key)) continue;
    seen.add(key);
    if (localRuns.get(store)?.has(key)) continue;
    const lease = await store.locks.inspect(key);
    if (lease && lease.expiresAt > now) continue; // alive somewhere, or dead and not expired yet
    interrupted.push(run);
  }
  return interrupted.reverse();
}

/**
 * Marks an interrupted sync's runs failed without running it again (it is paused, or its sync or
 * connection is gone), under a short lease of its own so a run starting meanwhile is left alone.
 * Returns how many runs were marked (0 when somebody holds the lease).
 */
export async function recoverRuns(store: Store, ids: SyncIds): Promise<number> {
  const key = syncLockKey(ids.integrationId, ids.connectionId, ids.syncName);
  const owner = leaseOwner();
  if (!(await store.locks.tryAcquire(key, owner, 30_000))) return 0;
  try {
    return await failStaleRuns(store, ids);
  } finally {
    await store.locks.release(key, owner).catch(() => false);
  }
}

/** A run as `sync status` shows it. */
export interface RunView {
  /** The run; for one in progress, with what it saved so far. */
  run: SyncRunRow;
  /** A 'running' run whose process is gone (lease expired, or its holder on this host exited). */
  interrupted: boolean;
  /** For a 'running' run: when its lease expires (or expired); null without a lease. */
  leaseExpiresAt: string | null;
  /** The lease is still live: an interrupted run resumes once it expires, otherwise at once. */
  leaseLive: boolean;
}

/**
 * The truth about a run for `sync status`: a stored 'running' run is checked against its lease and
 * its counts so far are read from the record store.
 */
export async function viewRun(store: Store, run: SyncRunRow, now = Date.now()): Promise<RunView> {
  if (run.status !== 'running') return { run, interrupted: false, leaseExpiresAt: null, leaseLive: false };
  const current = { ...run, ...(await savedBy(store, run)) };
  const lease = await store.locks.inspect(syncLockKey(run.integration_id, run.connection_id, run.sync_name));
  const leaseLive = lease !== undefined && lease.expiresAt > now;
  return {
    run: current,
    interrupted: !leaseLive || ownerGone(lease.owner),
    leaseExpiresAt: lease ? new Date(lease.expiresAt).toISOString() : null,
    leaseLive,
  };
}
