/**
 * Validation of what crosses a function's boundary: action input before `exec`, action output
 * after, sync records in `batchSave`/`batchUpdate`, and (strict mode) metadata and checkpoints.
 *
 * Nango validates nothing in production; patchbay validates by default because a model calling a
 * tool with a wrong argument deserves a sentence naming the field, not a provider's 422 or a stack
 * trace. `validate: false` on a request (or the runtime) skips it for speed.
 *
 * Runs where the definition lives (inside the worker), against the definition's own zod schemas.
 */
import { PatchbayError, type ErrorCode } from '../errors.ts';

/** The structural subset of a zod schema this module needs (any bundled zod copy fits). */
export interface SchemaLike {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: { issues: IssueLike[] } };
  partial?: () => SchemaLike;
}

/** One zod issue, reduced to what a message needs. */
export interface IssueLike {
  code?: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

/** A field-level problem as it appears in `PatchbayError.details.issues`. */
export interface ValidationIssue {
  path: string;
  rule: string;
  message: string;
}

const MAX_LISTED = 5;

/** True when `value` looks like a zod schema (has `safeParse`). */
export function isSchema(value: unknown): value is SchemaLike {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/** Renders a zod path as `items[2].title` under a root name. */
export function formatPath(root: string, path: ReadonlyArray<PropertyKey>): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** zod issues as `{ path, rule, message }`, the shape put into error details. */
export function toIssues(root: string, issues: IssueLike[]): ValidationIssue[] {
  return issues.map((issue) => ({ path: formatPath(root, issue.path), rule: issue.code ?? 'invalid', message: issue.message }));
}

/** One sentence listing the first few issues: `input.title: Invalid input: expected string… (invalid_type)`. */
export function describeIssues(issues: ValidationIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED).map((i) => `${i.path}: ${i.message} (${i.rule})`);
  const more = issues.length > MAX_LISTED ? `; and ${issues.length - MAX_LISTED} more` : '';
  return `${listed.join('; ')}${more}`;
}

/**
 * Parses `value` with `schema`; returns the parsed value (zod may coerce or strip) or throws a
 * PatchbayError with `code`, a message naming each field and the rule broken, and
 * `details.issues`.
 *
 * @example
 * const input = check(definition.input, raw, 'INVALID_INPUT', 'input', 'Fix the arguments and call again.');
 */
export function check(schema: unknown, value: unknown, code: ErrorCode, root: string, hint: string): unknown {
  if (!isSchema(schema)) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toIssues(root, result.error.issues);
  throw new PatchbayError(code, `Invalid ${root}: ${describeIssues(issues)}. ${hint}`, { details: { issues } });
}

/**
 * Validates sync records against their model. `partial` (batchUpdate) accepts missing fields.
 * Each failure names the record index and id so the author finds it in the provider's data.
 */
export function checkRecords(schema: unknown, records: unknown[], model: string, partial: boolean): void {
  if (!Array.isArray(records)) {
    throw new PatchbayError('INVALID_RECORD', `Records for model "${model}" must be an array of objects with an "id".`);
  }
  const target = isSchema(schema) ? (partial && typeof schema.partial === 'function' ? schema.partial() : schema) : undefined;
  const issues: ValidationIssue[] = [];
  for (let i = 0; i < records.length && issues.length < 50; i++) {
    const record = records[i] as Record<string, unknown> | null;
    const root = `${model}[${i}]`;
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      issues.push({ path: root, rule: 'invalid_type', message: 'expected an object' });
      continue;
    }
    const id = record['id'];
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
      issues.push({ path: `${root}.id`, rule: 'required', message: 'every record needs a string or number "id"' });
      continue;
    }
    if (!target) continue;
    const result = target.safeParse(record);
    if (!result.success) issues.push(...toIssues(`${model}[${i}] (id ${String(id)})`, result.error.issues));
  }
  if (issues.length > 0) {
    throw new PatchbayError(
      'INVALID_RECORD',
      `Invalid records for model "${model}": ${describeIssues(issues)}. Fix the mapping in the sync or the model's schema.`,
      { details: { model, issues } },
    );
  }
}
