/**
 * `query_records`: the model reads what syncs stored, read-only, the way Nango's
 * `GET /records` serves a backend — per integration, model and connection, with the
 * added/updated/deleted filter, `modified_after`, a cursor and at most 100 records a page.
 * Each record carries `_nango_metadata` (last action, timestamps, cursor) as Nango returns it.
 *
 * @example
 * // tools/call query_records { integration: 'github', model: 'Issue', limit: 20 }
 * // → { records: [{ id: '1', title: '…', _nango_metadata: { last_action: 'ADDED', … } }], next_cursor: 'c_…' }
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Manifest } from '../build/manifest.ts';
import type { ConnectionSummary } from '../connections/types.ts';
import { PatchbayError } from '../errors.ts';
import type { ApiScope } from '../access/scope.ts';
import { queryRecords } from '../records/query.ts';
import type { RecordQuery, RecordStore } from '../store/types.ts';
import { errorResult, successResult } from './result.ts';
import { connectionPlan, integrationSelected, resolveConnection, type ConnectionSelection } from './scope.ts';

export const QUERY_RECORDS = 'query_records';
const FILTERS = ['added', 'updated', 'deleted'] as const;

/** Models synced per integration, from the manifest's syncs. */
export function syncedModels(manifest: Manifest): Map<string, string[]> {
  const byIntegration = new Map<string, Set<string>>();
  for (const fn of manifest.functions) {
    if (fn.type !== 'sync' || !fn.models) continue;
    const models = byIntegration.get(fn.integrationId) ?? new Set<string>();
    for (const model of Object.keys(fn.models)) models.add(model);
    byIntegration.set(fn.integrationId, models);
  }
  return new Map([...byIntegration].sort(([a], [b]) => a.localeCompare(b)).map(([id, models]) => [id, [...models].sort()]));
}

/** The tool definition, or undefined when nothing is synced (or the caller sees no such integration). */
export function queryRecordsTool(models: Map<string, string[]>, selection: ConnectionSelection): Tool | undefined {
  const integrations = [...models.keys()].filter((id) => integrationSelected(selection, id));
  if (integrations.length === 0) return undefined;
  const allModels = [...new Set(integrations.flatMap((id) => models.get(id) ?? []))].sort();
  const pairs = integrations.map((id) => `${id}: ${(models.get(id) ?? []).join(', ')}`).join('; ');
  return {
    name: QUERY_RECORDS,
    title: 'Query synced records',
    description: `Reads records that syncs stored (read-only, no API call). Models by integration — ${pairs}. Page with next_cursor.`,
    inputSchema: {
      type: 'object',
      properties: {
        integration: { type: 'string', enum: integrations },
        model: { type: 'string', enum: allModels },
        connection_id: { type: 'string', description: 'Which connection (optional when the integration has only one).' },
        filter: { type: 'array', items: { type: 'string', enum: [...FILTERS] }, description: 'Only records last added, updated and/or deleted.' },
        modified_after: { type: 'string', description: 'ISO 8601 timestamp: only records changed after it.' },
        cursor: { type: 'string', description: 'next_cursor of the previous page.' },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
      },
      required: ['integration', 'model'],
    },
    outputSchema: {
      type: 'object',
      properties: { records: { type: 'array', items: { type: 'object' } }, next_cursor: { type: ['string', 'null'] } },
      required: ['records', 'next_cursor'],
    },
    annotations: { title: 'Query synced records', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  };
}

function invalid(field: string, message: string): PatchbayError {
  return new PatchbayError('INVALID_INPUT', message, { details: [{ path: [field], message }] });
}

/** Runs one `query_records` call; every failure is an `isError` result. */
export async function callQueryRecords(
  args: Record<string, unknown>,
  deps: { models: Map<string, string[]>; records: Pick<RecordStore, 'query'>; connections: () => Promise<Array<Pick<ConnectionSummary, 'integration_id' | 'connection_id'>>>; maxResultBytes: number },
  scope: ApiScope,
  selection: ConnectionSelection,
): Promise<CallToolResult> {
  const integration = String(args['integration'] ?? '');
  try {
    const models = deps.models.get(integration);
    if (!models || !integrationSelected(selection, integration)) {
      throw invalid('integration', `\`integration\`: must be one of ${[...deps.models.keys()].join(', ')}.`);
    }
    const model = String(args['model'] ?? '');
    if (!models.includes(model)) throw invalid('model', `\`model\`: ${integration} syncs ${models.join(', ')}; "${model}" is not one of them.`);
    const query: RecordQuery = {};
    let filter = args['filter'];
    if (typeof filter === 'string') filter = filter.split(',').map((part) => part.trim());
    if (filter !== undefined) {
      if (!Array.isArray(filter) || !filter.every((value) => (FILTERS as readonly unknown[]).includes(String(value).toLowerCase()))) {
        throw invalid('filter', '`filter`: a list of added, updated, deleted.');
      }
      query.filter = filter.map((value) => String(value).toLowerCase()) as RecordQuery['filter'];
    }
    if (args['modified_after'] !== undefined) {
      const value = String(args['modified_after']);
      if (Number.isNaN(Date.parse(value))) throw invalid('modified_after', '`modified_after`: an ISO 8601 timestamp, e.g. 2025-01-31T00:00:00Z.');
      query.modifiedAfter = new Date(value).toISOString();
    }
    if (args['cursor'] !== undefined) query.cursor = String(args['cursor']);
    const limit = args['limit'] === undefined ? 100 : Number(args['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid('limit', '`limit`: an integer from 1 to 100.');
    query.limit = limit;
    const plan = selection.connectionId !== undefined ? connectionPlan(integration, [], scope, selection) : connectionPlan(integration, await deps.connections(), scope, selection);
    const connectionId = resolveConnection(integration, plan, args['connection_id'], scope, 'connection_id');
    const page = await queryRecords(deps.records, { integrationId: integration, connectionId, model }, query);
    return successResult(page, 'none', deps.maxResultBytes);
  } catch (error) {
    return errorResult(error, { integrationId: integration, tool: QUERY_RECORDS }, deps.maxResultBytes);
  }
}
