/**
 * What a sync saved and what it tells the backend, both counted from the record store rather than
 * from a run's own tallies. A tally lives in the process that runs the sync and dies with it
 * (`kill -9` mid-run loses it); the store's cursors are durable and written in the same
 * transaction as the records. So:
 *
 * - a run row's counts are the changes after the record cursors its run started from
 *   (`start_cursors`), which can be counted for a killed run too, by whoever recovers it;
 * - a success webhook announces the changes after the model's last announced cursor
 *   (`SyncStore.listAnnouncements`), whichever runs made them: an interrupted run, a failed one,
 *   one whose webhook could not be delivered. The point moves only once a webhook was delivered
 *   to every URL (or, with no URL configured, when the run succeeds), so nothing is skipped;
 *   at worst a backend hears of a change twice.
 *
 * Counts are per record by its last action in the window — what a reader gets with
 * `GET /records?modified_after=<modifiedAfter>&filter=…` — so a row added by a killed run and
 * updated by its resumption counts once, as updated.
 */
import { decodeCursor } from '../records/cursor.ts';
import type { ChangeSummary, RecordStore, Store, SyncAnnouncementRow } from '../store/types.ts';

/** Records added, updated and deleted. */
export interface Counts {
  added: number;
  updated: number;
  deleted: number;
}

/** Which sync of which connection. */
export interface SyncIds {
  integrationId: string;
  connectionId: string;
  syncName: string;
}

const scopeOf = (ids: Pick<SyncIds, 'integrationId' | 'connectionId'>, model: string) => ({ integrationId: ids.integrationId, connectionId: ids.connectionId, model });

/** Sums per-model counts. */
export function total(perModel: Record<string, Counts>): Counts {
  const out = { added: 0, updated: 0, deleted: 0 };
  for (const c of Object.values(perModel)) {
    out.added += c.added;
    out.updated += c.updated;
    out.deleted += c.deleted;
  }
  return out;
}

/**
 * Each model's record cursor now: a run stores them as its `start_cursors` before running, so
 * what it saved can be counted later, even after a crash.
 */
export async function markModels(records: RecordStore, ids: Pick<SyncIds, 'integrationId' | 'connectionId'>, models: string[]): Promise<Record<string, string>> {
  const marks: Record<string, string> = {};
  for (const model of models) marks[model] = await records.mark(scopeOf(ids, model));
  return marks;
}

/**
 * What was saved per model after the `from` cursors (a run's `start_cursors`), up to the `until`
 * cursors when given (the next run's start, for a run that is not the last one). One range scan of
 * the (scope, cursor) index per model, over the changed records only.
 *
 * @example
 * const saved = await savedSince(store.records, { integrationId: 'github', connectionId: 'alice' }, run.start_cursors);
 */
export async function savedSince(
  records: RecordStore,
  ids: Pick<SyncIds, 'integrationId' | 'connectionId'>,
  from: Record<string, string>,
  until: Record<string, string> = {},
): Promise<Record<string, ChangeSummary>> {
  const out: Record<string, ChangeSummary> = {};
  for (const [model, after] of Object.entries(from)) out[model] = await records.changes(scopeOf(ids, model), { after, until: until[model] });
  return out;
}

/** One model's changes not announced yet. */
export interface PendingAnnouncement {
  model: string;
  window: ChangeSummary;
}

/** Two adjacent windows as one (each record's latest change is in exactly one of them). */
function join(earlier: ChangeSummary, later: ChangeSummary): ChangeSummary {
  const since = [earlier.since, later.since].filter((t): t is string => t !== null).sort()[0] ?? null;
  const until = decodeCursor(later.until) >= decodeCursor(earlier.until) ? later.until : earlier.until;
  return { added: earlier.added + later.added, updated: earlier.updated + later.updated, deleted: earlier.deleted + later.deleted, since, until };
}

/**
 * The changes of each model not announced yet (models without any are left out). `modifiedAfter`
 * of the webhook is `window.since`: the earliest of them, inclusive, so a reader passing it as
 * `modified_after` gets all of them, records written in the same millisecond as announced ones
 * included. `run` (the finishing run's start cursors and what it saved) saves scanning the run's
 * changes twice: only the part before its start is read again.
 */
export async function pendingAnnouncements(
  store: Store,
  ids: SyncIds,
  models: string[],
  run: { startCursors: Record<string, string>; saved: Record<string, ChangeSummary> } = { startCursors: {}, saved: {} },
): Promise<PendingAnnouncement[]> {
  const announced = new Map((await store.syncs.listAnnouncements(ids.integrationId, ids.connectionId, ids.syncName)).map((row) => [row.model, row.cursor]));
  const pending: PendingAnnouncement[] = [];
  for (const model of new Set([...models, ...announced.keys()])) {
    const after = announced.get(model);
    const start = run.startCursors[model];
    const saved = run.saved[model];
    const scope = scopeOf(ids, model);
    const window =
      start !== undefined && saved !== undefined && (after === undefined || decodeCursor(after) <= decodeCursor(start))
        ? join(await store.records.changes(scope, { after, until: start }), saved)
        : await store.records.changes(scope, { after });
    if (window.added + window.updated + window.deleted > 0) pending.push({ model, window });
  }
  return pending;
}

/** Records that the backend now knows of `announcement`'s changes. */
export async function markAnnounced(store: Store, ids: SyncIds, announcement: PendingAnnouncement, at = new Date()): Promise<void> {
  const row: SyncAnnouncementRow = {
    integration_id: ids.integrationId,
    connection_id: ids.connectionId,
    sync_name: ids.syncName,
    model: announcement.model,
    cursor: announcement.window.until,
    announced_at: at.toISOString(),
  };
  await store.syncs.setAnnouncement(row);
}
