/**
 * Record capabilities of a live sync run: `batchSave` & co. written to the store's RecordStore
 * under the run's id, with the per-model change counts the run reports (ExecutionResult.changes).
 */
import { recordId, toRecordInputs } from '../records/hash.ts';
import type { RecordStore, SaveSummary } from '../store/types.ts';
import type { RecordCapabilities } from './capabilities.ts';
import type { SyncChanges } from './types.ts';

/**
 * Records of one (integration, connection) written through `store` with `runId`.
 *
 * @example
 * const { caps, changes } = liveRecords(store.records, 'github', 'alice', runId);
 */
export function liveRecords(store: RecordStore, integrationId: string, connectionId: string, runId: string): { caps: RecordCapabilities; changes(): SyncChanges } {
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
      add(model, { deleted: await store.deleteUnseen(scope(model), runId) });
    },
  };
  return { caps, changes: () => totals };
}
