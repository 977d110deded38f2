/**
 * Who is calling the HTTP server: `Authorization: Bearer <key>` checked against the stored API
 * keys (connections/api-keys.ts), turned into an ApiScope; Nango's `connection-id` and
 * `provider-config-key` headers turned into a connection selection. With `--no-auth` (loopback
 * only) every caller has the full scope.
 *
 * @example
 * const scope = await authenticate(req.headers, verify); // undefined → 401
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyRow } from '../store/types.ts';
import type { ConnectionSelection } from '../mcp/scope.ts';
import { FULL_SCOPE, type ApiScope } from '../access/scope.ts';

/** Looks a secret up; undefined for unknown or revoked keys. */
export type KeyVerifier = (secret: string) => Promise<ApiKeyRow | undefined>;

/** The bearer token of an Authorization header (case-insensitive scheme), if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** The scope a key grants. */
export function scopeOfKey(row: ApiKeyRow): ApiScope {
  return { keyId: row.id, keyName: row.name, connections: row.connections, tools: row.tools };
}

/** The caller's scope, or undefined when the key is missing or wrong (answer 401). */
export async function authenticate(headers: IncomingHttpHeaders, verify: KeyVerifier | undefined): Promise<ApiScope | undefined> {
  if (!verify) return FULL_SCOPE;
  const token = bearerToken(headers);
  if (!token) return undefined;
  const row = await verify(token);
  return row ? scopeOfKey(row) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.trim() !== '' ? text.trim() : undefined;
}

/** Nango's connection headers as a selection (`provider-config-key` is the integration id). */
export function selectionFromHeaders(headers: IncomingHttpHeaders): ConnectionSelection {
  const selection: ConnectionSelection = {};
  const connectionId = header(headers, 'connection-id');
  const integrationId = header(headers, 'provider-config-key');
  if (connectionId !== undefined) selection.connectionId = connectionId;
  if (integrationId !== undefined) selection.integrationId = integrationId;
  return selection;
}
