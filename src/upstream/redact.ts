/**
 * Redaction for everything the HTTP layer reports: call logs, warnings and error messages. A
 * secret is removed by name (auth headers, `api_key`-like query parameters, the names the
 * provider config put a credential in) and by value (any occurrence of a known secret string,
 * observability/secrets.ts), so a token echoed back in a response body does not leak through an
 * error excerpt either. The values are the connection's credentials, what injection put in
 * headers and query, and the value of every secret header the request carried (`addHeaderSecrets`).
 */
import { addSecretValue, REDACTED, redactText, type SecretValues } from '../observability/secrets.ts';

export { addSecretValue, REDACTED, redactText };

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
export interface Secrets extends SecretValues {
  /** Header and query names that carried a credential (lowercase). */
  names: Set<string>;
}

/** An empty secret set to add to. */
export function emptySecrets(): Secrets {
  return { names: new Set(), values: [] };
}

/** Parts of a header value shorter than this are not redacted on their own (`theme=dark` would hide every "dark"). */
const MIN_PART = 8;

/**
 * Adds the values of the request's secret headers (Authorization, Proxy-Authorization, Cookie,
 * X-Api-Key…, and every header the provider's auth injected), whoever set them, so a provider
 * that echoes them in an error cannot leak them: the whole value, the credential after its
 * scheme (`Bearer <token>`), both halves of decoded basic credentials, each cookie's value.
 *
 * @example
 * addHeaderSecrets(secrets, { cookie: 'session=s3cr3t-value; theme=dark' }); // redacts s3cr3t-value
 */
export function addHeaderSecrets(secrets: Secrets, headers: Record<string, string>): void {
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (!SECRET_HEADERS.has(name) && !secrets.names.has(name)) continue;
    addSecretValue(secrets, value);
    const credential = value.trim().split(/\s+/).at(-1) ?? '';
    addSecretValue(secrets, credential, MIN_PART);
    if (/^basic\s/i.test(value)) {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) for (const part of [decoded, decoded.slice(0, colon), decoded.slice(colon + 1)]) addSecretValue(secrets, part, MIN_PART);
    }
    if (name === 'cookie') for (const pair of value.split(';')) addSecretValue(secrets, pair.slice(pair.indexOf('=') + 1).trim(), MIN_PART);
  }
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
