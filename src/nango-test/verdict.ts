/**
 * Decides whether a replayed run matches its fixture, and says why not.
 *
 * - Actions: the function's raw return value (not the zod-parsed one, which would strip unknown
 *   keys the recording kept), after a JSON round trip, equals `output`.
 * - Syncs: for every model, the records passed to `batchSave` (all calls, in order, after a JSON
 *   round trip) equal `nango.batchSave[model]` strictly; the same for `batchDelete` when the
 *   fixture expects deletions (an empty or absent list is not checked, as in Nango). Records saved to a model the fixture does not mention fail the test.
 * - A fixture may expect a failure (patchbay extension): `"error": { "message"?: "...", "code"?: "...",
 *   "payload"?: {...} }` — the run must throw, and the given fields must match.
 *
 * @example
 * const failures = judge({ type: 'action', fixture, outcome: { ok: true, value } , saved, deleted });
 * if (failures.length === 0) console.log('✓');
 */
import { PatchbayError, toPatchbayError } from '../errors.ts';
import { diffValues, formatDiff, toJsonValue } from './compare.ts';
import type { ExpectedError, Fixture } from './fixture.ts';

/** What the run did: returned a value, or threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A finished replay: its type, fixture, outcome and collected records. */
export interface JudgeInput {
  type: 'action' | 'sync' | 'onEvent';
  fixture: Fixture;
  outcome: Outcome;
  saved: Map<string, unknown[]>;
  deleted: Map<string, unknown[]>;
}

/** One reason a test failed, as printed under its ✗ line. */
export interface Failure {
  /** 'output', 'error', 'batchSave:<Model>', 'batchDelete:<Model>'. */
  what: string;
  message: string;
}

function errorFailures(expected: ExpectedError, outcome: Outcome): Failure[] {
  if (outcome.ok) return [{ what: 'error', message: `expected the function to fail${expected.message ? ` with "${expected.message}"` : ''}, but it returned ${JSON.stringify(toJsonValue(outcome.value)) ?? 'nothing'}` }];
  const err = toPatchbayError(outcome.error, 'FUNCTION_ERROR');
  const out: Failure[] = [];
  if (expected.code !== undefined && expected.code !== err.code) out.push({ what: 'error', message: `expected error code ${expected.code}, received ${err.code}: ${err.message}` });
  if (expected.message !== undefined && !err.message.includes(expected.message)) out.push({ what: 'error', message: `expected an error containing "${expected.message}", received "${err.message}"` });
  if (expected.payload !== undefined) {
    const diff = diffValues(toJsonValue(err.details), expected.payload).filter((d) => d.kind !== 'unexpected');
    if (diff.length) out.push({ what: 'error', message: `error payload differs:\n${formatDiff(diff)}` });
  }
  return out;
}

/** The message of a thrown error, the first line of a stack-less explanation. */
export function describeError(error: unknown): string {
  const err = error instanceof PatchbayError ? error : toPatchbayError(error, 'FUNCTION_ERROR');
  return `${err.code}: ${err.message}`;
}

function compareModels(kind: 'batchSave' | 'batchDelete', expected: Record<string, unknown[]> | undefined, actual: Map<string, unknown[]>): Failure[] {
  const out: Failure[] = [];
  const models = new Set<string>([...Object.keys(expected ?? {}), ...actual.keys()]);
  for (const model of models) {
    const want = expected?.[model];
    const got = toJsonValue(actual.get(model) ?? []) as unknown[];
    if (want === undefined || want === null) {
      if (kind === 'batchSave' && got.length > 0) out.push({ what: `${kind}:${model}`, message: `${got.length} records saved to ${model}, which the fixture does not expect (no nango.batchSave.${model})` });
      continue;
    }
    // As Nango's harness: deletions are checked only when the fixture expects some.
    if (kind === 'batchDelete' && Array.isArray(want) && want.length === 0) continue;
    const diff = diffValues(got, want);
    if (diff.length) out.push({ what: `${kind}:${model}`, message: `${kind} ${model} differs (expected ${Array.isArray(want) ? want.length : '?'} records, received ${got.length}):\n${formatDiff(diff)}` });
  }
  return out;
}

/** Every reason the run does not match the fixture; empty when it passes. */
export function judge(input: JudgeInput): Failure[] {
  const { fixture, outcome } = input;
  if (fixture.expectedError !== undefined) return errorFailures(fixture.expectedError, outcome);
  if (!outcome.ok) return [{ what: 'error', message: describeError(outcome.error) }];
  if (input.type === 'sync') {
    return [...compareModels('batchSave', fixture.nango.batchSave, input.saved), ...compareModels('batchDelete', fixture.nango.batchDelete, input.deleted)];
  }
  if (input.type === 'action') {
    if (!fixture.hasOutput) return outcome.value === undefined ? [] : [{ what: 'output', message: 'the fixture has no "output"; record the run again to add one' }];
    const diff = diffValues(toJsonValue(outcome.value), fixture.output);
    return diff.length ? [{ what: 'output', message: `output differs:\n${formatDiff(diff)}` }] : [];
  }
  return [];
}
