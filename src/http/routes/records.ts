/**
 * Nango's `GET /records` request, parsed: query `model`, `cursor`, `limit` (1-10000, default 100),
 * `filter` (comma-separated added/updated/deleted), `modified_after` (or its older name `delta`),
 * `ids` (repeatable, at most 100), and headers `Connection-Id` and `Provider-Config-Key`. The
 * answer is `queryRecords`'s page, so a client written for Nango's API works unchanged. A key
 * scoped to some connections reads only theirs.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { connectionAllowed } from '../../access/scope.ts';
import { PatchbayError } from '../../errors.ts';
import { queryRecords } from '../../records/query.ts';
import type { RecordQuery, RecordScope, RecordStore } from '../../records/types.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, invalid, readJsonBody, requiredHeader } from './request.ts';

const KNOWN = new Set(['model', 'variant', 'cursor', 'limit', 'filter', 'modified_after', 'delta', 'ids']);

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The scope and query of a `GET /records` request; INVALID_ARGUMENT says which parameter is wrong.
 *
 * @example
 * const { scope, query } = parseRecordsRequest(url.searchParams, req.headers);
 * res.end(JSON.stringify(await queryRecords(store.records, scope, query)));
 */
export function parseRecordsRequest(params: URLSearchParams, headers: Record<string, string | string[] | undefined>): { scope: RecordScope; query: RecordQuery } {
  for (const key of params.keys()) {
    if (!KNOWN.has(key)) throw invalid(`Unknown query parameter "${key}". Use model, cursor, limit, filter, modified_after or ids.`);
  }
  const connectionId = header(headers, 'connection-id');
  const integrationId = header(headers, 'provider-config-key');
  if (!connectionId) throw invalid('Missing header Connection-Id: the connection whose records to read.');
  if (!integrationId) throw invalid('Missing header Provider-Config-Key: the integration id.');
  const model = params.get('model');
  if (!model) throw invalid('Missing query parameter model, e.g. ?model=Issue.');
  const query: RecordQuery = {};
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw invalid(`limit must be an integer from 1 to 10000 (got "${limit}").`);
    query.limit = n;
  }
  const cursor = params.get('cursor');
  if (cursor) query.cursor = cursor;
  const modifiedAfter = params.get('modified_after') ?? params.get('delta');
  if (modifiedAfter) query.modifiedAfter = modifiedAfter;
  const filter = params.get('filter');
  if (filter) query.filter = filter.split(',').map((f) => f.trim().toLowerCase()) as RecordQuery['filter'];
  const ids = params.getAll('ids');
  if (ids.length > 100) throw invalid(`ids: at most 100 per request (got ${ids.length}).`);
  if (ids.length > 0) query.ids = ids;
  return { scope: { integrationId, connectionId, model }, query };
}

/**
 * `GET /records`, behind the API-key middleware.
 *
 * @example
 * app.get('/records', requireKey(verify), listRecords(store.records));
 */
export function listRecords(records: Pick<RecordStore, 'query'>): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const { scope, query } = parseRecordsRequest(new URL(c.req.url).searchParams, c.req.header());
    if (!connectionAllowed(c.get('scope'), scope.integrationId, scope.connectionId)) {
      throw new PatchbayError('FORBIDDEN', `This API key may not read connection "${scope.connectionId}" of "${scope.integrationId}".`);
    }
    return c.json(await queryRecords(records, scope, query));
  };
}

/** The body of `PATCH /records/prune`, as `@nangohq/node`'s `pruneRecords` sends it. */
export const PruneBody = z.object({
  model: z.string().min(1),
  until_cursor: z.string().min(1),
  variant: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

/**
 * `PATCH /records/prune`: empties the payload of a model's records up to and including
 * `until_cursor` (oldest first, at most `limit`, default 1,000), keeping ids and metadata, as
 * Nango's prune does for data it should not keep; the next sync that sees a record writes its
 * payload back. Answers `{ count, has_more }`; repeat with the same cursor while `has_more`.
 * A key limited to some tools may not prune (it is a write beyond what its tools do).
 */
export function pruneRecords(records: Pick<RecordStore, 'prune'>): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = requiredHeader(c, 'Connection-Id', 'the connection whose records to prune');
    const integrationId = requiredHeader(c, 'Provider-Config-Key', 'the integration id');
    const body = await readJsonBody(c, PruneBody, '{ "model": "<model>", "until_cursor": "<_nango_metadata.cursor>", "limit"?: 1000 }');
    const scope = c.get('scope');
    assertMayUse(scope, integrationId, connectionId);
    if (scope.tools !== null) throw new PatchbayError('FORBIDDEN', 'Pruning records needs a key that is not limited to some tools (--tools).');
    if (body.variant !== undefined && body.variant !== 'base') {
      throw new PatchbayError('NOT_IMPLEMENTED', `Sync variants are not available in this version of patchbay ("${body.variant}"); prune without a variant.`);
    }
    const pruned = await records.prune({ integrationId, connectionId, model: body.model }, body.until_cursor, body.limit ?? 1000);
    return c.json({ count: pruned.count, has_more: pruned.hasMore });
  };
}
