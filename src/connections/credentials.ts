/**
 * Credential shapes per auth mode: validating what a user or a token endpoint hands us before it is
 * sealed, and masking it for display. A wrong shape is refused with the exact flag to use.
 */
import type { Credentials } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import type { AuthMode } from '../providers/types.ts';

const HINTS: Record<AuthMode, string> = {
  OAUTH2: 'run `patchbay connect <integration> <connection-id>`, or pass --credentials \'{"access_token":"…","refresh_token":"…"}\'',
  OAUTH2_CC: 'pass --credentials \'{"access_token":"…"}\' (client credentials are fetched with the integration\'s oauth client)',
  API_KEY: 'pass --api-key <KEY>',
  BASIC: 'pass --basic USER:PASS',
  BEARER: 'pass --token <TOKEN>',
  NONE: 'pass no credentials',
};

function requireString(input: Record<string, unknown>, field: string, integrationId: string, mode: AuthMode, allowEmpty = false): string {
  const value = input[field];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new PatchbayError(
      'INVALID_CREDENTIALS',
      `Integration "${integrationId}" uses ${mode} auth and needs a non-empty "${field}"; ${HINTS[mode]}.`,
      { details: { field } },
    );
  }
  return value;
}

/**
 * Checks `input` fits `mode` and returns it as typed Credentials (a missing `type` is taken from
 * the mode). Throws INVALID_CREDENTIALS naming the field and the flag to use.
 *
 * @example
 * validateCredentials({ api_key: 'k' }, 'API_KEY', 'openai'); // { type: 'API_KEY', api_key: 'k' }
 */
export function validateCredentials(input: unknown, mode: AuthMode, integrationId: string): Credentials {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PatchbayError('INVALID_CREDENTIALS', `Credentials for "${integrationId}" must be a JSON object; ${HINTS[mode]}.`);
  }
  const given = input as Record<string, unknown>;
  const type = given['type'] ?? mode;
  const compatible = type === mode || (mode === 'OAUTH2_CC' && type === 'OAUTH2') || (mode === 'OAUTH2' && type === 'OAUTH2_CC');
  if (!compatible) {
    throw new PatchbayError(
      'INVALID_CREDENTIALS',
      `Integration "${integrationId}" uses ${mode} auth, but the credentials are ${String(type)}; ${HINTS[mode]}.`,
    );
  }
  switch (mode) {
    case 'OAUTH2':
    case 'OAUTH2_CC': {
      const out: Credentials = { type: mode, access_token: requireString(given, 'access_token', integrationId, mode), raw: {} };
      if (given['refresh_token'] !== undefined && given['refresh_token'] !== null) out.refresh_token = requireString(given, 'refresh_token', integrationId, mode);
      if (given['expires_at'] !== undefined && given['expires_at'] !== null) {
        const at = new Date(String(given['expires_at']));
        if (Number.isNaN(at.getTime())) {
          throw new PatchbayError('INVALID_CREDENTIALS', `"expires_at" of the credentials for "${integrationId}" is not a date; use ISO 8601 (2026-01-31T12:00:00Z).`);
        }
        out.expires_at = at.toISOString();
      }
      const raw = given['raw'];
      if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
        throw new PatchbayError('INVALID_CREDENTIALS', `"raw" of the credentials for "${integrationId}" must be an object (the token endpoint's response).`);
      }
      out.raw = (raw as Record<string, unknown> | undefined) ?? {};
      return out;
    }
    case 'API_KEY':
      return { type: 'API_KEY', api_key: requireString(given, 'api_key', integrationId, mode) };
    case 'BASIC':
      return { type: 'BASIC', username: requireString(given, 'username', integrationId, mode), password: requireString(given, 'password', integrationId, mode, true) };
    case 'BEARER':
      return { type: 'BEARER', token: requireString(given, 'token', integrationId, mode) };
    case 'NONE':
      return { type: 'NONE' };
  }
}

/** Secrets shorter than this are masked whole: four characters of a short one give too much away. */
const SHORTEST_HINTED = 16;

/**
 * `…abcd`: the last 4 characters of a secret of 16 or more (enough to tell two apart, never
 * enough to use one), `****` for a shorter one. Never more than 4 characters of the value.
 *
 * @example
 * maskSecret('ghp_0123456789abcdef'); // '…cdef'
 * maskSecret('hunter2');              // '****'
 */
export function maskSecret(value: string): string {
  if (value.length < SHORTEST_HINTED) return '****';
  return `…${value.slice(-4)}`;
}

/** Fields shown as they are; every other field is treated as a secret. */
const PUBLIC_FIELDS = new Set(['type', 'expires_at']);

/**
 * Credentials for lists and `show`: every field but `type` and `expires_at` masked, including
 * ones patchbay does not know (a provider's extra token field, Nango's `apiKey`) and `username`
 * (Stripe-style BASIC auth puts the secret key there); the raw token response hidden.
 */
export function maskCredentials(credentials: Credentials): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(credentials)) {
    if (PUBLIC_FIELDS.has(field) || value === null || value === undefined || typeof value === 'boolean') out[field] = value;
    else if (typeof value === 'string' || typeof value === 'number') out[field] = maskSecret(String(value));
    else out[field] = '[hidden]';
  }
  return out;
}
