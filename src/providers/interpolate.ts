/**
 * `${ENV_VAR}` interpolation for integration.json, so secrets (client secrets, webhook secrets)
 * live in the environment and never in a committed file.
 *
 * The rule: only UPPER_CASE names (`[A-Z][A-Z0-9_]*`) are environment variables. Anything else —
 * `${apiKey}`, `${accessToken}`, `${connectionConfig.subdomain}`, `${credentials.username}` — is a
 * runtime placeholder the HTTP layer fills per connection, and is left as written. `$${NAME}`
 * escapes a literal `${NAME}`.
 */
import { PatchbayError } from '../errors.ts';

const PATTERN = /\$(\$?)\{([^}]*)\}/g;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Replaces `${NAME}` in one string; `where` names the file and field for the error. */
export function interpolateString(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(PATTERN, (whole, escape: string, name: string) => {
    if (escape) return whole.slice(1);
    if (!ENV_NAME.test(name)) return whole;
    const value = env[name];
    if (value === undefined) {
      throw new PatchbayError('INVALID_CONFIG', `${where} references \${${name}}, but the environment variable ${name} is not set. Export it, or add ${name}=… to the .env file beside integrations/, and retry.`, {
        details: { variable: name, reason: 'unset_variable' },
      });
    }
    return value;
  });
}

/**
 * Interpolates every string in a parsed JSON value (keys untouched). Works on the parsed value,
 * not the raw text, so a secret holding a quote or backslash cannot break the JSON.
 *
 * @example
 * interpolate({ oauth: { client_secret: '${GITHUB_SECRET}' } }, process.env, 'integrations/github/integration.json')
 */
export function interpolate<T>(value: T, env: NodeJS.ProcessEnv, file: string, path: string[] = []): T {
  if (typeof value === 'string') return interpolateString(value, env, `${file} (${path.join('.') || 'root'})`) as T;
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, file, [...path, String(i)])) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, env, file, [...path, key]);
    return out as T;
  }
  return value;
}
