/**
 * Who is calling the HTTP server: `Authorization: Bearer <key>` checked against the stored API
 * keys (connections/api-keys.ts), turned into an ApiScope; Nango's `connection-id` and
 * `provider-config-key` headers turned into a connection selection. With `--no-auth` (loopback
 * only) every caller has the full scope. http/middleware.ts runs this before every non-public
 * route.
 *
 * @example
 * const scope = await authenticate(c.req.header(), verify); // undefined → 401
 */
import { FULL_SCOPE, type ApiScope } from '../access/scope.ts';
import { PatchbayError } from '../errors.ts';
import type { ConnectionSelection } from '../mcp/scope.ts';
import type { ApiKeyRow } from '../store/types.ts';
import { headerValue, type HeaderBag } from './security.ts';

/** Looks a secret up; undefined for unknown or revoked keys. */
export type KeyVerifier = (secret: string) => Promise<ApiKeyRow | undefined>;

/** The bearer token of an Authorization header (case-insensitive scheme), if any. */
export function bearerToken(headers: HeaderBag): string | undefined {
  const value = headerValue(headers, 'authorization');
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** The scope a key grants. */
export function scopeOfKey(row: ApiKeyRow): ApiScope {
  return { keyId: row.id, keyName: row.name, connections: row.connections, tools: row.tools };
}

/** The caller's scope, or undefined when the key is missing or wrong (answer 401). */
export async function authenticate(headers: HeaderBag, verify: KeyVerifier | undefined): Promise<ApiScope | undefined> {
  if (!verify) return FULL_SCOPE;
  const token = bearerToken(headers);
  if (!token) return undefined;
  const row = await verify(token);
  return row ? scopeOfKey(row) : undefined;
}

/** The 401 for a request without a valid key; the message says which of three mistakes it was. */
export function unauthorized(headers: HeaderBag): PatchbayError {
  const hasToken = bearerToken(headers) !== undefined;
  const otherScheme = !hasToken && headerValue(headers, 'authorization') !== undefined;
  return new PatchbayError(
    'UNAUTHORIZED',
    hasToken
      ? 'The API key is unknown or revoked. Create one with `patchbay key create --name <name>`.'
      : otherScheme
        ? 'The Authorization header must use the Bearer scheme: `Authorization: Bearer <key>`.'
        : 'Missing API key: send `Authorization: Bearer <key>` (the key was printed on first start; create another with `patchbay key create --name <name>`).',
  );
}

/** Nango's connection headers as a selection (`provider-config-key` is the integration id). */
export function selectionFromHeaders(headers: HeaderBag): ConnectionSelection {
  const selection: ConnectionSelection = {};
  const connectionId = headerValue(headers, 'connection-id');
  const integrationId = headerValue(headers, 'provider-config-key');
  if (connectionId !== undefined) selection.connectionId = connectionId;
  if (integrationId !== undefined) selection.integrationId = integrationId;
  return selection;
}
