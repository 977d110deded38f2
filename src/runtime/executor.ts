/**
 * Step 2 of a tool call: validate, dispatch, time out. Called by the front end (mcp/handlers.ts,
 * step 1); hands the job to the worker pool (runtime/worker-pool.ts → worker.ts, step 3).
 *
 * The executor: the one way to run an action, sync or on-event function, shared by dryrun, the
 * MCP server, the HTTP API, `patchbay test` and the sync runner. It finds the function in the
 * manifest, arms the timeout, asks a scope factory for the capabilities of this request (live
 * ones, dry-run ones, fixture ones: nango-test/run.ts), runs the function in a worker (or inline,
 * as `patchbay test` does), enforces the timeout and the caller's AbortSignal, and gathers logs,
 * HTTP calls and record changes into the result.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { publishFinish, publishStart, type ExecutionEvent } from '../observability/channels.ts';
import { hasSecretKeys, redactValue } from '../observability/redact.ts';
import type { Capabilities, ContextInfo, DirectHttp } from './capabilities.ts';
import { invoke } from './invoke.ts';
import { loadDefinition } from './load.ts';
import { findFunction } from './lookup.ts';
import type { JobSpec } from './worker-protocol.ts';
import type { ExecutionRequest, ExecutionResult, Executor, HttpCallLog, LogEntry, SyncChanges } from './types.ts';
import { RunnerPool } from './runner-pool.ts';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool.ts';

/** Entries kept in `ExecutionResult.logs` (all still reach `onLog` and the process logger). */
export const MAX_KEPT_LOGS = 1000;

/** How deep `triggerAction` may nest. */
export const MAX_DEPTH = 8;

/** Default hard timeouts per function type, in ms. */
export const DEFAULT_TIMEOUTS = { action: 60_000, sync: 3_600_000, onEvent: 60_000 } as const;

/** What a scope factory receives: the function, the request and this execution's id and signal. */
export interface ScopeRequest {
  fn: FunctionManifest;
  request: ExecutionRequest;
  executionId: string;
  /** Aborted on caller cancel or timeout; pass it to every HTTP request. */
  signal: AbortSignal;
  /** Epoch ms at which the execution times out (no retry wait should end after it). */
  deadline: number;
  /** Adds an entry to the execution's logs (warnings from capabilities, e.g. withheld credentials). */
  log: (entry: LogEntry) => void;
  /**
   * The function runs across a boundary (a runner or worker) that can call the execution's own
   * connection itself: the scope may hand it `direct` (see ExecutionScope).
   */
  direct?: boolean;
}

/** What a run gathered besides its output. */
export interface ScopeOutcome {
  http?: HttpCallLog[];
  changes?: SyncChanges;
  records?: ExecutionResult['records'];
}

/** Capabilities for one execution, plus the cleanup that collects what it did. */
export interface ExecutionScope {
  /** Everything but `log`/`progress`, which the executor provides. */
  caps: Omit<Capabilities, 'log' | 'progress'>;
  info: ContextInfo;
  /**
   * What the runner needs to call the own connection without a round trip per request (asked
   * for with `ScopeRequest.direct`); `caps.refreshCredentials` and `caps.recordHttpCall` come with it.
   */
  direct?: DirectHttp;
  /** Called once when the run ends (success or failure): release locks, return collected facts. */
  finish?(ok: boolean): Promise<ScopeOutcome> | ScopeOutcome;
}

/**
 * Builds capabilities per request (runtime/live-capabilities.ts is the live one). It is called
 * after the timeout timer is armed, and the scope's `finish` runs once however the run ends, so a
 * factory may patch globals for the length of one run (replay makes `setTimeout` instant).
 */
export type ScopeFactory = (request: ScopeRequest) => Promise<ExecutionScope>;

export interface ExecutorOptions {
  /** The manifest, or a getter returning the current one (so a rebuild is picked up). */
  manifest: Manifest | (() => Manifest);
  scope: ScopeFactory;
  /**
   * Where user code runs. 'process' (default): runner processes under Node's permission model,
   * one scope (key + connection) per runner (runner-pool.ts). 'worker': worker threads of this
   * process — contained, not a security boundary. 'inline': this thread (tests, benchmarks).
   */
  isolation?: Isolation;
  /** Pool tuning for either kind (maxWorkers = runners or workers at most, jobsPerWorker = jobs at once in one). */
  pool?: WorkerPoolOptions;
  /**
   * Syncs run in a pool of their own (same options, no warm worker unless given), so long syncs
   * never make an action or on-event wait for a worker.
   */
  syncPool?: WorkerPoolOptions;
  /** Per-type default timeouts (ms); a definition's `timeoutMs` and the request's override them. */
  timeouts?: Partial<Record<FunctionManifest['type'], number>>;
  /** Default for `ExecutionRequest.validate` (true). */
  validate?: boolean;
  logger?: Logger;
}

/** What a failed execution gathered, attached to its error (see `executionOf`). */
export interface FailedExecution {
  executionId: string;
  durationMs: number;
  logs: LogEntry[];
  http: HttpCallLog[];
}

const EXECUTION = Symbol.for('patchbay.execution');

/** The logs and HTTP calls of the execution that failed with `error`, when there were any. */
export function executionOf(error: unknown): FailedExecution | undefined {
  return typeof error === 'object' && error !== null ? ((error as Record<symbol, FailedExecution>)[EXECUTION] ?? undefined) : undefined;
}

let nextJob = 0;

/**
 * Creates an executor.
 *
 * @example
 * const executor = createExecutor({ manifest, scope: liveScopes(deps) });
 * const { output } = await executor.run({ integrationId: 'github', name: 'create-issue', connectionId: 'alice', input });
 */
export function createExecutor(options: ExecutorOptions): Executor & { readonly pool: JobPool | undefined; readonly syncPool: JobPool | undefined } {
  const isolation = options.isolation ?? 'process';
  const manifestOf = typeof options.manifest === 'function' ? options.manifest : () => options.manifest as Manifest;
  const readRoots = () => bundleRoots(manifestOf());
  const pool = createPool(isolation, options.pool ?? {}, readRoots);
  const syncPool = createPool(isolation, { ...options.pool, minWorkers: 0, ...options.syncPool }, readRoots);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };

  let running = 0;

  async function run<T>(request: ExecutionRequest): Promise<ExecutionResult<T>> {
    for (const field of ['integrationId', 'name', 'connectionId'] as const) {
      if (typeof request?.[field] !== 'string' || request[field] === '') {
        throw new PatchbayError('INVALID_ARGUMENT', `An execution needs "${field}" as a non-empty string.`);
      }
    }
    const fn = findFunction(manifestOf(), request.integrationId, request.name);
    const depth = request.depth ?? 0;
    if (depth > MAX_DEPTH) {
      throw new PatchbayError('INVALID_ARGUMENT', `triggerAction nested more than ${MAX_DEPTH} levels deep (calling ${fn.integrationId}/${fn.name}); a function probably triggers itself.`);
    }
    const executionId = randomUUID();
    const started = performance.now();
    const event = (): ExecutionEvent => ({
      executionId,
      integrationId: fn.integrationId,
      name: fn.name,
      type: fn.type,
      connectionId: request.connectionId,
      dryRun: request.dryRun === true,
    });
    publishStart(event);
    const logs: LogEntry[] = [];
    let child: Logger | undefined;
    // A pino child per execution, made only when something is logged (most runs log nothing).
    const logger = () => (child ??= options.logger?.child({ executionId, integrationId: fn.integrationId, function: fn.name }));
    const controller = new AbortController();
    const timeoutMs = request.timeoutMs ?? fn.timeoutMs ?? timeouts[fn.type];
    const timer = setTimeout(() => {
      controller.abort(
        new PatchbayError('TIMEOUT', `${fn.integrationId}/${fn.name} did not finish within ${formatMs(timeoutMs)} and was stopped. Raise timeoutMs on the function or request, or do less per call.`),
      );
    }, timeoutMs);
    const onCallerAbort = () => controller.abort(new PatchbayError('ABORTED', `${fn.integrationId}/${fn.name} was cancelled by the caller.`, { cause: request.signal?.reason }));
    if (request.signal?.aborted) onCallerAbort();
    else request.signal?.addEventListener('abort', onCallerAbort, { once: true });

    let dropped = 0;
    const log = (raw: LogEntry): void => {
      // Authors log whole connections; no credential leaves through a log payload.
      const entry = raw.payload !== undefined && hasSecretKeys(raw.payload) ? { ...raw, payload: redactValue(raw.payload) } : raw;
      if (logs.length < MAX_KEPT_LOGS) logs.push(entry);
      else dropped++;
      if (options.logger?.isLevelEnabled(entry.level)) logger()?.[entry.level]({ payload: entry.payload, userLog: true }, entry.message);
      notify(request.onLog, entry);
    };
    let scope: ExecutionScope | undefined;
    let ok = false;
    running++;
    try {
      // After the timer, on purpose: replay's scope patches the global setTimeout (see ScopeFactory).
      const deadline = Date.now() + timeoutMs;
      scope = await options.scope({ fn, request, executionId, signal: controller.signal, deadline, log, ...(isolation === 'process' ? { direct: true } : {}) });
      const caps: Capabilities = {
        ...(scope.caps as Capabilities),
        log,
        progress(update) {
          notify(request.onProgress, update);
        },
      };
      const validate = request.validate ?? options.validate ?? true;
      const validateState = request.validateState ?? false;
      const userPaths = [manifestOf().integrationsDir, fn.bundle];
      let output: unknown;
      if (pool && syncPool) {
        const spec = {
          job: ++nextJob,
          bundle: fn.bundle,
          info: scope.info,
          input: request.input,
          validate,
          validateState,
          webhookPayload: request.webhookPayload,
          records: caps.records !== undefined,
          fetch: caps.fetch !== undefined,
          userPaths,
          deadline,
          ...(scope.direct ? { direct: scope.direct } : {}),
        };
        // A nested run (triggerAction) may exceed maxWorkers: its parent holds a runner while waiting.
        // Runners are per scope: executions of other keys or connections never share one.
        const runnerScope = `${request.scope?.keyId ?? '-'}\u0000${fn.integrationId}\u0000${request.connectionId}`;
        output = await (fn.type === 'sync' ? syncPool : pool).run(spec, caps, controller.signal, depth > 0, runnerScope);
      } else {
        const definition = await loadDefinition(fn.bundle);
        const options = { info: scope.info, input: request.input, validate, validateState, webhookPayload: request.webhookPayload, userPaths };
        output = await untilAborted(invoke(definition, caps, options, controller.signal), controller.signal);
      }
      ok = true;
      if (dropped > 0) logs.push({ time: new Date().toISOString(), level: 'warn', message: `${dropped} more log entries were not kept in this result (limit ${MAX_KEPT_LOGS}).` });
      const outcome = (await scope.finish?.(true)) ?? {};
      const result: ExecutionResult<T> = {
        executionId,
        function: { integrationId: fn.integrationId, name: fn.name, type: fn.type },
        output: output as T,
        durationMs: performance.now() - started,
        logs,
        http: outcome.http ?? [],
      };
      if (outcome.changes) result.changes = outcome.changes;
      if (outcome.records) result.records = outcome.records;
      if (options.logger?.isLevelEnabled('debug')) logger()?.debug({ durationMs: result.durationMs }, 'execution finished');
      publishFinish(() => ({ ...event(), durationMs: result.durationMs, httpCalls: result.http.length }));
      return result;
    } catch (thrown) {
      // User code's failures arrive as PatchbayErrors already; anything else is ours.
      const error = toPatchbayError(thrown, 'INTERNAL');
      let outcome: ScopeOutcome = {};
      if (scope && !ok) outcome = (await Promise.resolve(scope.finish?.(false)).catch(() => undefined)) ?? {};
      const failed: FailedExecution = { executionId, durationMs: performance.now() - started, logs, http: outcome.http ?? [] };
      Object.defineProperty(error, EXECUTION, { value: failed, enumerable: false, configurable: true });
      logger()?.warn({ code: error.code, durationMs: failed.durationMs }, error.message);
      publishFinish(() => ({ ...event(), durationMs: failed.durationMs, httpCalls: failed.http.length, error: { code: error.code, message: error.message } }));
      throw error;
    } finally {
      running--;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    pool,
    syncPool,
    run,
    inFlight: () => running,
    async close() {
      await Promise.all([pool?.close(), syncPool?.close()]);
    },
  };
}

/** Calls a front end's callback; a throwing callback must not fail the run or crash the process. */
function notify<T>(callback: ((value: T) => void) | undefined, value: T): void {
  if (!callback) return;
  try {
    callback(value);
  } catch {
    // The front end's problem; the execution goes on.
  }
}

/** Rejects with the abort reason as soon as `signal` fires, even if `work` never settles. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(toPatchbayError(signal.reason, 'ABORTED'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(toPatchbayError(signal.reason, 'ABORTED'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Where user code runs; see `ExecutorOptions.isolation`. */
export type Isolation = 'process' | 'worker' | 'inline';

/** What the executor needs of a pool of runners or workers. */
export interface JobPool {
  run(spec: JobSpec, caps: Capabilities, signal: AbortSignal, overflow?: boolean, scope?: string): Promise<unknown>;
  close(): Promise<void>;
  /** Runners or workers replaced after a crash, timeout or memory limit. */
  readonly replaced: number;
  /** Replaced because they had loaded too many bundle versions. */
  readonly recycled: number;
  readonly size: number;
}

function createPool(isolation: Isolation, options: WorkerPoolOptions, readRoots: () => string[]): JobPool | undefined {
  if (isolation === 'inline') return undefined;
  if (isolation === 'worker') return new WorkerPool(options);
  return new RunnerPool({
    ...(options.maxWorkers !== undefined ? { maxRunners: options.maxWorkers } : {}),
    ...(options.jobsPerWorker !== undefined ? { jobsPerRunner: options.jobsPerWorker } : {}),
    ...(options.memoryLimitMb !== undefined ? { memoryLimitMb: options.memoryLimitMb } : {}),
    ...(options.cancelGraceMs !== undefined ? { cancelGraceMs: options.cancelGraceMs } : {}),
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
    ...(options.recycleAfter !== undefined ? { recycleAfter: options.recycleAfter } : {}),
    spare: (options.minWorkers ?? 1) > 0,
    readRoots,
  });
}

/**
 * The folders a runner may read for this manifest's bundles: each bundle's `bundles/` folder
 * (the build output), or its own folder when it lies elsewhere (tests). Never a parent of the
 * state folder: the database and the key file stay unreadable.
 */
export function bundleRoots(manifest: Manifest): string[] {
  const roots = new Set<string>();
  for (const fn of manifest.functions) {
    const at = fn.bundle.lastIndexOf(`${path.sep}bundles${path.sep}`);
    roots.add(at >= 0 ? fn.bundle.slice(0, at + path.sep.length + 'bundles'.length) : path.dirname(fn.bundle));
  }
  const sorted = [...roots].sort();
  return sorted.filter((root, i) => !sorted.slice(0, i).some((parent) => root.startsWith(parent + path.sep)));
}
