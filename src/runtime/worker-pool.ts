/**
 * A warm pool of worker threads that run user code. Each worker has a V8 heap limit
 * (`resourceLimits.maxOldGenerationSizeMb`) and by default runs one job at a time, so an
 * infinite loop, a memory bomb, `process.exit()` or an uncaught rejection costs exactly one
 * execution: that job fails (TIMEOUT, MEMORY_LIMIT, FUNCTION_CRASHED), the worker is replaced,
 * everything else goes on. Capabilities stay on the main thread and answer the worker's calls.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import type { Capabilities } from './capabilities.ts';
import { serveJob, type FromWorker, type JobSpec, type ToWorker } from './worker-protocol.ts';

/** Pool tuning; every field has a default fit for a small server. */
export interface WorkerPoolOptions {
  /** Workers kept warm (default 1). */
  minWorkers?: number;
  /** Upper bound on workers (default max(4, 2 × cores)). Excess jobs wait in a queue. */
  maxWorkers?: number;
  /** Jobs a worker runs at once (default 1: full isolation; more trades isolation for throughput). */
  jobsPerWorker?: number;
  /** V8 old-generation heap limit per worker, in MB (default 256). */
  memoryLimitMb?: number;
  /** After a cancel, how long a job may take to settle before its worker is terminated (default 1000 ms). */
  cancelGraceMs?: number;
  /** Idle workers above `minWorkers` are ended after this long (default 30 s). */
  idleMs?: number;
  /** A worker that has imported more bundle versions than this is replaced when idle (default 200). */
  recycleAfter?: number;
}

interface Slot {
  worker: Worker;
  jobs: Set<number>;
  ready: Promise<void>;
  started: boolean;
  dead: boolean;
  /** Asked to be replaced (too many bundle versions loaded): retired when idle. */
  recycle?: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Job {
  spec: JobSpec;
  /** May start a worker beyond maxWorkers (nested runs, whose parents hold workers). */
  overflow: boolean;
  caps: Capabilities;
  slot?: Slot;
  resolve: (value: unknown) => void;
  reject: (error: PatchbayError) => void;
  settled: boolean;
  /** Cancelled by the caller: rejected already, waiting for the worker to confirm. */
  cancelled: boolean;
  graceTimer?: NodeJS.Timeout;
}

/** Environment variables passed to workers; everything else in process.env stays on the main thread. */
export const WORKER_ENV_KEYS = ['NODE_ENV', 'TZ', 'LANG', 'LC_ALL'];

function workerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of WORKER_ENV_KEYS) if (process.env[key] !== undefined) env[key] = process.env[key]!;
  return env;
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Runs jobs in workers; see module doc. Create one per runtime, `close()` it at shutdown. */
export class WorkerPool {
  readonly #options: Required<WorkerPoolOptions>;
  readonly #slots = new Set<Slot>();
  readonly #jobs = new Map<number, Job>();
  readonly #queue: Job[] = [];
  #closed = false;
  /** Workers in a row that died before becoming ready; stops a respawn loop when workers cannot start. */
  #startFailures = 0;
  /** Workers replaced after a crash, timeout or memory limit (for tests and metrics). */
  replaced = 0;
  /** Workers replaced because they had loaded too many bundle versions. */
  recycled = 0;

  constructor(options: WorkerPoolOptions = {}) {
    const max = options.maxWorkers ?? Math.max(4, availableParallelism() * 2);
    this.#options = {
      minWorkers: Math.min(options.minWorkers ?? 1, max),
      maxWorkers: max,
      jobsPerWorker: options.jobsPerWorker ?? 1,
      memoryLimitMb: options.memoryLimitMb ?? 256,
      cancelGraceMs: options.cancelGraceMs ?? 1000,
      idleMs: options.idleMs ?? 30_000,
      recycleAfter: options.recycleAfter ?? 200,
    };
    for (let i = 0; i < this.#options.minWorkers; i++) this.#spawn();
  }

  /** Number of live workers. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Runs `spec` in a worker; capability calls go to `caps`. When `signal` aborts, the promise
   * rejects at once with the signal's reason (a PatchbayError TIMEOUT or ABORTED), the worker is
   * asked to cancel and is terminated if the job has not settled within `cancelGraceMs`.
   */
  run(spec: JobSpec, caps: Capabilities, signal: AbortSignal, overflow = false): Promise<unknown> {
    if (this.#closed) return Promise.reject(new PatchbayError('INTERNAL', 'The worker pool is closed.'));
    return new Promise((resolve, reject) => {
      const job: Job = { spec, caps, overflow, resolve, reject, settled: false, cancelled: false };
      if (signal.aborted) return reject(toPatchbayError(signal.reason, 'ABORTED'));
      signal.addEventListener('abort', () => this.#cancel(job, toPatchbayError(signal.reason, 'ABORTED')), { once: true });
      this.#jobs.set(spec.job, job);
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Terminates every worker; pending jobs fail with INTERNAL. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) this.#settle(job, new PatchbayError('INTERNAL', 'The runtime is shutting down.'));
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) {
      slot.dead = true;
      for (const id of slot.jobs) {
        const job = this.#jobs.get(id);
        if (job) this.#settle(job, new PatchbayError('INTERNAL', 'The runtime is shutting down.'));
      }
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const index = this.#queue.findIndex((job) => job.overflow);
      const slot = this.#pick(index >= 0);
      if (!slot) return;
      const job = this.#queue.splice(index >= 0 ? index : 0, 1)[0]!;
      job.slot = slot;
      slot.jobs.add(job.spec.job);
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.worker.ref();
      void slot.ready.then(() => {
        if (slot.dead) return;
        if (job.settled) return this.#release(slot, job); // cancelled before the worker was ready
        try {
          this.#post(slot, { t: 'run', spec: job.spec });
        } catch (error) {
          this.#release(slot, job);
          this.#settle(job, new PatchbayError('INVALID_INPUT', `The input cannot be sent to the worker (${(error as Error).message}). Pass plain JSON data.`));
        }
      });
    }
  }

  #pick(overflow = false): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.dead || slot.jobs.size >= this.#options.jobsPerWorker) continue;
      if (!best || slot.jobs.size < best.jobs.size) best = slot;
      if (slot.jobs.size === 0) break;
    }
    if (best && best.jobs.size === 0) return best;
    if (this.#slots.size < this.#options.maxWorkers || (overflow && !best)) return this.#spawn();
    return best;
  }

  #spawn(): Slot {
    const limit = this.#options.memoryLimitMb;
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: limit, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(limit / 8))) },
      stdout: true,
      stderr: true,
      workerData: { recycleAfter: this.#options.recycleAfter },
      // User code sees no server secrets (encryption key, OAuth client secrets, API keys): only
      // what a function may rely on. Configuration reaches it through getEnvironmentVariables().
      env: workerEnv(),
    });
    // stdout belongs to the MCP stdio transport: user console output goes to stderr.
    const forward = (chunk: Buffer) => process.stderr.write(chunk);
    worker.stdout.on('data', forward);
    worker.stderr.on('data', forward);
    let markReady!: () => void;
    const slot: Slot = { worker, jobs: new Set(), ready: new Promise((r) => (markReady = r)), started: false, dead: false };
    let fatal: PatchbayError | undefined;
    worker.on('message', (message: FromWorker) => {
      if (message.t === 'ready') {
        slot.started = true;
        this.#startFailures = 0;
        markReady();
      } else this.#onMessage(slot, message);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      fatal =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new PatchbayError('MEMORY_LIMIT', `The function exceeded the memory limit of ${limit} MB and was stopped. Process less data per call (paginate, batchSave in chunks) or raise the limit.`)
          : new PatchbayError('FUNCTION_CRASHED', `The function crashed its worker: ${error.message || String(error)}. Await every promise and catch errors inside the function.`);
    });
    worker.on('exit', (code) => {
      const error =
        fatal ?? new PatchbayError('FUNCTION_CRASHED', `The function ended its worker (exit code ${code}, e.g. process.exit()). Functions must return or throw, never exit.`);
      this.#onExit(slot, error);
    });
    this.#slots.add(slot);
    this.#idle(slot);
    return slot;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.t === 'ready') return;
    if (message.t === 'fatal') return;
    if (message.t === 'recycle') {
      slot.recycle = true;
      this.#idle(slot);
      return;
    }
    const job = this.#jobs.get(message.job);
    if (serveJob(message, job, (reply) => this.#post(slot, reply)) || message.t !== 'done' || !job) return;
    this.#release(slot, job);
    if (message.ok) this.#settle(job, undefined, message.v);
    else this.#settle(job, PatchbayError.fromJSON(message.e));
  }

  #post(slot: Slot, message: ToWorker): void {
    if (slot.dead) return;
    try {
      slot.worker.postMessage(message);
    } catch (error) {
      if (message.t === 'reply') {
        slot.worker.postMessage({ t: 'reply', id: message.id, ok: false, e: new PatchbayError('INTERNAL', `A capability returned a value that cannot be sent to the worker: ${(error as Error).message}`).toJSON() });
      } else throw error;
    }
  }

  #cancel(job: Job, reason: PatchbayError): void {
    if (job.settled) return;
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(job, reason);
      return;
    }
    job.cancelled = true;
    this.#settle(job, reason);
    const slot = job.slot;
    if (!slot || slot.dead) return;
    this.#post(slot, { t: 'cancel', job: job.spec.job, e: reason.toJSON() });
    job.graceTimer = setTimeout(() => {
      if (slot.jobs.has(job.spec.job)) this.#retire(slot);
    }, this.#options.cancelGraceMs);
    job.graceTimer.unref();
  }

  #settle(job: Job, error: PatchbayError | undefined, value?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    if (!job.cancelled && !job.slot) this.#jobs.delete(job.spec.job);
    if (error) job.reject(error);
    else job.resolve(value);
  }

  /** The worker said the job is done (or it was cancelled and has now settled). */
  #release(slot: Slot, job: Job): void {
    if (job.graceTimer) clearTimeout(job.graceTimer);
    slot.jobs.delete(job.spec.job);
    this.#jobs.delete(job.spec.job);
    this.#idle(slot);
    this.#pump();
  }

  #idle(slot: Slot): void {
    if (slot.jobs.size > 0 || slot.dead) return;
    if (slot.recycle) {
      this.recycled++;
      this.#retire(slot, true, false);
      return;
    }
    slot.worker.unref();
    if (this.#slots.size > this.#options.minWorkers) {
      slot.idleTimer = setTimeout(() => {
        if (slot.jobs.size === 0 && this.#slots.size > this.#options.minWorkers) this.#retire(slot, false);
      }, this.#options.idleMs);
      slot.idleTimer.unref();
    }
  }

  /** Terminates a worker (stuck after cancel, or idle); `replace` keeps the pool warm. */
  #retire(slot: Slot, replace = true, count = replace): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    if (count) this.replaced++;
    for (const id of slot.jobs) {
      const job = this.#jobs.get(id);
      this.#jobs.delete(id);
      if (job) this.#settle(job, new PatchbayError('FUNCTION_CRASHED', 'The worker running this function was stopped.'));
    }
    slot.jobs.clear();
    void slot.worker.terminate();
    if (replace) this.#refill();
  }

  #onExit(slot: Slot, error: PatchbayError): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    this.replaced++;
    for (const id of slot.jobs) {
      const job = this.#jobs.get(id);
      this.#jobs.delete(id);
      if (job) this.#settle(job, error);
    }
    slot.jobs.clear();
    if (!slot.started && ++this.#startFailures >= 3) {
      // Workers cannot start at all (broken install?): fail what waits instead of respawning forever.
      const cause = new PatchbayError('INTERNAL', `Worker threads fail to start: ${error.message}`);
      for (const job of this.#queue.splice(0)) this.#settle(job, cause);
      this.#startFailures = 0;
      return;
    }
    this.#refill();
  }

  #refill(): void {
    if (this.#closed) return;
    while (this.#slots.size < this.#options.minWorkers) this.#spawn();
    this.#pump();
  }
}
