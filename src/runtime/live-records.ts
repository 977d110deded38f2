/**
 * Record capabilities of a live sync run: `batchSave` & co. written to the store's RecordStore
 * under the run's id, with the per-model change counts the run reports (ExecutionResult.changes).
 *
 * Writes are behind by at most one batch: `batchSave` answers once its records are checked, and
 * the store writes them while the function fetches the next page (the pipeline that keeps a sync
 * near the speed of fetch and insert alone). Order is kept: every other record call, a checkpoint
 * read or write (liveScope) and the end of the run wait for the writes before them, and a write
 * that failed fails the next call and the run. So a checkpoint is never ahead of the records it
 * covers, and a server killed mid-run loses only writes no checkpoint counted.
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
): { caps: RecordCapabilities; changes(): SyncChanges; drain(): Promise<void> } {
  const totals: SyncChanges = {};
  const behind = writeBehind();
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
      const inputs = toRecordInputs(records, model);
      await behind.write(async () => add(model, await store.save(scope(model), inputs, runId)));
    },
    async update(model, records) {
      const inputs = toRecordInputs(records, model);
      await behind.write(async () => add(model, await store.update(scope(model), inputs, runId)));
    },
    async delete(model, records) {
      const ids = records.map((r) => recordId(r, model));
      await behind.write(async () => add(model, await store.delete(scope(model), ids, runId)));
    },
    async getByIds(model, ids) {
      await behind.drain();
      const found = await store.getByIds(scope(model), ids);
      return [...found].filter(([, r]) => r.deleted_at === null).map(([id, r]) => [id, r.data] as [string, Record<string, unknown>]);
    },
    async trackDeletesStart(model) {
      await behind.drain();
      await store.markSeenStart(scope(model), runId);
    },
    async trackDeletesEnd(model) {
      await behind.drain();
      // deleteUnseen counts; the ids are the records it just marked deleted (at or after `since`).
      // Records this run deleted earlier were deleted already, so deleteUnseen never touches them.
      await checkDeletePass(store, scope(model), runId, totals[model]?.added ?? 0, guard);
      const since = new Date().toISOString();
      const deleted = await store.deleteUnseen(scope(model), runId);
      add(model, { deleted });
      return { deletedKeys: deleted > 0 ? await deletedSince(store, scope(model), since, deleted) : [] };
    },
    list: async (model, page) => {
      await behind.drain();
      return listPage(store, scope(model), page);
    },
  };
  return { caps, changes: () => totals, drain: behind.drain };
}

/** Writes queued behind the function at most: one is written while the function fetches its next page. */
const MAX_BEHIND = 1;

/** An ordered queue of store writes that the caller does not wait for, up to MAX_BEHIND. */
function writeBehind(): { write(run: () => Promise<void>): Promise<void>; drain(): Promise<void> } {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let failure: { error: unknown } | undefined;
  const check = () => {
    if (failure) throw failure.error;
  };
  return {
    async write(run) {
      check();
      while (pending >= MAX_BEHIND) await tail;
      check();
      pending++;
      // After a turn of the event loop: the caller's answer leaves first, then the write runs.
      tail = tail
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(run)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          pending--;
        });
    },
    async drain() {
      while (pending > 0) await tail;
      check();
    },
  };
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
