/**
 * Key-based redaction of structured values: what a function passes to `nango.log(message, payload)`
 * can end up in an MCP result or an HTTP response, and authors do log whole connections. Any
 * property whose name is a credential name is replaced, at any depth.
 */
import { REDACTED } from './secrets.ts';

/**
 * Property names treated as secrets, one spelling each: the single list behind both redactions.
 * `redactValue` compares names case-insensitively with `-`/`_` ignored, so `clientSecret` and
 * `X-API-KEY` match too; the logger's exact-match pino paths come from `secretKeySpellings()`.
 */
export const SECRET_KEYS: readonly string[] = [
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'client_secret',
  'private_key',
  'password',
  'token',
  'secret',
  'credentials',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
];

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * The exact spellings of every secret key for consumers that cannot compare loosely (pino's
 * redact paths): each key as written, its camelCase (`clientSecret`, `xApiKey`), and for
 * header-style keys (no `_`) the Title-Case a request's headers object may carry
 * (`Authorization`, `X-Api-Key`). Derived from SECRET_KEYS so the two redactions cannot drift.
 *
 * @example
 * secretKeySpellings().includes('clientSecret'); // true
 */
export function secretKeySpellings(): string[] {
  const out = new Set<string>();
  for (const key of SECRET_KEYS) {
    const words = key.split(/[-_]/);
    out.add(key);
    out.add(words[0]! + words.slice(1).map(capitalise).join(''));
    if (!key.includes('_')) out.add(words.map(capitalise).join('-'));
  }
  return [...out];
}

const NORMALISED = new Set(SECRET_KEYS.map(normalise));

function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** The placeholder put where a secret was (one for both redactions, secrets.ts). */
export { REDACTED };

/**
 * A copy of `value` with every secret-named property replaced by `[REDACTED]`; the input is not
 * modified. Cycles and depth beyond 20 are cut.
 *
 * @example
 * redactValue({ connection: { credentials: { api_key: 'k' } }, n: 1 }) // { connection: { credentials: '[REDACTED]' }, n: 1 }
 */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 20 || seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = NORMALISED.has(normalise(key)) && item !== null && item !== undefined && item !== '' ? REDACTED : redactValue(item, depth + 1, seen);
  }
  return out;
}

/** True when `value` holds no secret-named property (lets callers skip the copy). */
export function hasSecretKeys(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 20) return false;
  if (Array.isArray(value)) return value.some((item) => hasSecretKeys(item, depth + 1));
  for (const [key, item] of Object.entries(value)) {
    if (NORMALISED.has(normalise(key))) return true;
    if (hasSecretKeys(item, depth + 1)) return true;
  }
  return false;
}
