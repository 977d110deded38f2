/**
 * `patchbay test` minus the CLI: picks the functions of a compiled manifest (all, one
 * integration, or one function), finds each one's fixture, replays them one after another through
 * one executor (run.ts) and reports as it goes. Functions without a fixture are listed as skipped,
 * never failed: a fixture is opt-in, as a test file is in Nango.
 *
 * @example
 * const summary = await runSuite(manifest, { paths, only: 'github/list-issues', onResult: print });
 * process.exitCode = summary.failed > 0 ? 1 : 0;
 */
import path from 'node:path';
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import { PatchbayError } from '../errors.ts';
import type { Fixture } from './fixture.ts';
import { loadFixture } from './load.ts';
import { createReplayer, type ReplayRunOptions, type TestResult } from './run.ts';
import { vitestOverrides } from './vitest-stubs.ts';

/** Which functions to replay and how. */
export interface SuiteOptions {
  paths: ProjectPaths;
  /** `integration` or `integration/function`. */
  only?: string;
  timeoutMs?: number;
  httpErrors?: 'throw' | 'return';
  /** Called after each function, for streaming output. */
  onResult?: (result: TestResult) => void;
}

/** The counts and per-function results of one `patchbay test` run. */
export interface SuiteSummary {
  passed: number;
  failed: number;
  /** `integration/function` of selected functions that have no fixture. */
  skipped: string[];
  results: TestResult[];
  durationMs: number;
}

/** The functions `only` selects; fails with a clear message when it selects nothing. */
export function selectForTest(manifest: Manifest, only: string | undefined): FunctionManifest[] {
  if (!only) return manifest.functions;
  const [integrationId, name] = only.split('/', 2) as [string, string | undefined];
  const inIntegration = manifest.functions.filter((f) => f.integrationId === integrationId);
  if (inIntegration.length === 0) {
    const known = [...new Set(manifest.functions.map((f) => f.integrationId))].slice(0, 10).join(', ');
    throw new PatchbayError('INTEGRATION_NOT_FOUND', `No integration "${integrationId}" in the build. Known: ${known || '(none)'}. Check the name or run patchbay compile.`);
  }
  if (name === undefined || name === '') return inIntegration;
  const selected = inIntegration.filter((f) => f.name === name);
  if (selected.length === 0) {
    throw new PatchbayError('FUNCTION_NOT_FOUND', `No function "${name}" in integration "${integrationId}". It has: ${inIntegration.map((f) => f.name).join(', ')}.`);
  }
  return selected;
}

/** The folder of an integration, from the manifest (symlinked aliases keep their own path). */
function integrationDir(manifest: Manifest, integrationId: string): string {
  return manifest.integrations.find((i) => i.id === integrationId)?.dir ?? path.join(manifest.integrationsDir, integrationId);
}

/** The function's fixture with its vitest file's stubs laid over; undefined when it has none. */
async function fixtureFor(manifest: Manifest, fn: FunctionManifest): Promise<Fixture | undefined | Error> {
  const dir = integrationDir(manifest, fn.integrationId);
  return loadFixture(dir, fn.name)
    .then(async (loaded) => {
      if (!loaded) return loaded;
      const extra = await vitestOverrides(dir, fn.name);
      const merged = { ...loaded, nango: { ...loaded.nango, ...extra.nango } };
      if (merged.now === undefined && extra.now !== undefined) merged.now = new Date(extra.now).toISOString();
      if (merged.expectedError === undefined && extra.expectError) merged.expectedError = extra.expectError;
      return merged;
    })
    .catch((error: unknown) => error as Error);
}

/** Replays every selected function that has a fixture, all through one executor. */
export async function runSuite(manifest: Manifest, options: SuiteOptions): Promise<SuiteSummary> {
  const started = Date.now();
  const summary: SuiteSummary = { passed: 0, failed: 0, skipped: [], results: [], durationMs: 0 };
  const selected = selectForTest(manifest, options.only);
  const runOptions: ReplayRunOptions = { paths: options.paths };
  if (options.timeoutMs !== undefined) runOptions.timeoutMs = options.timeoutMs;
  if (options.httpErrors !== undefined) runOptions.httpErrors = options.httpErrors;
  const replayer = createReplayer(manifest, runOptions);
  try {
    for (const fn of selected) {
      const fixture = await fixtureFor(manifest, fn);
      if (fixture === undefined) {
        summary.skipped.push(`${fn.integrationId}/${fn.name}`);
        continue;
      }
      let result: TestResult;
      if (fixture instanceof Error) {
        result = {
          integrationId: fn.integrationId,
          name: fn.name,
          type: fn.type,
          status: 'failed',
          durationMs: 0,
          fixture: '',
          failures: [{ what: 'fixture', message: fixture.message }],
          requests: 0,
          unusedRecordings: 0,
        };
      } else {
        result = await replayer.replay(fn, fixture);
      }
      summary.results.push(result);
      if (result.status === 'passed') summary.passed++;
      else summary.failed++;
      options.onResult?.(result);
    }
  } finally {
    await replayer.close();
  }
  summary.durationMs = Date.now() - started;
  return summary;
}
