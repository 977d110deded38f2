/**
 * Nango's connection API, as `@nangohq/node` calls it: `GET /connections` (`listConnections`),
 * `GET /connections/:id?provider_config_key=` (`getConnection`, `getMetadata`, `getToken`),
 * `DELETE /connections/:id?provider_config_key=` (`deleteConnection`), `POST /connections`
 * (import credentials) and `POST` / `PATCH /connections/metadata` (`setMetadata`,
 * `updateMetadata`). Answers use Nango's field names.
 *
 * A scoped key lists and touches only its connections. Reading credentials is for full-access
 * keys only: a key handed to an MCP client for one end user may *use* that user's connection, not
 * carry its tokens away. patchbay has no end users or tags yet, so filters on them answer 501.
 */
import type { Context } from 'hono';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { connectionAllowed, isFullScope, type ApiScope } from '../../access/scope.ts';
import { validateCredentials } from '../../connections/credentials.ts';
import type { ConnectionService, ConnectionSummary, LoadedConnection } from '../../connections/types.ts';
import type { Credentials } from '../../define/context.ts';
import { PatchbayError } from '../../errors.ts';
import type { AuthMode, IntegrationConfig } from '../../providers/types.ts';
import type { CredentialSource } from '../../upstream/client.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, booleanValue, invalid, readJsonBody } from './request.ts';

export interface ConnectionRouteDeps {
  connections: ConnectionService;
  integrations(integrationId: string): Promise<IntegrationConfig>;
  /** The connection's credential source (refresh, single-flight): what `force_refresh` goes through. */
  credentials(integration: IntegrationConfig, connection: LoadedConnection): CredentialSource;
}

const NO_END_USERS = ['endUserId', 'endUserOrganizationId'];

function integrationParam(c: Context<AppEnv>): string {
  const key = c.req.query('provider_config_key')?.trim();
  if (!key) throw invalid('Missing query parameter provider_config_key: the integration id, e.g. ?provider_config_key=github.');
  return key;
}

/** Nango's `errors` of a connection: a failed refresh is an `auth` error. */
function errorsOf(connection: { refresh_status: 'ok' | 'failed' | null }): Array<{ type: string; log_id: string }> {
  return connection.refresh_status === 'failed' ? [{ type: 'auth', log_id: '' }] : [];
}

function listed(summary: ConnectionSummary) {
  return {
    connection_id: summary.connection_id,
    provider_config_key: summary.integration_id,
    provider: summary.provider,
    created: summary.created_at,
    metadata: summary.metadata,
    errors: errorsOf(summary),
    end_user: null,
    tags: {},
  };
}

/** Credentials in Nango's public shape (`apiKey`, the refresh token only when asked for). */
function publicCredentials(credentials: Credentials, withRefreshToken: boolean): Record<string, unknown> {
  if (credentials.type === 'API_KEY') return { type: 'API_KEY', apiKey: credentials.api_key };
  if (credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC') {
    const { refresh_token, ...rest } = credentials;
    return withRefreshToken && refresh_token !== undefined ? { ...rest, refresh_token } : rest;
  }
  return { ...credentials };
}

/** `GET /connections`. */
export function listConnections(deps: ConnectionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const query = c.req.query();
    for (const name of Object.keys(query)) {
      if (NO_END_USERS.includes(name) || name.startsWith('tags[')) {
        throw new PatchbayError('NOT_IMPLEMENTED', `patchbay has no end users or tags yet, so "${name}" cannot filter; list by integrationId, connectionId or search.`);
      }
      if (!['connectionId', 'search', 'integrationId', 'limit', 'page'].includes(name)) {
        throw invalid(`Unknown query parameter "${name}". Use connectionId, search, integrationId, limit or page.`);
      }
    }
    const limit = query['limit'] === undefined ? 100 : Number(query['limit']);
    const page = query['page'] === undefined ? 0 : Number(query['page']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid(`limit must be an integer from 1 to 1000 (got "${String(query['limit']).slice(0, 40)}").`);
    if (!Number.isInteger(page) || page < 0) throw invalid(`page must be an integer from 0 (got "${String(query['page']).slice(0, 40)}").`);
    const integrations = query['integrationId']?.split(',').map((id) => id.trim()).filter(Boolean);
    const search = query['search']?.toLowerCase();
    const scope = c.get('scope');
    const all = await deps.connections.list();
    const matching = all
      .filter((row) => !integrations || integrations.includes(row.integration_id))
      .filter((row) => query['connectionId'] === undefined || row.connection_id === query['connectionId'])
      .filter((row) => search === undefined || row.connection_id.toLowerCase().includes(search))
      .filter((row) => connectionAllowed(scope, row.integration_id, row.connection_id));
    return c.json({ connections: matching.slice(page * limit, page * limit + limit).map(listed) });
  };
}

/** `GET /connections/:connectionId?provider_config_key=`: the connection with its credentials. */
export function getConnection(deps: ConnectionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = c.req.param('connectionId')!;
    const integrationId = integrationParam(c);
    const scope = c.get('scope');
    assertMayUse(scope, integrationId, connectionId);
    if (!isFullScope(scope)) {
      throw new PatchbayError('FORBIDDEN', 'Reading a connection’s credentials needs a full-access API key; this key is scoped. Run actions with it instead (POST /action/trigger).');
    }
    const forceRefresh = booleanValue(c.req.query('force_refresh'), 'force_refresh');
    const withRefreshToken = booleanValue(c.req.query('refresh_token'), 'refresh_token');
    const integration = await deps.integrations(integrationId);
    const connection = await deps.connections.get(integrationId, connectionId);
    const source = deps.credentials(integration, connection);
    const credentials = forceRefresh ? await source.refresh('unauthorized') : await source.get();
    const fresh = credentials === connection.credentials ? connection : await deps.connections.get(integrationId, connectionId);
    return c.json(fullConnection(fresh, credentials, withRefreshToken));
  };
}

/** A connection with its credentials, in Nango's public shape (`ApiPublicConnectionFull`). */
function fullConnection(connection: LoadedConnection, credentials: Credentials, withRefreshToken: boolean) {
  return {
    connection_id: connection.connection_id,
    provider_config_key: connection.integration_id,
    provider: connection.provider,
    connection_config: connection.connection_config,
    created_at: connection.created_at,
    updated_at: connection.updated_at,
    last_fetched_at: null,
    metadata: connection.metadata ?? null,
    errors: errorsOf(connection),
    end_user: null,
    tags: {},
    credentials: publicCredentials(credentials, withRefreshToken),
  };
}

/** The body of `POST /connections`. */
export const ImportBody = z.object({
  connection_id: z.string().min(1).max(255).optional(),
  provider_config_key: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()).optional(),
  connection_config: z.record(z.string(), z.unknown()).optional(),
  credentials: z.looseObject({ type: z.string().min(1) }),
  end_user: z.unknown().optional(),
  tags: z.unknown().optional(),
  webhook_url_override: z.unknown().optional(),
});

/**
 * Nango's credential shapes as patchbay stores them: `apiKey` → `api_key`, an OAUTH2_CC `token`
 * → `access_token`, a BEARER `token` or `apiKey`; the rest is checked by `validateCredentials`.
 */
function importedCredentials(given: Record<string, unknown>, mode: AuthMode): Record<string, unknown> {
  const type = given['type'];
  const { type: _type, ...fields } = given;
  if (type === 'API_KEY' && mode === 'BEARER') return { type: 'BEARER', token: fields['apiKey'] ?? fields['api_key'] };
  if (type === 'API_KEY') return { type, api_key: fields['apiKey'] ?? fields['api_key'] };
  if (type === 'BEARER') return { type, token: fields['token'] ?? fields['apiKey'] };
  if (type === 'OAUTH2_CC') return { ...fields, type, access_token: fields['access_token'] ?? fields['token'] };
  return given;
}

/**
 * `POST /connections`: imports a connection whose credentials the caller already holds (tokens
 * from another system, a key pasted by a user), as Nango's `PostPublicConnection`. Full-access
 * keys only: a scoped key may use its connections, not create them. The credentials are checked
 * against the integration's auth mode, sealed, and the on-event functions run as for any new
 * connection; an existing id is 409, never overwritten.
 */
export function importConnection(deps: ConnectionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    if (!isFullScope(c.get('scope'))) {
      throw new PatchbayError('FORBIDDEN', 'Importing a connection needs a full-access API key; this key is scoped to some connections or tools.');
    }
    const body = await readJsonBody(c, ImportBody, '{ "provider_config_key": "<integration>", "connection_id": "<id>", "credentials": { "type": "API_KEY", "apiKey": "…" } }');
    for (const field of ['end_user', 'tags', 'webhook_url_override'] as const) {
      if (body[field] !== undefined) throw new PatchbayError('NOT_IMPLEMENTED', `patchbay has no end users, tags or per-connection webhook URLs yet; send the request without "${field}".`);
    }
    const integration = await deps.integrations(body.provider_config_key).catch((error: unknown) => {
      if (error instanceof PatchbayError && (error.details as { reason?: string } | undefined)?.reason === 'missing_file') {
        throw new PatchbayError('INTEGRATION_NOT_FOUND', `No integration "${body.provider_config_key}": there is no integrations/${body.provider_config_key}/integration.json. ${error.message}`, { details: error.details });
      }
      throw error;
    });
    const mode = integration.provider.auth_mode;
    const credentials = validateCredentials(importedCredentials(body.credentials, mode), mode, body.provider_config_key);
    const connectionId = body.connection_id ?? randomUUID();
    await deps.connections.add({
      integrationId: body.provider_config_key,
      connectionId,
      credentials,
      ...(body.connection_config ? { connectionConfig: body.connection_config } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      fullAccess: true,
    });
    const stored = await deps.connections.get(body.provider_config_key, connectionId);
    return c.json(fullConnection(stored, stored.credentials, true), 201);
  };
}

/** `DELETE /connections/:connectionId?provider_config_key=`. */
export function deleteConnection(deps: ConnectionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = c.req.param('connectionId')!;
    const integrationId = integrationParam(c);
    assertMayUse(c.get('scope'), integrationId, connectionId);
    if (!(await deps.connections.remove(integrationId, connectionId))) {
      throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${connectionId}" of "${integrationId}" to delete.`);
    }
    return c.json({ success: true });
  };
}

/** The body of `POST|PATCH /connections/metadata`. */
export const MetadataBody = z.object({
  connection_id: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(100)]),
  provider_config_key: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()),
});

/** `POST /connections/metadata` (replace) and `PATCH /connections/metadata` (merge). */
export function changeMetadata(deps: ConnectionRouteDeps, how: 'set' | 'update'): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const body = await readJsonBody(c, MetadataBody, '{ "connection_id": "<id>" | ["<id>", …], "provider_config_key": "<integration>", "metadata": { … } }');
    const { connection_id, provider_config_key, metadata } = body;
    const ids = Array.isArray(connection_id) ? connection_id : [connection_id];
    const scope = c.get('scope');
    // Every connection is checked (scope, existence) before any is written.
    for (const id of ids) assertMayUse(scope, provider_config_key, id);
    for (const id of ids) await deps.connections.get(provider_config_key, id);
    for (const id of ids) {
      if (how === 'set') await deps.connections.setMetadata(provider_config_key, id, metadata);
      else await deps.connections.updateMetadata(provider_config_key, id, metadata);
    }
    return c.json({ connection_id, provider_config_key, metadata });
  };
}
