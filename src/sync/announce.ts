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

/** One model's changes since its last announced point. */
export interface Announcement {
  model: string;
  window: ChangeSummary;
  /** False when no point was stored for the model yet (see unannouncedChanges). */
  known: boolean;
}

/** Two adjacent windows as one (each record's latest change is in exactly one of them). */
function join(earlier: ChangeSummary, later: ChangeSummary): ChangeSummary {
  const since = [earlier.since, later.since].filter((t): t is string => t !== null).sort()[0] ?? null;
  const until = decodeCursor(later.until) >= decodeCursor(earlier.until) ? later.until : earlier.until;
  return { added: earlier.added + later.added, updated: earlier.updated + later.updated, deleted: earlier.deleted + later.deleted, since, until };
}

/**
 * Where announcing starts for models with no stored point: from the beginning when the sync never
 * succeeded; otherwise (a model new to the sync, or a database from before announcements were
 * kept, whose last success was announced by the run itself) from the start cursor of the first
 * run after the last successful one.
 */
async function firstUnannounced(store: Store, ids: SyncIds, models: string[], runId: string | undefined): Promise<Map<string, string | undefined>> {
  const runs = await store.syncs.listRuns({ integrationId: ids.integrationId, connectionId: ids.connectionId, syncName: ids.syncName, limit: 1000 });
  const since = runs.findIndex((r) => r.status === 'success' && r.id !== runId);
  const after = new Map<string, string | undefined>();
  for (const model of models) {
    if (since === -1) {
      after.set(model, undefined);
      continue;
    }
    // Newest first: the last mark seen walking back to the success is the earliest run's.
    let mark: string | undefined;
    for (const run of runs.slice(0, since)) mark = run.start_cursors[model] ?? mark;
    after.set(model, mark);
  }
  return after;
}

/**
 * Each model's changes since its last announced point, empty windows included. A success webhook
 * carries `window.since` as `modifiedAfter`: the earliest of those changes, inclusive, so a reader
 * passing it as `modified_after` gets all of them, records written in the same millisecond as
 * announced ones included. `run` (the finishing run: its id, start cursors and what it saved)
 * saves scanning the run's changes twice: only the part before its start is read again.
 */
export async function unannouncedChanges(
  store: Store,
  ids: SyncIds,
  models: string[],
  run: { id?: string; startCursors: Record<string, string>; saved: Record<string, ChangeSummary> } = { startCursors: {}, saved: {} },
): Promise<Announcement[]> {
  const stored = new Map((await store.syncs.listAnnouncements(ids.integrationId, ids.connectionId, ids.syncName)).map((row) => [row.model, row.cursor]));
  const all = [...new Set([...models, ...stored.keys()])];
  const unknown = all.filter((model) => !stored.has(model));
  const fallback = unknown.length > 0 ? await firstUnannounced(store, ids, unknown, run.id) : new Map<string, string | undefined>();
  const out: Announcement[] = [];
  for (const model of all) {
    const known = stored.has(model);
    const after = known ? stored.get(model) : fallback.get(model);
    const start = run.startCursors[model];
    const saved = run.saved[model];
    const scope = scopeOf(ids, model);
    const window =
      start !== undefined && saved !== undefined && (after === undefined || decodeCursor(after) <= decodeCursor(start))
        ? join(await store.records.changes(scope, { after, until: start }), saved)
        : await store.records.changes(scope, { after });
    out.push({ model, window, known });
  }
  return out;
}

/** True when a window holds no change. */
export const isEmpty = (window: ChangeSummary): boolean => window.added + window.updated + window.deleted === 0;

/** Records that the backend now knows of `announcement`'s changes. */
export async function markAnnounced(store: Store, ids: SyncIds, announcement: Announcement, at = new Date()): Promise<void> {
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
