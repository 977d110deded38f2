/**
 * Key-based redaction of structured values: what a function passes to `nango.log(message, payload)`
 * can end up in an MCP result or an HTTP response, and authors do log whole connections. Any
 * property whose name is a credential name is replaced, at any depth.
 */

/** Property names treated as secrets (compared case-insensitively, `-`/`_` ignored). */
export const SECRET_KEYS = [
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'x-api-key',
  'password',
  'client_secret',
  'token',
  'secret',
  'private_key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'credentials',
];

const NORMALISED = new Set(SECRET_KEYS.map(normalise));

function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** The placeholder put where a secret was. */
export const REDACTED = '[REDACTED]';

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
