/**
 * Size limits for what patchbay writes out: tool results, HTTP error bodies, log lines. Texts are
 * cut on a character boundary with a marker saying how much went, and a JSON value is shrunk
 * (long strings, long arrays and objects, deep nesting) until it fits a byte budget. Callers
 * redact first (secrets.ts): a cut never reveals more than the whole text would.
 */

/**
 * Default cap on a tool result's text and on an HTTP error body: 100 KB (`--max-result-bytes`).
 * Errors obey it as successes do.
 */
export const DEFAULT_MAX_RESULT_BYTES = 100 * 1024;

/** Cuts text to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text; // no character takes more than 3 bytes per UTF-16 unit
  // Each UTF-16 unit is at least one byte, so the first maxBytes units hold enough.
  const buffer = Buffer.from(text.length > maxBytes ? text.slice(0, maxBytes + 1) : text, 'utf8');
  if (buffer.length <= maxBytes) return text; // only possible when nothing was sliced off
  let end = maxBytes;
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}

/** The first `maxChars` characters of `text`, never ending inside a surrogate pair. */
export function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars);
}

/** `text` cut to `maxChars` with a marker naming how many characters were left out. */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = headOf(text, maxChars);
  return `${head}…[truncated ${text.length - head.length} chars]`;
}

/** A size for a note: `812 bytes` under a kilobyte, else whole kilobytes rounded up (`19532 KB`). */
export function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${Math.ceil(bytes / 1024)} KB`;
}

/** How far `shrinkValue` goes: longest string, most array items or object keys, deepest level. */
export interface ShrinkLimits {
  chars: number;
  items: number;
  depth: number;
}

/**
 * A copy of a JSON value within `limits`: longer strings cut with a marker, arrays and objects
 * past `items` entries cut with a marker entry, levels past `depth` replaced by a marker.
 *
 * @example
 * shrinkValue({ a: 'x'.repeat(100) }, { chars: 10, items: 10, depth: 5 }) // { a: 'xxxxxxxxxx…[truncated 90 chars]' }
 */
export function shrinkValue(value: unknown, limits: ShrinkLimits, depth = 0): unknown {
  if (typeof value === 'string') return cutText(value, limits.chars);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= limits.depth) return '[truncated: nested too deep]';
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.items).map((item) => shrinkValue(item, limits, depth + 1));
    if (value.length > limits.items) kept.push(`[truncated ${value.length - limits.items} more items]`);
    return kept;
  }
  const out: Record<string, unknown> = {};
  let count = 0;
  const entries = Object.entries(value);
  for (const [key, item] of entries) {
    if (count++ === limits.items) {
      out['…'] = `[truncated ${entries.length - limits.items} more keys]`;
      break;
    }
    out[cutText(key, limits.chars)] = shrinkValue(item, limits, depth + 1);
  }
  return out;
}

/**
 * Whether the JSON of `value` is longer than `max` characters, found without serialising it: the
 * walk adds up lengths and stops as soon as it passes `max`, so a 20 MB payload costs no more
 * than a small one. It counts no escapes, so `false` means "probably fits": serialise to be sure.
 *
 * @example
 * jsonLongerThan({ dump: 'x'.repeat(20e6) }, 4000) // true, after looking at one string
 */
export function jsonLongerThan(value: unknown, max: number): boolean {
  let length = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') length += item.length + 2;
    else if (typeof item === 'number' || typeof item === 'boolean' || typeof item === 'bigint') length += String(item).length;
    else if (item === null) length += 4;
    else if (Array.isArray(item)) {
      length += 2 + item.length;
      for (let i = item.length - 1; i >= 0 && length <= max; i--) stack.push(item[i]);
    } else if (typeof item === 'object') {
      length += 2;
      for (const key in item) {
        if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
        length += key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
        if (length > max) break;
      }
    }
    if (length > max) return true;
  }
  return false;
}

const SHRINK_STEPS: ShrinkLimits[] = [
  { chars: 4096, items: 100, depth: 8 },
  { chars: 512, items: 20, depth: 6 },
  { chars: 64, items: 5, depth: 4 },
];

/**
 * `value` as is when its JSON is at most about `maxChars` long, else shrunk (`shrinkValue`) by
 * ever tighter limits until it is, or as far as they go: a payload fit to quote in a message.
 *
 * @example
 * JSON.stringify(shrinkToFit({ message: 'too much', dump: 'x'.repeat(20e6) }, 1000)) // '{"message":"too much","dump":"xxxx…[truncated 19995904 chars]"}'
 */
export function shrinkToFit(value: unknown, maxChars: number): unknown {
  if (!jsonLongerThan(value, maxChars)) return value;
  let shrunk: unknown = value;
  for (const limits of SHRINK_STEPS) {
    shrunk = shrinkValue(value, limits);
    if (!jsonLongerThan(shrunk, maxChars)) break;
  }
  return shrunk;
}
