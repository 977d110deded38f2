/**
 * Compares what a replayed function produced with what its fixture expects, and explains any
 * difference path by path (`items[2].title: expected "a", received "b"`), the way a test runner's
 * diff would, but short enough to read in a terminal or hand to a model.
 *
 * Values are compared as the caller of the function would receive them: after a JSON round trip
 * (`toJsonValue`), so a `Date` equals its ISO string and an `undefined` field equals a missing one.
 *
 * @example
 * const diff = diffValues(toJsonValue(actual), expected);
 * if (diff.length) console.log(formatDiff(diff));
 */

/** One difference between expected and received, at a JSON path. */
export interface Difference {
  path: string;
  kind: 'changed' | 'missing' | 'unexpected' | 'length';
  expected?: unknown;
  received?: unknown;
}

/** The value as JSON would carry it (undefined stays undefined at the top). */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`;
}

/**
 * Every difference between two JSON values, depth first, at most `limit` of them.
 * Arrays are compared index by index (order matters, as records are saved in order).
 */
export function diffValues(received: unknown, expected: unknown, limit = 20, path = ''): Difference[] {
  const out: Difference[] = [];
  walk(received, expected, path, out, limit);
  return out;
}

function walk(received: unknown, expected: unknown, path: string, out: Difference[], limit: number): void {
  if (out.length >= limit) return;
  if (Array.isArray(expected) && Array.isArray(received)) {
    if (expected.length !== received.length) out.push({ path: path || '(root)', kind: 'length', expected: expected.length, received: received.length });
    const n = Math.min(expected.length, received.length);
    for (let i = 0; i < n && out.length < limit; i++) walk(received[i], expected[i], childPath(path, i), out, limit);
    return;
  }
  if (isObject(expected) && isObject(received)) {
    for (const key of Object.keys(expected)) {
      if (out.length >= limit) return;
      if (!(key in received)) out.push({ path: childPath(path, key), kind: 'missing', expected: expected[key] });
      else walk(received[key], expected[key], childPath(path, key), out, limit);
    }
    for (const key of Object.keys(received)) {
      if (out.length >= limit) return;
      if (!(key in expected)) out.push({ path: childPath(path, key), kind: 'unexpected', received: received[key] });
    }
    return;
  }
  if (!Object.is(received, expected)) out.push({ path: path || '(root)', kind: 'changed', expected, received });
}

/** True when two JSON values are deeply equal (key order ignored, array order not). */
export function jsonEqual(received: unknown, expected: unknown): boolean {
  return diffValues(received, expected, 1).length === 0;
}

function show(value: unknown, max = 80): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The differences as indented lines, e.g. for the `✗` block of `patchbay test`. */
export function formatDiff(differences: Difference[], indent = '    '): string {
  return differences
    .map((d) => {
      switch (d.kind) {
        case 'missing':
          return `${indent}${d.path}: missing, expected ${show(d.expected)}`;
        case 'unexpected':
          return `${indent}${d.path}: not expected, received ${show(d.received)}`;
        case 'length':
          return `${indent}${d.path}: expected ${String(d.expected)} items, received ${String(d.received)}`;
        default:
          return `${indent}${d.path}: expected ${show(d.expected)}, received ${show(d.received)}`;
      }
    })
    .join('\n');
}
