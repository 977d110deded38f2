/**
 * Replays one function against its fixture: loads the compiled bundle, builds the production
 * `nango` context (runtime/invoke.ts → runtime/context.ts, the same pagination and record methods a
 * real run uses) over fixture-backed capabilities, runs it, and judges the result.
 *
 * Replay runs inline, without validation of input and output — as Nango's own test mock does — so
 * the comparison sees the function's raw return value; the run has a time limit so a function
 * waiting on something the fixture never answers fails instead of hanging the suite, and the clock
 * is frozen at the fixture's `now` when it has one and sleeps take no time (clock.ts).
 *
 * @example
 * const result = await replayFunction(fn, fixture, { paths });
 * console.log(result.status, result.failures);
 */
import { performance } from 'node:perf_hooks';
import type { FunctionManifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import type { Connection, ProxyConfiguration } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import { getProvider, providerKeyForIntegration } from '../providers/catalog.ts';
import { loadIntegrationConfig } from '../providers/integration.ts';
import type { ContextInfo } from '../runtime/capabilities.ts';
import { invoke } from '../runtime/invoke.ts';
import { loadDefinition } from '../runtime/load.ts';
import { createReplayCapabilities } from './capabilities.ts';
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
    connectionId: stub.connection_id ?? stub.connectionId ?? 'test-connection',
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

async function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new PatchbayError('TIMEOUT', `${what} did not finish within ${timeoutMs} ms of replay; it may wait for a response the fixture does not hold.`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` against `fixture` and judges the outcome. Never throws for a failing function. */
export async function replayFunction(fn: FunctionManifest, fixture: Fixture, options: ReplayRunOptions): Promise<TestResult> {
  const started = performance.now();
  const replay = createReplayCapabilities(fixture, {
    integrationId: fn.integrationId,
    connectionId: 'test-connection',
    httpErrors: options.httpErrors ?? fixture.httpErrors,
  });
  let outcome: Outcome;
  try {
    const definition = await loadDefinition(fn.bundle);
    const info = contextInfo(fn, fixture, await paginationDefaults(options.paths, fn.integrationId));
    const restore = fixture.now ? freezeClock(fixture.now) : undefined;
    try {
      let restoreTimers: (() => void) | undefined;
      const value = await withTimeout(
        (signal) => {
          restoreTimers = fastTimers();
          return invoke(definition, replay.capabilities, { info, input: fixture.input, validate: false, validateState: false }, signal).finally(() => restoreTimers?.());
        },
        options.timeoutMs ?? 30_000,
        `${fn.integrationId}/${fn.name}`,
      );
      outcome = { ok: true, value };
      restoreTimers?.();
    } finally {
      restore?.();
    }
  } catch (error) {
    outcome = { ok: false, error };
  }
  const failures = judge({ type: fn.type, fixture, outcome, saved: replay.saved, deleted: replay.deleted });
  return {
    integrationId: fn.integrationId,
    name: fn.name,
    type: fn.type,
    status: failures.length === 0 ? 'passed' : 'failed',
    durationMs: Math.round(performance.now() - started),
    fixture: fixture.source,
    failures,
    requests: replay.book.recordings.length - replay.book.unused().length,
    unusedRecordings: replay.book.unused().length,
  };
}
