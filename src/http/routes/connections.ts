/**
 * Nango's connection API, as `@nangohq/node` calls it: `GET /connections` (`listConnections`),
 * `GET /connections/:id?provider_config_key=` (`getConnection`, `getMetadata`, `getToken`),
 * `DELETE /connections/:id?provider_config_key=` (`deleteConnection`) and `POST` / `PATCH
 * /connections/metadata` (`setMetadata`, `updateMetadata`). Answers use Nango's field names.
 *
 * A scoped key lists and touches only its connections. Reading credentials is for full-access
 * keys only: a key handed to an MCP client for one end user may *use* that user's connection, not
 * carry its tokens away. patchbay has no end users or tags yet, so filters on them answer 501.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { connectionAllowed, isFullScope, type ApiScope } from '../../access/scope.ts';
import type { ConnectionService, ConnectionSummary, LoadedConnection } from '../../connections/types.ts';
import type { Credentials } from '../../define/context.ts';
import { PatchbayError } from '../../errors.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import type { CredentialSource } from '../../upstream/client.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, readJsonBody } from './request.ts';

export interface ConnectionRouteDeps {
  connections: ConnectionService;
  integrations(integrationId: string): Promise<IntegrationConfig>;
  /** The connection's credential source (refresh, single-flight): what `force_refresh` goes through. */
  credentials(integration: IntegrationConfig, connection: LoadedConnection): CredentialSource;
}

const NO_END_USERS = ['endUserId', 'endUserOrganizationId'];

function invalid(message: string, details?: unknown): PatchbayError {
  return new PatchbayError('INVALID_ARGUMENT', message, details === undefined ? {} : { details });
}

function booleanParam(c: Context<AppEnv>, name: string): boolean {
  const value = c.req.query(name);
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw invalid(`${name} must be true or false (got "${value.slice(0, 40)}").`);
}

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
    const forceRefresh = booleanParam(c, 'force_refresh');
    const withRefreshToken = booleanParam(c, 'refresh_token');
    const integration = await deps.integrations(integrationId);
    const connection = await deps.connections.get(integrationId, connectionId);
    const source = deps.credentials(integration, connection);
    const credentials = forceRefresh ? await source.refresh('unauthorized') : await source.get();
    const fresh = credentials === connection.credentials ? connection : await deps.connections.get(integrationId, connectionId);
    return c.json({
      connection_id: fresh.connection_id,
      provider_config_key: integrationId,
      provider: fresh.provider,
      connection_config: fresh.connection_config,
      created_at: fresh.created_at,
      updated_at: fresh.updated_at,
      last_fetched_at: null,
      metadata: fresh.metadata ?? null,
      errors: errorsOf(fresh),
      end_user: null,
      tags: {},
      credentials: publicCredentials(credentials, withRefreshToken),
    });
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

const MetadataBody = z.object({
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
