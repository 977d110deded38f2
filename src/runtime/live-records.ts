/**
 * Record capabilities of a live sync run: `batchSave` & co. written to the store's RecordStore
 * under the run's id, with the per-model change counts the run reports (ExecutionResult.changes).
 */
import { checkDeletePass, type DeleteGuard } from '../records/delete-guard.ts';
import { recordId, toRecordInputs } from '../records/hash.ts';
import { toNangoRecord } from '../records/query.ts';
import type { RecordScope, RecordStore, SaveSummary } from '../store/types.ts';
import type { RecordCapabilities, RecordPage } from './capabilities.ts';
import type { SyncChanges } from './types.ts';

/**
 * Records of one (integration, connection) written through `store` with `runId`. `guard` weighs
 * each `trackDeletesEnd` pass first (MASS_DELETE_REFUSED, nothing deleted); none: not weighed.
 *
 * @example
 * const { caps, changes } = liveRecords(store.records, 'github', 'alice', runId, guard);
 */
export function liveRecords(
  store: RecordStore,
  integrationId: string,
  connectionId: string,
  runId: string,
  guard?: DeleteGuard,
): { caps: RecordCapabilities; changes(): SyncChanges } {
  const totals: SyncChanges = {};
  const scope = (model: string) => ({ integrationId, connectionId, model });
  const add = (model: string, summary: Partial<SaveSummary>) => {
    const t = (totals[model] ??= { added: 0, updated: 0, deleted: 0, unchanged: 0 });
    t.added += summary.added ?? 0;
    t.updated += summary.updated ?? 0;
    t.deleted += summary.deleted ?? 0;
    t.unchanged += summary.unchanged ?? 0;
  };
  const caps: RecordCapabilities = {
    async save(model, records) {
      add(model, await store.save(scope(model), toRecordInputs(records, model), runId));
    },
    async update(model, records) {
      add(model, await store.update(scope(model), toRecordInputs(records, model), runId));
    },
    async delete(model, records) {
      add(model, await store.delete(scope(model), records.map((r) => recordId(r, model)), runId));
    },
    async getByIds(model, ids) {
      const found = await store.getByIds(scope(model), ids);
      return [...found].filter(([, r]) => r.deleted_at === null).map(([id, r]) => [id, r.data] as [string, Record<string, unknown>]);
    },
    async trackDeletesStart(model) {
      await store.markSeenStart(scope(model), runId);
    },
    async trackDeletesEnd(model) {
      // deleteUnseen counts; the ids are the records it just marked deleted (at or after `since`).
      // Records this run deleted earlier were deleted already, so deleteUnseen never touches them.
      await checkDeletePass(store, scope(model), runId, totals[model]?.added ?? 0, guard);
      const since = new Date().toISOString();
      const deleted = await store.deleteUnseen(scope(model), runId);
      add(model, { deleted });
      return { deletedKeys: deleted > 0 ? await deletedSince(store, scope(model), since, deleted) : [] };
    },
    list: (model, page) => listPage(store, scope(model), page),
  };
  return { caps, changes: () => totals };
}

/** The ids of the last `count` records deleted at or after `since` (deleteUnseen gave them the newest cursors). */
async function deletedSince(store: RecordStore, scope: RecordScope, since: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query(scope, { modifiedAfter: since, filter: ['deleted'], limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const record of page.records) keys.push(record.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return keys.slice(-count);
}

/**
 * One page of a scope's live (not deleted) records in cursor order: what `nango.listRecords`
 * walks, in live runs and (read-only) in dry runs.
 */
export async function listPage(store: RecordStore, scope: RecordScope, page: { cursor?: string; limit: number }): Promise<RecordPage> {
  const found = await store.query(scope, { filter: ['added', 'updated'], limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
  return { records: found.records.map(toNangoRecord), nextCursor: found.nextCursor };
}
