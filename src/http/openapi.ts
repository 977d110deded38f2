/**
 * `GET /openapi.json`: the HTTP API as an OpenAPI 3.1 document. Request bodies come from the
 * same zod schemas the routes validate with (`z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI
 * 3.1 uses), so the document cannot drift from what the server accepts; headers, query
 * parameters and answers are listed here beside them. Error answers share one schema whose
 * `code` is the enum of every PatchbayError code.
 *
 * @example
 * app.get('/openapi.json', (c) => c.json(openApiDocument({ version: '0.1.0' })));
 */
import { z } from 'zod';
import { ERROR_CODES } from '../errors.ts';
import { TriggerBody } from './routes/actions.ts';
import { ImportBody, MetadataBody } from './routes/connections.ts';
import { PruneBody } from './routes/records.ts';
import { FrequencyBody, SyncsBody } from './routes/syncs.ts';

type Json = Record<string, unknown>;

/** A request body schema as JSON Schema, without its `$schema` (the document's dialect applies). */
function bodySchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const header = (name: string, description: string, required = true, schema: Json = { type: 'string' }): Json => ({ name, in: 'header', required, description, schema });
const query = (name: string, description: string, required = false, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required, description, schema });
const path = (name: string, description: string): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const CONNECTION = [header('Connection-Id', 'The connection the request is for.'), header('Provider-Config-Key', 'The integration id.')];
const ERRORS = { default: { $ref: '#/components/responses/Error' } };
const ANY = json({}, 'The answer.');

interface Operation {
  summary: string;
  description?: string;
  parameters?: Json[];
  body?: Json;
  responses: Json;
  /** No API key (public routes). */
  open?: boolean;
}

function operation(id: string, tag: string, op: Operation): Json {
  return {
    operationId: id,
    tags: [tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } } : {}),
    responses: { ...op.responses, ...ERRORS },
    ...(op.open ? { security: [] } : {}),
  };
}

const SUCCESS = json({ type: 'object', properties: { success: { const: true } }, required: ['success'] }, 'Done.');

/** The OpenAPI 3.1 document of `patchbay serve`'s HTTP API. */
export function openApiDocument(info: { version: string; serverUrl?: string }): Json {
  const syncs = bodySchema(SyncsBody);
  const proxyOps = Object.fromEntries(
    ['get', 'post', 'put', 'patch', 'delete'].map((method) => [
      method,
      operation(`proxy${method[0]!.toUpperCase()}${method.slice(1)}`, 'proxy', {
        summary: `${method.toUpperCase()} the provider's endpoint with the connection's credentials`,
        description: "Forwarded to the integration's base URL (or Base-Url-Override, within the provider's hosts); `Nango-Proxy-<name>` headers are sent as `<name>`. The provider's status, headers and body come back as they are (2xx bodies streamed).",
        parameters: [
          path('endpoint', "The provider's path, e.g. `user/repos`."),
          ...CONNECTION,
          header('Retries', 'Retries on 429/5xx and network errors (default 0).', false, { type: 'integer', minimum: 0, maximum: 10 }),
          header('Base-Url-Override', "Another base URL of the provider's.", false),
          header('Decompress', 'Decode a compressed answer (true/false).', false),
        ],
        responses: { '200': { description: "The provider's answer, as it came." } },
      }),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'patchbay',
      version: info.version,
      description: "patchbay's HTTP API: Nango's REST API for backends (actions, records, connections, syncs, proxy) and MCP at /mcp. Every route but /health, /oauth/callback and /openapi.json needs `Authorization: Bearer <API key>`.",
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths: {
      '/health': { get: operation('health', 'server', { summary: 'Liveness, version, tools and executions in flight', open: true, responses: { '200': json({ type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }, 'Serving.') } }) },
      '/openapi.json': { get: operation('openapi', 'server', { summary: 'This document', open: true, responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1.') } }) },
      '/mcp': {
        post: operation('mcp', 'mcp', {
          summary: 'MCP over Streamable HTTP (stateless JSON-RPC)',
          body: { type: 'object', description: 'A JSON-RPC 2.0 request or notification of the Model Context Protocol.' },
          responses: { '200': json({ type: 'object' }, 'The JSON-RPC answer.'), '202': { description: 'A notification was accepted.' } },
        }),
      },
      '/action/trigger': {
        post: operation('triggerAction', 'actions', {
          summary: 'Run an action (or queue it with X-Async: true)',
          parameters: [
            ...CONNECTION,
            header('X-Async', 'true: persist the trigger, answer 202 and run it in the background.', false, { type: 'boolean' }),
            header('X-Max-Retries', 'Asynchronous runs: retries of a failed run.', false, { type: 'integer', minimum: 0, maximum: 5 }),
            header('Idempotency-Key', 'A retried trigger with the same key gets the first one’s run.', false, { type: 'string', minLength: 1, maxLength: 255 }),
          ],
          body: bodySchema(TriggerBody),
          responses: { '200': json({}, "The action's output."), '202': json(ref('AsyncAction'), 'Queued (X-Async: true).') },
        }),
      },
      '/action/{id}': {
        get: operation('getAsyncActionResult', 'actions', {
          summary: "An asynchronous action's result: 404 ACTION_PENDING while it runs, 200 with the output, 500 with its error",
          parameters: [path('id', 'The id the trigger answered.'), query('wait', 'Hold the answer up to this many seconds until it finishes.', false, { type: 'number', minimum: 0, maximum: 60 })],
          responses: { '200': json({}, "The action's output.") },
        }),
      },
      '/action/{id}/status': {
        get: operation('getAsyncActionStatus', 'actions', { summary: 'Where an asynchronous action stands', parameters: [path('id', 'The id the trigger answered.')], responses: { '200': json(ref('AsyncActionStatus'), 'Its state.') } }),
      },
      '/records': {
        get: operation('listRecords', 'records', {
          summary: "A page of a synced model's records, in change order",
          parameters: [
            ...CONNECTION,
            query('model', 'The model name.', true),
            query('cursor', 'Resume after this cursor (next_cursor of the last page).'),
            query('limit', 'Records per page (default 100).', false, { type: 'integer', minimum: 1, maximum: 10000 }),
            query('filter', 'added, updated and/or deleted, comma-separated.'),
            query('modified_after', 'Only records changed at or after this ISO 8601 time.'),
            query('ids', 'Only these record ids (repeat the parameter).', false, { type: 'array', items: { type: 'string' } }),
          ],
          responses: { '200': json({ type: 'object', properties: { records: { type: 'array', items: { type: 'object' } }, next_cursor: { type: ['string', 'null'] } }, required: ['records', 'next_cursor'] }, 'A page.') },
        }),
      },
      '/records/prune': {
        patch: operation('pruneRecords', 'records', {
          summary: "Empty the payload of a model's records up to a cursor (ids and metadata kept)",
          parameters: CONNECTION,
          body: bodySchema(PruneBody),
          responses: { '200': json({ type: 'object', properties: { count: { type: 'integer' }, has_more: { type: 'boolean' } }, required: ['count', 'has_more'] }, 'How many were pruned, and whether more are left.') },
        }),
      },
      '/connections': {
        get: operation('listConnections', 'connections', {
          summary: 'The connections the key may use (no credentials)',
          parameters: [query('integrationId', 'Integration ids, comma-separated.'), query('connectionId', 'One connection id.'), query('search', 'Part of a connection id.'), query('limit', 'At most (default 100).', false, { type: 'integer', minimum: 1, maximum: 1000 }), query('page', 'From 0.', false, { type: 'integer', minimum: 0 })],
          responses: { '200': json({ type: 'object', properties: { connections: { type: 'array', items: ref('Connection') } }, required: ['connections'] }, 'The connections.') },
        }),
        post: operation('importConnection', 'connections', { summary: 'Import a connection whose credentials the caller holds (full-access keys)', body: bodySchema(ImportBody), responses: { '201': json(ref('ConnectionWithCredentials'), 'Stored.') } }),
      },
      '/connections/{connectionId}': {
        get: operation('getConnection', 'connections', {
          summary: 'A connection with its credentials (full-access keys)',
          parameters: [path('connectionId', 'The connection id.'), query('provider_config_key', 'The integration id.', true), query('force_refresh', 'Renew the token first.', false, { type: 'boolean' }), query('refresh_token', 'Include the refresh token.', false, { type: 'boolean' })],
          responses: { '200': json(ref('ConnectionWithCredentials'), 'The connection.') },
        }),
        delete: operation('deleteConnection', 'connections', { summary: 'Delete a connection', parameters: [path('connectionId', 'The connection id.'), query('provider_config_key', 'The integration id.', true)], responses: { '200': SUCCESS } }),
      },
      '/connections/metadata': {
        post: operation('setMetadata', 'connections', { summary: "Replace connections' metadata", body: bodySchema(MetadataBody), responses: { '200': json({ type: 'object' }, 'The metadata written.') } }),
        patch: operation('updateMetadata', 'connections', { summary: "Merge into connections' metadata", body: bodySchema(MetadataBody), responses: { '200': json({ type: 'object' }, 'The metadata written.') } }),
      },
      '/sync/trigger': { post: operation('triggerSync', 'syncs', { summary: 'Run syncs now, in the background', body: syncs, responses: { '200': SUCCESS } }) },
      '/sync/start': { post: operation('startSync', 'syncs', { summary: 'Unpause syncs and run them now', body: syncs, responses: { '200': SUCCESS } }) },
      '/sync/pause': { post: operation('pauseSync', 'syncs', { summary: 'Stop scheduled runs', body: syncs, responses: { '200': SUCCESS } }) },
      '/sync/status': {
        get: operation('syncStatus', 'syncs', {
          summary: 'State, last run, next run, record counts and checkpoint per sync and connection',
          parameters: [query('provider_config_key', 'The integration id.', true), query('syncs', 'Sync names, comma-separated, or *.', true), query('connection_id', 'One connection.')],
          responses: { '200': json({ type: 'object', properties: { syncs: { type: 'array', items: { type: 'object' } } }, required: ['syncs'] }, 'One entry per sync and connection.') },
        }),
      },
      '/sync/update-connection-frequency': {
        put: operation('updateSyncConnectionFrequency', 'syncs', { summary: "One connection's own sync frequency (null: the sync's)", body: bodySchema(FrequencyBody), responses: { '200': json({ type: 'object', properties: { frequency: { type: ['string', 'null'] } }, required: ['frequency'] }, 'The frequency that applies.') } }),
      },
      '/integrations': { get: operation('listIntegrations', 'catalog', { summary: "The project's integrations", responses: { '200': ANY } }) },
      '/integrations/{uniqueKey}': { get: operation('getIntegration', 'catalog', { summary: 'An integration with its functions and their JSON schemas', parameters: [path('uniqueKey', 'The integration id.')], responses: { '200': ANY } }) },
      '/providers': { get: operation('listProviders', 'catalog', { summary: 'The provider catalog', parameters: [query('search', 'Part of a name.')], responses: { '200': ANY } }) },
      '/providers/{provider}': { get: operation('getProvider', 'catalog', { summary: 'One provider of the catalog', parameters: [path('provider', 'The provider key.')], responses: { '200': ANY } }) },
      '/proxy/{endpoint}': proxyOps,
      '/connect/{integration}': {
        get: operation('connect', 'connections', {
          summary: 'Start an OAuth flow for a new connection',
          parameters: [path('integration', 'The integration id.'), query('connection_id', 'The id the connection gets.', true)],
          responses: { '200': json({ type: 'object', properties: { url: { type: 'string' } } }, 'Where to send the user.'), '302': { description: "To the provider's consent page." } },
        }),
      },
      '/oauth/callback': { get: operation('oauthCallback', 'connections', { summary: 'Where the provider sends the browser back', open: true, responses: { '200': { description: 'A page saying how it went.' } } }) },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `patchbay key create`, or the one the first start printed.' } },
      responses: { Error: json(ref('Error'), 'A failure: branch on `error.code`.') },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: [...ERROR_CODES] }, message: { type: 'string' }, details: {}, errors: { type: 'array', items: { type: 'object' } } },
            },
          },
        },
        AsyncAction: { type: 'object', required: ['id', 'statusUrl'], properties: { id: { type: 'string', format: 'uuid' }, statusUrl: { type: 'string' } } },
        AsyncActionStatus: {
          type: 'object',
          required: ['id', 'status', 'attempts', 'max_retries'],
          properties: {
            id: { type: 'string' },
            status: { enum: ['queued', 'running', 'succeeded', 'failed'] },
            action_name: { type: 'string' },
            provider_config_key: { type: 'string' },
            connection_id: { type: 'string' },
            attempts: { type: 'integer' },
            max_retries: { type: 'integer' },
            deferrals: { type: 'integer' },
            created_at: { type: 'string' },
            started_at: { type: ['string', 'null'] },
            finished_at: { type: ['string', 'null'] },
            next_attempt_at: { type: ['string', 'null'] },
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
        Connection: {
          type: 'object',
          required: ['connection_id', 'provider_config_key', 'provider'],
          properties: { connection_id: { type: 'string' }, provider_config_key: { type: 'string' }, provider: { type: 'string' }, created: { type: 'string' }, metadata: { type: ['object', 'null'] }, errors: { type: 'array', items: { type: 'object' } } },
        },
        ConnectionWithCredentials: {
          type: 'object',
          required: ['connection_id', 'provider_config_key', 'credentials'],
          properties: {
            connection_id: { type: 'string' },
            provider_config_key: { type: 'string' },
            provider: { type: 'string' },
            connection_config: { type: 'object' },
            metadata: { type: ['object', 'null'] },
            created_at: { type: 'string' },
            updated_at: { type: 'string' },
            credentials: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
          },
        },
      },
    },
  };
}
