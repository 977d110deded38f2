/**
 * Asynchronous actions (`POST /action/trigger` with `X-Async: true`): the queue that runs them.
 *
 * A trigger is a row in the store before the caller hears 202 (`enqueue`), so a stop, a crash or
 * a kill -9 loses none: the next start takes the queue's lease and puts back in the queue what was
 * running when the last holder died. Rows run through the one executor with the scope of the key
 * that queued them, a few at a time per connection ("lane") and at most `concurrency` at once.
 *
 * The provider's rate limit sets the pace (lanes.ts): a run that ends rate limited (RATE_LIMITED,
 * or a 429 the function let through) goes back to the queue without spending a retry and its lane
 * pauses for the wait the provider named, or backs off and runs fewer at once. Any other failure
 * is retried `max_retries` times (`X-Max-Retries`, 0-5) with exponential backoff, unless retrying
 * cannot help (invalid input, an unknown function or connection, a refused scope).
 *
 * Who runs what: one queue leads (the `queue:async-actions` lease in the store's LockStore) and
 * starts queued rows; every queue holds a runner lease while it lives, and a claimed row names its
 * queue (`claimed_by`), the only one that may record its outcome. Claiming is a compare-and-set.
 * When a queue's runner lease runs out (a crash, a kill -9), the leader puts its rows back: they
 * run again, so delivery is at least once, as with Nango's retries, and actions should be
 * idempotent; one cut off more than its retries + 2 times fails instead.
 *
 * Why not a queue library: the embedded default needs a queue on the Store interface (memory and
 * node:sqlite); the SQLite job queues on npm (plainjob, liteque) are built on better-sqlite3, a
 * native addon patchbay does not ship, and none knows a provider's rate limit or a key's scope.
 * Postgres scale-out (#17) puts pg-boss behind the same `enqueue`/`get`.
 *
 * @example
 * const queue = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, run: (r) => executor.run(r) });
 * const { row } = await queue.enqueue({ integrationId: 'github', connectionId: 'alice', actionName: 'create-issue', input, scope, maxRetries: 2 });
 * (await queue.get(row.id))?.status; // 'queued' | 'running' | 'succeeded' | 'failed'
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ApiScope } from '../access/scope.ts';
import { PatchbayError, boundedErrorJSON, toPatchbayError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { ExecutionRequest, ExecutionResult } from '../runtime/types.ts';
import { laneKey, type AsyncActionRow, type AsyncActionStore, type LockStore } from '../store/types.ts';
import { createAnnouncer, type AnnouncedRow } from './announcer.ts';
import { isRateLimit, laneBlocked, laneLimited, laneSucceeded, newLane, type Lane } from './lanes.ts';

export type { AnnouncedRow } from './announcer.ts';

/** The most retries `X-Max-Retries` may ask for (Nango's bound). */
export const MAX_ASYNC_RETRIES = 5;

/** The lease the queue's one leader holds in the LockStore. */
const LEASE_KEY = 'queue:async-actions';
/** The lease each queue holds while alive: the rows it claimed are its own until it runs out. */
const runnerLease = (owner: string): string => `queue:async-actions:runner:${owner}`;
/** Times an action may be cut off by a crash beyond its retries before it fails instead of running again. */
const CRASH_ALLOWANCE = 2;
/** Largest stored error (the message is cut past it, as in a tool result). */
const MAX_ERROR_BYTES = 64 * 1024;
/** How long a row may keep being put back by rate limits, from its trigger: past it, it fails RATE_LIMITED. */
const MAX_DEFER_MS = 24 * 3600_000;
/** Failures retrying cannot fix: the same request would fail the same way. */
const FINAL_CODES = new Set<ErrorCode>([
  'INVALID_ARGUMENT', 'INVALID_INPUT', 'FUNCTION_NOT_FOUND', 'INTEGRATION_NOT_FOUND', 'CONNECTION_NOT_FOUND',
  'FORBIDDEN', 'FORBIDDEN_HOST', 'NEEDS_REAUTH', 'PAYLOAD_TOO_LARGE', 'NOT_IMPLEMENTED',
]);

export interface AsyncActionQueueOptions {
  store: AsyncActionStore;
  locks: LockStore;
  /** The executor's `run`. */
  run(request: ExecutionRequest): Promise<ExecutionResult>;
  /** True when the API key `keyId` was revoked (or removed): its queued actions no longer run. */
  keyRevoked?: (keyId: string) => Promise<boolean>;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told once a row has finished, succeeded or failed (the "async action completed" webhook); not awaited. */
  onFinished?: (row: AnnouncedRow) => Promise<void>;
  /** `onFinished` calls at once (default 16), and how many may wait for one (default 10,000). */
  announceConcurrency?: number;
  maxPendingAnnouncements?: number;
  /** Actions running at once, all connections together (default 32). */
  concurrency?: number;
  /** Actions running at once on one connection before any rate limit is seen, and the most ever (default 4 and 16). */
  laneStart?: number;
  laneMax?: number;
  /** Unfinished actions held at most; past it a trigger is refused with 429 (default 100,000). */
  maxUnfinished?: number;
  /** Unfinished actions one API key may hold (default 10,000). */
  maxUnfinishedPerKey?: number;
  /** How long a finished action's result is kept (default 7 days). */
  retentionMs?: number;
  /** The queue lease's length (default 5 s): how soon another process takes over after a crash. */
  leaseMs?: number;
  /** First retry's wait after a failure (default 1 s), doubling per retry with jitter, at most 60 s. */
  retryBaseMs?: number;
  /** How long `stop` lets running actions finish before cancelling them back into the queue (default 10 s). */
  stopGraceMs?: number;
  now?: () => number;
}

/** What a trigger asks for. */
export interface AsyncActionRequest {
  integrationId: string;
  connectionId: string;
  actionName: string;
  input: unknown;
  scope: ApiScope;
  /** Retries after a failed attempt, 0-5. */
  maxRetries: number;
  /** The caller's `Idempotency-Key`: a second trigger with it gets the first one's row. */
  idempotencyKey?: string;
}

export interface AsyncActionQueue {
  /**
   * Persists the request and wakes the queue. With an idempotency key already used by the same
   * key for the same request, the existing row comes back (`created: false`); for a different
   * request, IDEMPOTENCY_KEY_REUSED. RATE_LIMITED when `maxUnfinished` actions wait already.
   * `immediate` starts a new row at once in this process, past the queue's limits (a synchronous
   * trigger with an Idempotency-Key: its caller is waiting).
   */
  enqueue(request: AsyncActionRequest, options?: { immediate?: boolean }): Promise<{ row: AsyncActionRow; created: boolean }>;
  get(id: string): Promise<AsyncActionRow | undefined>;
  /**
   * The row once it has finished (succeeded or failed), or as it is after `timeoutMs` or when
   * `signal` aborts; undefined when there is no such row. Woken at once when this process finishes
   * it, otherwise it looks every second (another process may run it).
   */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<AsyncActionRow | undefined>;
  /** Actions running in this process now. */
  running(): number;
  /** Stops taking rows; running ones get `stopGraceMs`, then go back to the queue. Releases the lease. */
  stop(): Promise<void>;
}

/** sha256 of what a trigger asks, so a reused idempotency key can be told apart from a retry. */
export function requestHash(request: Pick<AsyncActionRequest, 'integrationId' | 'connectionId' | 'actionName' | 'input'>): string {
  return createHash('sha256').update(JSON.stringify([request.integrationId, request.connectionId, request.actionName, request.input ?? null])).digest('hex');
}

/** Starts the queue: takes the lease when free, resumes what a previous holder left, runs due rows. */
export function startAsyncActionQueue(options: AsyncActionQueueOptions): AsyncActionQueue {
  const { store, locks, logger } = options;
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? 32;
  const laneStart = options.laneStart ?? 4;
  const laneMax = Math.max(laneStart, options.laneMax ?? 16);
  const maxUnfinished = options.maxUnfinished ?? 100_000;
  const maxUnfinishedPerKey = options.maxUnfinishedPerKey ?? 10_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const leaseMs = options.leaseMs ?? 5000;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  const lanes = new Map<string, Lane>();
  const inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let leader = false;
  let stopping = false;
  let pumping = false;
  let wantAll = false;
  const wanted = new Set<string>();
  /** When each lane next has a row due (pauses, retry backoffs), for the timer. */
  const wakeAt = new Map<string, number>();
  let nextFullLook = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;
  const waiters = new Map<string, Set<() => void>>();
  const wakeWaiters = (id: string): void => {
    for (const wake of waiters.get(id) ?? []) wake();
  };

  const laneOf = (key: string): Lane => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = newLane(laneStart);
      lanes.set(key, lane);
    }
    return lane;
  };
  const blockedLanes = (at: number): string[] => [...lanes].filter(([, lane]) => laneBlocked(lane, at)).map(([key]) => key);

  /** Takes (or keeps) the lease; on taking it with nothing of ours running, resumes what was left running. */
  const heartbeat = async (): Promise<void> => {
    // While stopping, the runs being finished stay ours: only the runner lease is renewed.
    if (stopping) {
      await locks.tryAcquire(runnerLease(owner), owner, leaseMs).catch(() => false);
      return;
    }
    await retryUnrecorded();
    let held = false;
    try {
      held = await locks.tryAcquire(LEASE_KEY, owner, leaseMs);
    } catch (error) {
      logger?.error({ err: String(error) }, 'async actions: could not renew the queue lease');
    }
    // Every queue, leader or not, says it is alive: the rows it runs are its own.
    await locks.tryAcquire(runnerLease(owner), owner, leaseMs).catch(() => false);
    if (held && !leader) {
      leader = true;
    } else if (!held && leader) {
      leader = false;
      logger?.warn({}, 'async actions: lost the queue lease to another process; not starting new actions');
    }
    if (leader) {
      await recoverDeadOwners().catch((error: unknown) => logger?.error({ err: String(error) }, 'async actions: could not put back the actions of a stopped queue'));
      pump();
    }
  };

  /** Running rows whose queue is gone (its lease ran out: a crash, a kill -9) go back to the queue. */
  const recoverDeadOwners = async (): Promise<void> => {
    for (const other of await store.runningOwners()) {
      if (other === owner) continue;
      const lease = other === '' ? undefined : await locks.inspect(runnerLease(other));
      if (lease && lease.expiresAt > now()) continue;
      const crashed = new PatchbayError('FUNCTION_CRASHED', `The action was cut off by a stopped or crashed server ${CRASH_ALLOWANCE + 1} times more than its retries allow; it is not run again. Look at what it does (its memory, its time) before you trigger it again.`);
      const { requeued, failed } = await store.recoverOwner(other, now(), crashed.toJSON(), CRASH_ALLOWANCE);
      if (requeued + failed.length > 0) logger?.warn({ requeued, failed: failed.length }, 'async actions: resuming actions interrupted when their server stopped');
      for (const row of failed) announce(row);
    }
  };

  /**
   * Asks for rows to be started: of one lane (a slot of it freed, a row was queued in it, its
   * pause ended), or of every lane (`undefined`: a global slot freed, the lease was taken, the
   * periodic look for rows queued by other processes). Looking at one lane reads only its due
   * rows, so a big backlog on one connection costs nothing per completion.
   */
  const pump = (key?: string): void => {
    if (key === undefined) wantAll = true;
    else wanted.add(key);
    if (!pumping) void drain();
  };

  const drain = async (): Promise<void> => {
    pumping = true;
    try {
      while ((wantAll || wanted.size > 0) && leader && !stopping) {
        if (wantAll) {
          wantAll = false;
          wanted.clear();
          while (await fillAll());
          await prune();
        } else {
          const keys = [...wanted];
          wanted.clear();
          for (const key of keys) await fillLane(key);
        }
      }
      if (leader && !stopping) scheduleWake();
    } catch (error) {
      logger?.error({ err: String(error) }, 'async actions: reading the queue failed; retrying in 1 s');
      arm(1000);
    } finally {
      pumping = false;
    }
  };

  /** Claims and starts `rows` while their lanes and the global limit allow; true when one started. */
  const startRows = async (rows: AsyncActionRow[], at: number): Promise<boolean> => {
    let started = false;
    for (const row of rows) {
      if (inFlight.size >= concurrency || stopping) break;
      const lane = laneOf(laneKey(row.integration_id, row.connection_id));
      if (laneBlocked(lane, at)) continue;
      if (!(await store.claim(row.id, new Date(at).toISOString(), owner))) continue;
      start(row, lane);
      started = true;
    }
    return started;
  };

  /** One pass over every lane's due rows; true when another pass may start more. */
  const fillAll = async (): Promise<boolean> => {
    const free = concurrency - inFlight.size;
    if (free <= 0) return false;
    const at = now();
    return (await startRows(await store.due(at, free * 2, blockedLanes(at)), at)) && inFlight.size < concurrency;
  };

  const fillLane = async (key: string): Promise<void> => {
    const lane = laneOf(key);
    const at = now();
    const free = Math.min(concurrency - inFlight.size, Math.floor(lane.window) - lane.running);
    if (lane.pausedUntil > at) {
      // Runs that were in flight may have pushed the pause further than the wake-up that brought us here.
      wakeLaneAt(key, lane.pausedUntil);
      return;
    }
    if (free <= 0) return;
    const [integrationId, connectionId] = JSON.parse(key) as [string, string];
    await startRows(await store.dueInLane(integrationId, connectionId, at, free), at);
  };

  const arm = (ms: number): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(wake, Math.max(5, ms));
    timer.unref();
  };

  /** The timer: lanes whose pause or retry time came get a look; every second, all of them. */
  const wake = (): void => {
    const at = now();
    for (const [key, time] of wakeAt) {
      if (time > at) continue;
      wakeAt.delete(key);
      wanted.add(key);
    }
    if (at >= nextFullLook) {
      nextFullLook = at + 1000;
      wantAll = true;
    }
    if (wantAll || wanted.size > 0) {
      if (!pumping) void drain();
    } else scheduleWake();
  };

  /** Arms the timer for the next lane wake-up or the next full look, whichever is first. */
  const scheduleWake = (): void => {
    const at = now();
    let next = nextFullLook > at ? nextFullLook : at + 1000;
    for (const time of wakeAt.values()) next = Math.min(next, time);
    arm(next - at);
  };

  /** Remembers that lane `key` has a row due at `time` (a retry, the end of a pause). */
  const wakeLaneAt = (key: string, time: number): void => {
    wakeAt.set(key, Math.min(wakeAt.get(key) ?? Infinity, time));
  };

  const prune = async (): Promise<void> => {
    const at = now();
    if (at - lastPrune < 3600_000) return;
    lastPrune = at;
    const removed = await store.prune(new Date(at - retentionMs).toISOString());
    if (removed > 0) logger?.info({ removed }, 'async actions: removed results past their retention');
  };

  const start = (row: AsyncActionRow, lane: Lane, immediate = false): void => {
    const controller = new AbortController();
    const key = laneKey(row.integration_id, row.connection_id);
    lane.running++;
    const done = execute(row, lane, key, controller.signal, immediate)
      .catch((error) => logger?.error({ id: row.id, err: String(error) }, 'async actions: could not record the outcome; the action runs again after a restart'))
      .finally(() => {
        const wasFull = inFlight.size >= concurrency;
        lane.running--;
        inFlight.delete(row.id);
        wakeWaiters(row.id);
        // A freed global slot may go to any lane; a freed lane slot, to this lane.
        pump(wasFull ? undefined : key);
      });
    inFlight.set(row.id, { controller, done });
  };

  /**
   * Runs one claimed row, then records what came of it: a result, a retry, a deferral or a
   * failure. The outcome is decided from the run alone; writing it is retried apart, so a store
   * that fails for a moment never turns a run that succeeded into a failure or a second run.
   */
  const execute = async (row: AsyncActionRow, lane: Lane, key: string, signal: AbortSignal, immediate: boolean): Promise<void> => {
    const attempt = row.attempts + 1; // the claim counted it
    let output: unknown;
    let failure: PatchbayError | undefined;
    try {
      if (row.scope.keyId !== null && (await options.keyRevoked?.(row.scope.keyId))) {
        throw new PatchbayError('FORBIDDEN', 'The API key that queued this action was revoked before it ran; nothing was sent to the provider. Trigger it again with a valid key.');
      }
      const result = await options.run({ integrationId: row.integration_id, name: row.action_name, connectionId: row.connection_id, input: row.input, scope: row.scope, signal });
      output = result.output ?? null;
      storable(output);
    } catch (error) {
      failure = toPatchbayError(error);
    }
    const at = now();
    const finished = new Date(at).toISOString();
    let patch: Parameters<AsyncActionStore['update']>[2];
    if (failure === undefined) {
      laneSucceeded(lane, laneMax);
      patch = { status: 'succeeded', attempts: attempt, output, error: null, finished_at: finished, claimed_by: null, input: null };
    } else if (stopping && signal.aborted) {
      // Cut short by a stop, not failed: it runs again, from the start, and the attempt is given back.
      patch = { status: 'queued', attempts: attempt - 1, run_at: at, claimed_by: null };
    } else if (isRateLimit(failure) && !immediate && at - Date.parse(row.created_at) < MAX_DEFER_MS) {
      wakeLaneAt(key, laneLimited(lane, failure, at));
      patch = { status: 'queued', attempts: attempt - 1, deferrals: row.deferrals + 1, run_at: lane.pausedUntil, error: boundedErrorJSON(failure, MAX_ERROR_BYTES), claimed_by: null };
    } else if (attempt <= row.max_retries && !FINAL_CODES.has(failure.code)) {
      const step = Math.min(60_000, retryBaseMs * 2 ** (attempt - 1));
      const wait = step / 2 + Math.random() * (step / 2);
      wakeLaneAt(key, at + wait);
      patch = { status: 'queued', attempts: attempt, run_at: at + wait, error: boundedErrorJSON(failure, MAX_ERROR_BYTES), claimed_by: null };
    } else {
      patch = { status: 'failed', attempts: attempt, error: boundedErrorJSON(failure, MAX_ERROR_BYTES), finished_at: finished, claimed_by: null, input: null };
    }
    if ((await record(row.id, patch, row)) && (patch.status === 'succeeded' || patch.status === 'failed')) announce(row);
  };

  /**
   * Outcomes the store would not take, even after retries: tried again on every heartbeat (and at
   * stop), so the row does not stay "running" for good while this queue lives.
   */
  const unrecorded = new Map<string, { row: AsyncActionRow; patch: Parameters<AsyncActionStore['update']>[2] }>();
  const retryUnrecorded = async (): Promise<void> => {
    for (const [id, { row, patch }] of unrecorded) {
      try {
        const written = await store.update(id, owner, patch);
        unrecorded.delete(id);
        if (written && (patch.status === 'succeeded' || patch.status === 'failed')) announce(row);
        wakeWaiters(id);
      } catch {
        // Still refused: kept for the next heartbeat.
      }
    }
  };

  /**
   * Writes an outcome, retrying a failing store (full disk, busy file) a few times; false when it
   * is not ours to write, or could not be written yet (then it waits in `unrecorded`).
   */
  const record = async (id: string, patch: Parameters<AsyncActionStore['update']>[2], row?: AsyncActionRow): Promise<boolean> => {
    for (const delay of [100, 500, 2000, -1]) {
      try {
        const written = await store.update(id, owner, patch);
        if (!written) logger?.warn({ id }, 'async actions: another queue took this action over; its outcome here is dropped');
        return written;
      } catch (error) {
        if (delay < 0) {
          logger?.error({ id, err: String(error) }, 'async actions: could not record the outcome; trying again on each heartbeat');
          if (row) unrecorded.set(id, { row, patch });
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return false;
  };

  const announce = options.onFinished
    ? createAnnouncer({ onFinished: options.onFinished, concurrency: options.announceConcurrency ?? 16, maxPending: options.maxPendingAnnouncements ?? 10_000, logger })
    : () => {};

  const interval = setInterval(() => void heartbeat(), Math.max(50, Math.floor(leaseMs / 3)));
  interval.unref();
  void heartbeat();

  return {
    async enqueue(request, enqueueOptions = {}) {
      if (!Number.isInteger(request.maxRetries) || request.maxRetries < 0 || request.maxRetries > MAX_ASYNC_RETRIES) {
        throw new PatchbayError('INVALID_ARGUMENT', `X-Max-Retries must be a whole number from 0 to ${MAX_ASYNC_RETRIES} (got ${request.maxRetries}).`);
      }
      const hash = requestHash(request);
      const idempotencyScope = request.scope.keyId ?? '';
      const reused = (held: AsyncActionRow): { row: AsyncActionRow; created: boolean } => {
        if (held.request_hash === hash) return { row: held, created: false };
        throw new PatchbayError(
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency-Key "${request.idempotencyKey}" was used for a different request (action ${held.integration_id}/${held.action_name} for "${held.connection_id}" with other input). Use a new key for a new request.`,
          { details: { id: held.id } },
        );
      };
      // A retried trigger gets its row back before any cap is counted.
      if (request.idempotencyKey !== undefined) {
        const held = await store.findByIdempotencyKey(idempotencyScope, request.idempotencyKey);
        if (held) return reused(held);
      }
      // One key's backlog (a provider that keeps limiting it) cannot take the whole queue. Without
      // keys (--no-auth, loopback only) there is one caller: the global cap alone applies.
      if (request.scope.keyId !== null && (await store.countUnfinished(idempotencyScope)) >= maxUnfinishedPerKey) {
        throw new PatchbayError('RATE_LIMITED', `This API key has ${maxUnfinishedPerKey} asynchronous actions waiting already; retry after 5 s, once some have run.`, { retryAfter: 5 });
      }
      if ((await store.countUnfinished()) >= maxUnfinished) {
        throw new PatchbayError('RATE_LIMITED', `${maxUnfinished} asynchronous actions are waiting already; retry after 5 s, or run this one synchronously (without X-Async).`, { retryAfter: 5 });
      }
      const at = now();
      const outcome = await store.insert({
        id: randomUUID(),
        integration_id: request.integrationId,
        connection_id: request.connectionId,
        action_name: request.actionName,
        input: request.input,
        scope: { keyId: request.scope.keyId, connections: request.scope.connections, tools: request.scope.tools },
        idempotency_scope: idempotencyScope,
        idempotency_key: request.idempotencyKey ?? null,
        request_hash: hash,
        status: 'queued',
        attempts: 0,
        max_retries: request.maxRetries,
        deferrals: 0,
        run_at: at,
        output: null,
        error: null,
        created_at: new Date(at).toISOString(),
        started_at: null,
        finished_at: null,
        claimed_by: null,
      });
      if (!outcome.created) return reused(outcome.row);
      if (outcome.created && enqueueOptions.immediate && !stopping && (await store.claim(outcome.row.id, new Date(now()).toISOString(), owner))) {
        start(outcome.row, laneOf(laneKey(request.integrationId, request.connectionId)), true);
      } else if (outcome.created) pump(laneKey(request.integrationId, request.connectionId));
      return outcome;
    },
    get: (id) => store.get(id),
    async wait(id, timeoutMs, signal) {
      const deadline = now() + timeoutMs;
      for (;;) {
        const row = await store.get(id);
        if (!row || row.status === 'succeeded' || row.status === 'failed' || signal?.aborted || now() >= deadline) return row;
        await new Promise<void>((resolve) => {
          let set = waiters.get(id);
          if (!set) waiters.set(id, (set = new Set()));
          const done = (): void => {
            clearTimeout(tick);
            signal?.removeEventListener('abort', done);
            set.delete(done);
            if (set.size === 0) waiters.delete(id);
            resolve();
          };
          const tick = setTimeout(done, Math.max(1, Math.min(1000, deadline - now())));
          signal?.addEventListener('abort', done, { once: true });
          set.add(done);
        });
      }
    },
    running: () => inFlight.size,
    async stop() {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      const settled = Promise.all([...inFlight.values()].map((job) => job.done));
      const grace = (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, stopGraceMs).unref());
      await Promise.race([settled, grace()]);
      for (const job of inFlight.values()) job.controller.abort(new PatchbayError('ABORTED', 'The server is stopping; the action runs again after it starts.'));
      // A run that ignores its signal is left behind; its row stays running and is resumed once
      // this queue's runner lease runs out.
      await Promise.race([settled, grace()]);
      clearInterval(interval);
      await retryUnrecorded();
      if (leader) await locks.release(LEASE_KEY, owner).catch(() => false);
      if (inFlight.size === 0 && unrecorded.size === 0) await locks.release(runnerLease(owner), owner).catch(() => false);
      leader = false;
    },
  };
}

/** INVALID_OUTPUT unless `output` can be stored as JSON (a BigInt or a cycle cannot). */
function storable(output: unknown): void {
  try {
    JSON.stringify(output);
  } catch (error) {
    throw new PatchbayError('INVALID_OUTPUT', `The action's output cannot be stored as JSON (${(error as Error).message}); return plain JSON values.`, { cause: error });
  }
}
