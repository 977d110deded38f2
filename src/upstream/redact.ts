/**
 * Redaction for everything the HTTP layer reports: call logs, warnings and error messages. A
 * secret is removed by name (auth headers, `api_key`-like query parameters, the names the
 * provider config put a credential in) and by value (any occurrence of a known secret string),
 * so a token echoed back in a response body does not leak through an error excerpt either.
 */

export const REDACTED = '[REDACTED]';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
]);

const SECRET_QUERY = new Set([
  'api_key',
  'apikey',
  'api-key',
  'key',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  'password',
  'secret',
  'signature',
  'sig',
  'code',
  'code_verifier',
]);

/** Names and values to hide, collected from the connection's credentials and the provider config. */
export interface Secrets {
  /** Header and query names that carried a credential (lowercase). */
  names: Set<string>;
  /** Secret strings (tokens, keys, passwords, and their encoded forms). */
  values: string[];
}

/** An empty secret set to add to. */
export function emptySecrets(): Secrets {
  return { names: new Set(), values: [] };
}

/** Adds a secret value (and its base64 / URL-encoded forms) when long enough to be meaningful. */
export function addSecretValue(secrets: Secrets, value: unknown): void {
  if (typeof value !== 'string' || value.length < 4) return;
  for (const form of [value, encodeURIComponent(value)]) if (!secrets.values.includes(form)) secrets.values.push(form);
}

/** Replaces every known secret value in a text. */
export function redactText(text: string, secrets: Secrets): string {
  let out = text;
  // Longest first, so a value containing another is replaced whole.
  for (const value of [...secrets.values].sort((a, b) => b.length - a.length)) out = out.split(value).join(REDACTED);
  return out;
}

/**
 * A URL fit for a log: userinfo dropped, secret query parameters replaced, known values removed.
 *
 * @example
 * redactUrl(new URL('https://x.io/a?api_key=k123&page=2'), emptySecrets()) // 'https://x.io/a?api_key=[REDACTED]&page=2'
 */
export function redactUrl(url: URL | string, secrets: Secrets = emptySecrets()): string {
  const copy = new URL(String(url));
  copy.username = '';
  copy.password = '';
  for (const key of [...new Set(copy.searchParams.keys())]) {
    const lower = key.toLowerCase();
    if (SECRET_QUERY.has(lower) || secrets.names.has(lower)) copy.searchParams.set(key, REDACTED);
  }
  return redactText(copy.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED), secrets);
}

/** Headers fit for a log: credential headers replaced, known values removed from the rest. */
export function redactHeaders(headers: Record<string, string>, secrets: Secrets = emptySecrets()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    const lower = key.toLowerCase();
    out[key] = SECRET_HEADERS.has(lower) || secrets.names.has(lower) ? REDACTED : redactText(value, secrets);
  }
  return out;
}
