/**
 * Runner processes (runner.ts): where function code runs by default. Each runner is a separate
 * Node process under the permission model (see runner.ts), with its own heap limit and a
 * scrubbed environment; its stdout and stderr are read here as log lines.
 *
 * A runner serves one *scope* — an API key and a connection — for its life: executions of other
 * keys or connections never share its globals. Many executions of that scope run in it at once
 * (they mostly wait on I/O), so a slow provider holds one scope's runner, not the server. When
 * every runner is busy, waiting jobs are taken round-robin by scope, so one caller cannot starve
 * the rest. An idle runner of another scope is retired to make room; a warm spare hides the start
 * of a new one. A runner that dies (crash, memory limit, a job that would not stop) fails only the
 * jobs it was running, and the next job gets a fresh one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import type { Capabilities } from './capabilities.ts';
import { serveJob, type FromWorker, type JobSpec, type ToWorker } from './worker-protocol.ts';

/** Pool tuning; every field has a default fit for a small server. */
export interface RunnerPoolOptions {
  /** Runner processes at most (default max(4, 2 × cores)); a spare counts. */
  maxRunners?: number;
  /** Executions one runner runs at once (default 32: they wait on I/O, not the CPU). */
  jobsPerRunner?: number;
  /** V8 old-generation heap limit per runner, in MB (default 256). */
  memoryLimitMb?: number;
  /** After a cancel, how long a job may take to settle before its runner is stopped (default 1000 ms). */
  cancelGraceMs?: number;
  /** Idle runners are ended after this long (default 30 s). */
  idleMs?: number;
  /** A runner that has imported more bundle versions than this is replaced when idle (default 200). */
  recycleAfter?: number;
  /** Keep one unbound runner started, so a new scope does not wait for a process start (default true). */
  spare?: boolean;
  /** A result larger than this (serialized) is refused in the runner, before it crosses (default 32 MB). */
  maxResultBytes?: number;
  /** Folders the runner may read besides patchbay's own code and dependencies: the bundles. */
  readRoots?: (() => string[]) | undefined;
  /** Where a runner's stdout/stderr lines go (default: this process's stderr, never stdout). */
  onOutput?: ((line: string, pid: number | undefined) => void) | undefined;
}

interface Runner {
  proc: ChildProcess;
  /** The scope it serves; null while it is the spare. */
  scope: string | null;
  jobs: Set<number>;
  ready: Promise<void>;
  started: boolean;
  dead: boolean;
  recycle?: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Its stderr mentioned running out of heap: a death then is MEMORY_LIMIT. */
  outOfMemory: boolean;
  /** What it said before dying of an error no job caught. */
  fatal?: string;
}

interface Job {
  spec: JobSpec;
  scope: string;
  overflow: boolean;
  caps: Capabilities;
  runner?: Runner;
  resolve: (value: unknown) => void;
  reject: (error: PatchbayError) => void;
  settled: boolean;
  /** Cancelled (caller or timeout): the runner was asked to stop it; `reason` is the answer. */
  cancelled: boolean;
  reason?: PatchbayError;
  graceTimer?: NodeJS.Timeout;
  /** Ends the short wait for the runner's own report of a cancelled job. */
  reportTimer?: NodeJS.Timeout;
}

/**
 * How long a cancelled job waits for its runner to report before it is failed anyway: enough for
 * the runner to abort its requests and send their log (so a timed-out result still lists them),
 * short enough that a function ignoring the signal cannot hold its caller.
 */
const CANCEL_REPORT_MS = 100;

/** Environment variables a runner gets; nothing else of the server's environment crosses. */
export const RUNNER_ENV_KEYS = ['NODE_ENV', 'TZ', 'LANG', 'LC_ALL'];

const RUNNER_FILE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './runner.ts' : './runner.js', import.meta.url));
/** patchbay's code (src/ or dist/) and its package.json. */
const CODE_DIR = path.dirname(path.dirname(RUNNER_FILE));
const PACKAGE_JSON = path.join(path.dirname(CODE_DIR), 'package.json');

/** The node_modules folders patchbay's runtime dependencies load from (zod, undici…). */
function dependencyRoots(): string[] {
  const roots = new Set<string>();
  for (const name of ['zod', 'undici']) {
    try {
      const file = fileURLToPath(import.meta.resolve(name));
      const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
      if (at >= 0) roots.add(file.slice(0, at + '/node_modules'.length));
    } catch {
      // Not installed: nothing to allow.
    }
  }
  return [...roots];
}

function runnerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of RUNNER_ENV_KEYS) if (process.env[key] !== undefined) env[key] = process.env[key]!;
  return env;
}

/** Runs jobs in runner processes; see the module doc. One per executor; `close()` at shutdown. */
export class RunnerPool {
  readonly #options: Required<Omit<RunnerPoolOptions, 'readRoots' | 'onOutput'>> & Pick<RunnerPoolOptions, 'readRoots' | 'onOutput'>;
  readonly #runners = new Set<Runner>();
  readonly #jobs = new Map<number, Job>();
  /** Waiting jobs by scope, and the scopes in the order they are served. */
  readonly #waiting = new Map<string, Job[]>();
  #closed = false;
  #startFailures = 0;
  /** Runners replaced after a crash, timeout or memory limit (tests, metrics). */
  replaced = 0;
  /** Runners replaced because they had loaded too many bundle versions. */
  recycled = 0;

  constructor(options: RunnerPoolOptions = {}) {
    this.#options = {
      maxRunners: Math.max(1, options.maxRunners ?? Math.max(4, availableParallelism() * 2)),
      jobsPerRunner: options.jobsPerRunner ?? 32,
      memoryLimitMb: options.memoryLimitMb ?? 256,
      cancelGraceMs: options.cancelGraceMs ?? 1000,
      idleMs: options.idleMs ?? 30_000,
      recycleAfter: options.recycleAfter ?? 200,
      spare: options.spare ?? true,
      maxResultBytes: options.maxResultBytes ?? 32 * 1024 * 1024,
      readRoots: options.readRoots,
      onOutput: options.onOutput,
    };
    if (this.#options.spare) this.#spawn(null);
  }

  /** Live runner processes. */
  get size(): number {
    return this.#runners.size;
  }

  /** The pids of the live runners (tests: a killed runner is replaced). */
  pids(): number[] {
    return [...this.#runners].map((runner) => runner.proc.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * Runs `spec` in a runner of `scope`; capability calls go to `caps`. When `signal` aborts, the
   * promise rejects at once with its reason; the runner is asked to cancel and is stopped if the
   * job has not settled within `cancelGraceMs`.
   */
  run(spec: JobSpec, caps: Capabilities, signal: AbortSignal, overflow = false, scope = '*'): Promise<unknown> {
    if (this.#closed) return Promise.reject(new PatchbayError('INTERNAL', 'The runner pool is closed.'));
    return new Promise((resolve, reject) => {
      const job: Job = { spec, scope, caps, overflow, resolve, reject, settled: false, cancelled: false };
      if (signal.aborted) return reject(toPatchbayError(signal.reason, 'ABORTED'));
      signal.addEventListener('abort', () => this.#cancel(job, toPatchbayError(signal.reason, 'ABORTED')), { once: true });
      this.#jobs.set(spec.job, job);
      const queue = this.#waiting.get(scope) ?? [];
      queue.push(job);
      this.#waiting.delete(scope);
      this.#waiting.set(scope, queue);
      this.#pump();
    });
  }

  /** Ends every runner; pending jobs fail with INTERNAL. */
  async close(): Promise<void> {
    this.#closed = true;
    const shutdown = () => new PatchbayError('INTERNAL', 'The runtime is shutting down.');
    for (const queue of this.#waiting.values()) for (const job of queue) this.#settle(job, shutdown());
    this.#waiting.clear();
    const runners = [...this.#runners];
    this.#runners.clear();
    await Promise.all(
      runners.map((runner) => {
        runner.dead = true;
        for (const id of runner.jobs) {
          const job = this.#jobs.get(id);
          if (job) this.#settle(job, shutdown());
        }
        return stop(runner.proc);
      }),
    );
  }

  /** Places waiting jobs, scope by scope in turn, until none can be placed. */
  #pump(): void {
    let placed = true;
    while (placed && this.#waiting.size > 0) {
      placed = false;
      for (const [scope, queue] of [...this.#waiting]) {
        const job = queue[0]!;
        const runner = this.#pick(scope, job.overflow);
        if (!runner) continue;
        queue.shift();
        this.#waiting.delete(scope);
        // Served: the scope goes to the back of the line.
        if (queue.length > 0) this.#waiting.set(scope, queue);
        this.#start(job, runner);
        placed = true;
      }
    }
  }

  #start(job: Job, runner: Runner): void {
    job.runner = runner;
    runner.jobs.add(job.spec.job);
    if (runner.idleTimer) clearTimeout(runner.idleTimer);
    // A runner with work keeps this process alive; an idle one does not.
    hold(runner.proc, true);
    void runner.ready.then(() => {
      if (runner.dead) return;
      if (job.settled) return this.#release(runner, job);
      try {
        this.#post(runner, { t: 'run', spec: job.spec });
      } catch (error) {
        this.#release(runner, job);
        this.#settle(job, new PatchbayError('INVALID_INPUT', `The input cannot be sent to the runner (${(error as Error).message}). Pass plain JSON data.`));
      }
    });
  }

  /** A runner for `scope` with room, binding the spare or starting one when allowed. */
  #pick(scope: string, overflow: boolean): Runner | undefined {
    let best: Runner | undefined;
    for (const runner of this.#runners) {
      if (runner.dead || runner.scope !== scope || runner.recycle || runner.jobs.size >= this.#options.jobsPerRunner) continue;
      if (!best || runner.jobs.size < best.jobs.size) best = runner;
    }
    if (best) return best;
    const spare = [...this.#runners].find((runner) => runner.scope === null && !runner.dead);
    if (spare) {
      spare.scope = scope;
      if (this.#options.spare && this.#runners.size < this.#options.maxRunners) this.#spawn(null);
      return spare;
    }
    if (this.#runners.size < this.#options.maxRunners || overflow) return this.#spawn(scope);
    // Full: an idle runner of another scope makes room.
    const idle = [...this.#runners].find((runner) => runner.jobs.size === 0 && runner.started && !runner.dead);
    if (idle) {
      this.#retire(idle, false, false);
      return this.#spawn(scope);
    }
    return undefined;
  }

  #spawn(scope: string | null): Runner {
    const limit = this.#options.memoryLimitMb;
    const reads = [CODE_DIR, PACKAGE_JSON, ...dependencyRoots(), ...(this.#options.readRoots?.() ?? [])];
    const settings = JSON.stringify({ recycleAfter: this.#options.recycleAfter, maxResultBytes: this.#options.maxResultBytes });
    const proc = fork(RUNNER_FILE, [settings], {
      execArgv: ['--permission', ...reads.map((dir) => `--allow-fs-read=${dir}`), `--max-old-space-size=${limit}`, '--disable-warning=ExperimentalWarning'],
      env: runnerEnv(),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let markReady!: () => void;
    const runner: Runner = { proc, scope, jobs: new Set(), ready: new Promise((r) => (markReady = r)), started: false, dead: false, outOfMemory: false };
    const output = this.#options.onOutput ?? ((line: string, pid: number | undefined) => process.stderr.write(`[runner ${pid}] ${line}\n`));
    const lines = (stream: NodeJS.ReadableStream | null, stderr: boolean) => {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        // Bound a line a function writes without newlines: it is still only a log line.
        if (rest.length > 64 * 1024) {
          parts.push(rest.slice(0, 64 * 1024));
          rest = '';
        }
        for (const line of parts) {
          if (stderr && /heap out of memory|Reached heap limit/i.test(line)) runner.outOfMemory = true;
          output(line, proc.pid);
        }
      });
    };
    lines(proc.stdout, false);
    lines(proc.stderr, true);
    proc.on('message', (message: FromWorker) => {
      if (message.t === 'ready') {
        runner.started = true;
        this.#startFailures = 0;
        markReady();
      } else this.#onMessage(runner, message);
    });
    proc.on('error', () => {
      // 'exit' follows with the details; a failed send lands here too.
    });
    proc.on('exit', (code, signal) => {
      const error = runner.outOfMemory
        ? new PatchbayError('MEMORY_LIMIT', `The function exceeded the memory limit of ${limit} MB and was stopped. Process less data per call (paginate, batchSave in chunks) or raise the limit.`)
        : runner.fatal !== undefined
          ? new PatchbayError('FUNCTION_CRASHED', `The function crashed its runner: ${runner.fatal}. Await every promise and catch errors inside the function.`)
          : new PatchbayError('FUNCTION_CRASHED', `The function ended its runner process (${signal ? `signal ${signal}` : `exit code ${code}`}, e.g. process.exit()). Functions must return or throw, never exit.`);
      this.#onExit(runner, error);
    });
    this.#runners.add(runner);
    this.#idle(runner);
    return runner;
  }

  #onMessage(runner: Runner, message: FromWorker): void {
    if (message.t === 'ready') return;
    if (message.t === 'recycle') {
      runner.recycle = true;
      this.#idle(runner);
      return;
    }
    if (message.t === 'fatal') {
      runner.fatal = message.message;
      return;
    }
    // A runner speaks only for the jobs it was given: anything else is refused or ignored.
    const owned = runner.jobs.has(message.job);
    const job = owned ? this.#jobs.get(message.job) : undefined;
    if (serveJob(message, job, (reply) => this.#post(runner, reply)) || message.t !== 'done' || !job) return;
    // Its last HTTP calls come with the end of the job.
    if (message.calls) serveJob({ t: 'http', job: message.job, calls: message.calls }, job, () => undefined);
    this.#release(runner, job);
    // A cancelled job fails with the reason it was cancelled for, whatever the runner says.
    if (job.reason) this.#settle(job, job.reason);
    else if (message.ok) this.#settle(job, undefined, message.v);
    else this.#settle(job, PatchbayError.fromJSON(message.e));
  }

  #post(runner: Runner, message: ToWorker): void {
    if (runner.dead || !runner.proc.connected) return;
    try {
      runner.proc.send(message);
    } catch (error) {
      if (message.t === 'reply') {
        runner.proc.send({ t: 'reply', id: message.id, ok: false, e: new PatchbayError('INTERNAL', `A capability returned a value that cannot be sent to the runner: ${(error as Error).message}`).toJSON() });
      } else throw error;
    }
  }

  #cancel(job: Job, reason: PatchbayError): void {
    if (job.settled) return;
    const queue = this.#waiting.get(job.scope);
    const at = queue?.indexOf(job) ?? -1;
    if (queue && at >= 0) {
      queue.splice(at, 1);
      if (queue.length === 0) this.#waiting.delete(job.scope);
      this.#settle(job, reason);
      return;
    }
    job.cancelled = true;
    job.reason = reason;
    const runner = job.runner;
    if (!runner || runner.dead || !runner.started) {
      this.#settle(job, reason);
      if (!runner || runner.dead) return;
    } else {
      job.reportTimer = setTimeout(() => this.#settle(job, reason), Math.min(CANCEL_REPORT_MS, this.#options.cancelGraceMs));
    }
    this.#post(runner, { t: 'cancel', job: job.spec.job, e: reason.toJSON() });
    job.graceTimer = setTimeout(() => {
      if (runner.jobs.has(job.spec.job)) this.#retire(runner);
    }, this.#options.cancelGraceMs);
    job.graceTimer.unref();
  }

  #settle(job: Job, error: PatchbayError | undefined, value?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    if (job.reportTimer) clearTimeout(job.reportTimer);
    if (!job.cancelled && !job.runner) this.#jobs.delete(job.spec.job);
    if (error) job.reject(error);
    else job.resolve(value);
  }

  #release(runner: Runner, job: Job): void {
    if (job.graceTimer) clearTimeout(job.graceTimer);
    runner.jobs.delete(job.spec.job);
    this.#jobs.delete(job.spec.job);
    this.#idle(runner);
    this.#pump();
  }

  #idle(runner: Runner): void {
    if (runner.jobs.size > 0 || runner.dead) return;
    if (runner.recycle) {
      this.recycled++;
      this.#retire(runner, true, false);
      return;
    }
    hold(runner.proc, false);
    if (runner.scope !== null) {
      runner.idleTimer = setTimeout(() => {
        if (runner.jobs.size === 0) this.#retire(runner, false, false);
      }, this.#options.idleMs);
      runner.idleTimer.unref();
    }
  }

  /** Stops a runner (a job that would not stop, idle, recycled); `replace` keeps a spare. */
  #retire(runner: Runner, replace = true, count = replace): void {
    if (runner.dead) return;
    runner.dead = true;
    this.#runners.delete(runner);
    if (count) this.replaced++;
    for (const id of runner.jobs) {
      const job = this.#jobs.get(id);
      this.#jobs.delete(id);
      if (job) this.#settle(job, new PatchbayError('FUNCTION_CRASHED', 'The runner process running this function was stopped (an execution in it did not stop when asked).'));
    }
    runner.jobs.clear();
    void stop(runner.proc);
    if (replace) this.#refill();
  }

  #onExit(runner: Runner, error: PatchbayError): void {
    if (runner.dead) return;
    runner.dead = true;
    this.#runners.delete(runner);
    this.replaced++;
    for (const id of runner.jobs) {
      const job = this.#jobs.get(id);
      this.#jobs.delete(id);
      if (job) this.#settle(job, error);
    }
    runner.jobs.clear();
    if (!runner.started && ++this.#startFailures >= 3) {
      // Runners cannot start at all (broken install?): fail what waits instead of respawning forever.
      const cause = new PatchbayError('INTERNAL', `Runner processes fail to start: ${error.message}`);
      for (const queue of this.#waiting.values()) for (const job of queue) this.#settle(job, cause);
      this.#waiting.clear();
      this.#startFailures = 0;
      return;
    }
    this.#refill();
  }

  #refill(): void {
    if (this.#closed) return;
    if (this.#options.spare && ![...this.#runners].some((runner) => runner.scope === null) && this.#runners.size < this.#options.maxRunners) this.#spawn(null);
    this.#pump();
  }
}

/** Ends a runner: SIGKILL, since its code is not trusted to exit when asked. */
function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    // Waiting for the exit must keep this process alive, even for an idle (unref'd) runner.
    proc.ref();
    proc.kill('SIGKILL');
  });
}

/** Refs (or unrefs) a runner's process, pipes and IPC channel: only busy runners keep us alive. */
function hold(proc: ChildProcess, busy: boolean): void {
  const handles = [proc, proc.stdout, proc.stderr, proc.channel] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const handle of handles) (busy ? handle?.ref : handle?.unref)?.call(handle);
}
