/**
 * Replays functions against their fixtures through the executor (runtime/executor.ts), the path
 * every production run takes: the executor finds the function in the manifest, loads its bundle,
 * builds the production `nango` context (runtime/invoke.ts → runtime/context.ts, the same
 * pagination and record methods a live run uses), enforces the time limit and hands the run's
 * AbortSignal down. Only the scope differs: its capabilities are the fixture-backed ones
 * (capabilities.ts) instead of live HTTP and the store.
 *
 * The executor runs inline (no worker: the collected records are read on this thread) and without
 * validation of input and output — as Nango's own test mock does — so the comparison sees the
 * function's raw return value. The time limit makes a function waiting on something the fixture
 * never answers fail instead of hanging the suite; the clock is frozen at the fixture's `now` when
 * it has one and sleeps take no time (clock.ts). Both patch globals, so replays run one at a time.
 *
 * @example
 * const replayer = createReplayer(manifest, { paths });
 * try {
 *   const result = await replayer.replay(fn, fixture);
 *   console.log(result.status, result.failures);
 * } finally {
 *   await replayer.close();
 * }
 */
import { performance } from 'node:perf_hooks';
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import type { Connection, ProxyConfiguration } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import { getProvider, providerKeyForIntegration } from '../providers/catalog.ts';
import { loadIntegrationConfig } from '../providers/integration.ts';
import type { ContextInfo } from '../runtime/capabilities.ts';
import { createExecutor, type ScopeFactory } from '../runtime/executor.ts';
import type { ExecutionRequest } from '../runtime/types.ts';
import { createReplayCapabilities, type Replay } from './capabilities.ts';
import { fastTimers, freezeClock } from './clock.ts';
import type { Fixture } from './fixture.ts';
import { judge, type Failure, type Outcome } from './verdict.ts';

/** How a replay run ends. */
export interface TestResult {
  integrationId: string;
  name: string;
  type: FunctionManifest['type'];
  status: 'passed' | 'failed';
  durationMs: number;
  /** The fixture file or folder replayed. */
  fixture: string;
  failures: Failure[];
  /** Requests answered from the fixture. */
  requests: number;
  /** Recordings the run never asked for (informational). */
  unusedRecordings: number;
}

/** Where the project is, and how strict the replay is. */
export interface ReplayRunOptions {
  paths: ProjectPaths;
  /** Time limit per function in ms (default 30 s). */
  timeoutMs?: number;
  /** Overrides the fixture's own `httpErrors` (see fixture.ts). */
  httpErrors?: 'throw' | 'return';
}

/** Replays the functions of one manifest, one at a time, over one executor. */
export interface Replayer {
  /** Runs `fn` against `fixture` and judges the outcome. Never throws for a failing function. */
  replay(fn: FunctionManifest, fixture: Fixture): Promise<TestResult>;
  /** Closes the executor. */
  close(): Promise<void>;
}

/** The connection id every replayed run is made for (the fixture's stub names the one it sees). */
const TEST_CONNECTION = 'test-connection';

/** Provider pagination defaults for the integration: its integration.json, else the catalog. */
async function paginationDefaults(paths: ProjectPaths, integrationId: string): Promise<ProxyConfiguration['paginate'] | undefined> {
  try {
    return (await loadIntegrationConfig(paths, integrationId)).provider.proxy.paginate;
  } catch {
    const key = providerKeyForIntegration(integrationId);
    return key ? getProvider(key)?.proxy.paginate : undefined;
  }
}

function contextInfo(fn: FunctionManifest, fixture: Fixture, paginate: ProxyConfiguration['paginate'] | undefined): ContextInfo {
  const stub = (fixture.nango.getConnection ?? {}) as Partial<Connection> & { connectionId?: string };
  const info: ContextInfo = {
    connectionId: stub.connection_id ?? stub.connectionId ?? TEST_CONNECTION,
    providerConfigKey: fn.integrationId,
    provider: stub.provider ?? providerKeyForIntegrationSafe(fn.integrationId) ?? fn.integrationId,
    executionId: `test-${fn.integrationId}-${fn.name}`,
  };
  if (paginate) info.paginationDefaults = paginate;
  return info;
}

function providerKeyForIntegrationSafe(id: string): string | undefined {
  try {
    return providerKeyForIntegration(id);
  } catch {
    return undefined;
  }
}

/** The executor's TIMEOUT, reworded for replay: there the usual cause is a missing recording. */
function replayTimeout(error: unknown, fn: FunctionManifest, timeoutMs: number): unknown {
  if (!(error instanceof PatchbayError) || error.code !== 'TIMEOUT') return error;
  return new PatchbayError('TIMEOUT', `${fn.integrationId}/${fn.name} did not finish within ${timeoutMs} ms of replay; it may wait for a response the fixture does not hold.`, { cause: error });
}

/**
 * The scope of each replayed run: the fixture-backed capabilities and context info of the run
 * registered under its request object (`runs`), with the clock frozen and sleeps made instant
 * for exactly as long as the run lasts.
 */
function replayScopes(paths: ProjectPaths, runs: WeakMap<ExecutionRequest, { fixture: Fixture; replay: Replay }>): ScopeFactory {
  // integration.json is read once per integration per suite, not once per function.
  const paginations = new Map<string, Promise<ProxyConfiguration['paginate'] | undefined>>();
  return async ({ fn, request }) => {
    const run = runs.get(request);
    if (!run) throw new PatchbayError('INTERNAL', `No fixture was registered for the replay of ${fn.integrationId}/${fn.name}.`);
    let paginate = paginations.get(fn.integrationId);
    if (!paginate) paginations.set(fn.integrationId, (paginate = paginationDefaults(paths, fn.integrationId)));
    const info = contextInfo(fn, run.fixture, await paginate);
    // The globals are patched here, in the scope factory, rather than around `executor.run`: the
    // executor arms its timeout timer before it asks for the scope, so that timer keeps its real
    // delay while every timer user code sets fires at once. `finish` runs on success, failure and
    // timeout alike, so nothing stays patched after the run (not even when the function hangs).
    // Nothing after these two lines can throw before the executor owns `finish`.
    const restoreClock = run.fixture.now ? freezeClock(run.fixture.now) : undefined;
    const restoreTimers = fastTimers();
    return {
      caps: run.replay.capabilities,
      info,
      finish() {
        restoreTimers();
        restoreClock?.();
        return {};
      },
    };
  };
}

/**
 * Creates the replayer of one suite run: a single inline executor over `manifest`. Close it when
 * the suite ends.
 *
 * @example
 * const replayer = createReplayer(manifest, { paths, timeoutMs: 15_000 });
 * const result = await replayer.replay(fn, fixture);
 */
export function createReplayer(manifest: Manifest, options: ReplayRunOptions): Replayer {
  const runs = new WeakMap<ExecutionRequest, { fixture: Fixture; replay: Replay }>();
  const executor = createExecutor({ manifest, isolation: 'inline', validate: false, scope: replayScopes(options.paths, runs) });
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function replay(fn: FunctionManifest, fixture: Fixture): Promise<TestResult> {
    const started = performance.now();
    const replay = createReplayCapabilities(fixture, {
      integrationId: fn.integrationId,
      connectionId: TEST_CONNECTION,
      httpErrors: options.httpErrors ?? fixture.httpErrors,
    });
    const request: ExecutionRequest = { integrationId: fn.integrationId, name: fn.name, connectionId: TEST_CONNECTION, input: fixture.input, validate: false, timeoutMs };
    runs.set(request, { fixture, replay });
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: (await executor.run(request)).output };
    } catch (error) {
      // The executor passes user code's PatchbayErrors through as they were thrown (ActionError
      // payloads in `details`, an upstream error's `response`), so `judge` sees what it did before.
      outcome = { ok: false, error: replayTimeout(error, fn, timeoutMs) };
    }
    const failures = judge({ type: fn.type, fixture, outcome, saved: replay.saved, deleted: replay.deleted });
    const unused = replay.book.unused().length;
    return {
      integrationId: fn.integrationId,
      name: fn.name,
      type: fn.type,
      status: failures.length === 0 ? 'passed' : 'failed',
      durationMs: Math.round(performance.now() - started),
      fixture: fixture.source,
      failures,
      requests: replay.book.recordings.length - unused,
      unusedRecordings: unused,
    };
  }

  return { replay, close: () => executor.close() };
}
