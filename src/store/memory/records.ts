/**
 * The in-memory RecordStore (tests, dryrun). Same semantics as the SQLite one — both run the
 * contract in test/records/record-store.contract.ts: content-hash change detection, soft deletes,
 * one monotonic cursor per scope, full-refresh delete tracking by "seen generation".
 */
import { PatchbayError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../records/cursor.ts';
import { deepMerge } from '../../records/merge.ts';
import { lastPerId, prepareRecord } from '../../records/hash.ts';
import type { ChangeSummary, RecordQuery, RecordScope, RecordStore, SaveSummary, StoredRecord } from '../types.ts';
import { normalizeQuery } from '../../records/semantics.ts';

interface Entry {
  record: StoredRecord;
  cursor: number;
  seenGen: number;
}

interface ScopeState {
  scope: RecordScope;
  entries: Map<string, Entry>;
  lastCursor: number;
  trackGen: number;
  trackRun: string | null;
}

/** Live records the open tracking session has not seen. */
const unseenOf = (s: ScopeState): Entry[] => [...s.entries.values()].filter((e) => e.record.deleted_at === null && e.seenGen !== s.trackGen);
const scopeKey = (s: RecordScope): string => JSON.stringify([s.integrationId, s.connectionId, s.model]);
const empty = (): SaveSummary => ({ added: 0, updated: 0, deleted: 0, unchanged: 0 });

/**
 * A RecordStore held in a Map; nothing survives the process.
 *
 * @example const records = createMemoryRecordStore(); await records.save(scope, [{ id: '1', data: { id: '1' } }]);
 */
export function createMemoryRecordStore(): RecordStore {
  const scopes = new Map<string, ScopeState>();

  function state(scope: RecordScope): ScopeState {
    const key = scopeKey(scope);
    let s = scopes.get(key);
    if (!s) {
      s = { scope: { ...scope }, entries: new Map(), lastCursor: 0, trackGen: 0, trackRun: null };
      scopes.set(key, s);
    }
    return s;
  }

  function write(s: ScopeState, id: string, json: string, hash: string, previous: Entry | undefined, now: string, action: 'ADDED' | 'UPDATED'): void {
    const cursor = ++s.lastCursor;
    const record: StoredRecord = {
      id,
      data: JSON.parse(json) as Record<string, unknown>,
      hash,
      first_seen_at: previous?.record.first_seen_at ?? now,
      last_modified_at: now,
      last_action: action,
      deleted_at: null,
      cursor: encodeCursor(cursor),
    };
    s.entries.set(id, { record, cursor, seenGen: s.trackRun !== null ? s.trackGen : previous?.seenGen ?? 0 });
  }

  function softDelete(s: ScopeState, entry: Entry, now: string): void {
    const cursor = ++s.lastCursor;
    entry.cursor = cursor;
    entry.record = { ...entry.record, last_action: 'DELETED', deleted_at: now, last_modified_at: now, cursor: encodeCursor(cursor) };
  }

  return {
    async save(scope, records) {
      const s = state(scope);
      const now = new Date().toISOString();
      const summary = empty();
      for (const { id, data } of lastPerId(records)) {
        const prepared = prepareRecord(id, data);
        const previous = s.entries.get(id);
        if (previous && previous.record.deleted_at === null && previous.record.hash === prepared.hash) {
          summary.unchanged++;
          if (s.trackRun !== null) previous.seenGen = s.trackGen;
          continue;
        }
        const revived = !previous || previous.record.deleted_at !== null;
        write(s, id, prepared.json, prepared.hash, previous, now, revived ? 'ADDED' : 'UPDATED');
        if (revived) summary.added++;
        else summary.updated++;
      }
      return summary;
    },

    async update(scope, records) {
      const s = state(scope);
      const now = new Date().toISOString();
      const summary = empty();
      for (const { id, data } of records) {
        const previous = s.entries.get(id);
        if (!previous || previous.record.deleted_at !== null) continue;
        const merged = deepMerge(previous.record.data, data);
        const prepared = prepareRecord(id, merged);
        if (prepared.hash === previous.record.hash) {
          summary.unchanged++;
          if (s.trackRun !== null) previous.seenGen = s.trackGen;
          continue;
        }
        write(s, id, prepared.json, prepared.hash, previous, now, 'UPDATED');
        summary.updated++;
      }
      return summary;
    },

    async delete(scope, ids) {
      const s = state(scope);
      const now = new Date().toISOString();
      const summary = empty();
      for (const id of ids) {
        const entry = s.entries.get(id);
        if (!entry || entry.record.deleted_at !== null) continue;
        softDelete(s, entry, now);
        summary.deleted++;
      }
      return summary;
    },

    async getByIds(scope, ids) {
      const s = scopes.get(scopeKey(scope));
      const out = new Map<string, StoredRecord>();
      if (!s) return out;
      for (const id of ids) {
        const entry = s.entries.get(id);
        if (entry && entry.record.deleted_at === null) out.set(id, structuredClone(entry.record));
      }
      return out;
    },

    async query(scope, query: RecordQuery) {
      const q = normalizeQuery(query);
      const s = scopes.get(scopeKey(scope));
      if (!s) return { records: [], nextCursor: null };
      const after = q.cursor === undefined ? 0 : decodeCursor(q.cursor);
      const ids = q.ids ? new Set(q.ids) : undefined;
      const matches = [...s.entries.values()]
        .filter((e) => e.cursor > after)
        .filter((e) => !ids || ids.has(e.record.id))
        .filter((e) => q.modifiedAfter === undefined || e.record.last_modified_at >= q.modifiedAfter)
        .filter((e) => !q.actions || q.actions.has(e.record.last_action))
        .sort((a, b) => a.cursor - b.cursor);
      const page = matches.slice(0, q.limit).map((e) => structuredClone(e.record));
      const nextCursor = matches.length > q.limit ? page[page.length - 1]!.cursor : null;
      return { records: page, nextCursor };
    },

    async markSeenStart(scope, runId, options = {}) {
      const s = state(scope);
      if (s.trackRun === runId) return;
      if (s.trackRun === null && options.ifOpen) return;
      if (s.trackRun !== null && options.resume) {
        s.trackRun = runId;
        return;
      }
      s.trackGen++;
      s.trackRun = runId;
    },

    async deleteUnseen(scope, runId) {
      const s = scopes.get(scopeKey(scope));
      if (!s || s.trackRun !== runId) return 0;
      const now = new Date().toISOString();
      let deleted = 0;
      for (const entry of unseenOf(s).sort((a, b) => a.cursor - b.cursor)) {
        softDelete(s, entry, now);
        deleted++;
      }
      s.trackRun = null;
      return deleted;
    },

    async countUnseen(scope, runId) {
      const s = scopes.get(scopeKey(scope));
      return !s || s.trackRun !== runId ? 0 : unseenOf(s).length;
    },

    async prune(scope, untilCursor, limit) {
      const until = decodeCursor(untilCursor);
      const s = scopes.get(scopeKey(scope));
      if (!s) return { count: 0, hasMore: false };
      const candidates = [...s.entries.values()].filter((e) => e.cursor <= until && e.record.hash !== '').sort((a, b) => a.cursor - b.cursor);
      for (const entry of candidates.slice(0, limit)) entry.record = { ...entry.record, data: { id: entry.record.id }, hash: '' };
      return { count: Math.min(limit, candidates.length), hasMore: candidates.length > limit };
    },

    async count(scope, options = {}) {
      const s = scopes.get(scopeKey(scope));
      if (!s) return 0;
      let n = 0;
      for (const e of s.entries.values()) if (options.includeDeleted || e.record.deleted_at === null) n++;
      return n;
    },

    async mark(scope) {
      return encodeCursor(scopes.get(scopeKey(scope))?.lastCursor ?? 0);
    },

    async changes(scope, range = {}) {
      const after = range.after === undefined ? 0 : decodeCursor(range.after);
      const until = range.until === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(range.until);
      const out: ChangeSummary = { added: 0, updated: 0, deleted: 0, since: null, until: encodeCursor(after) };
      let top = after;
      for (const entry of scopes.get(scopeKey(scope))?.entries.values() ?? []) {
        if (entry.cursor <= after || entry.cursor > until) continue;
        const action = entry.record.last_action;
        if (action === 'ADDED') out.added++;
        else if (action === 'UPDATED') out.updated++;
        else out.deleted++;
        if (out.since === null || entry.record.last_modified_at < out.since) out.since = entry.record.last_modified_at;
        top = Math.max(top, entry.cursor);
      }
      out.until = encodeCursor(top);
      return out;
    },

    async purge(filter) {
      if (!filter.integrationId) throw new PatchbayError('INVALID_ARGUMENT', 'purge needs an integrationId.');
      let removed = 0;
      for (const s of scopes.values()) {
        if (s.scope.integrationId !== filter.integrationId) continue;
        if (filter.connectionId !== undefined && s.scope.connectionId !== filter.connectionId) continue;
        if (filter.model !== undefined && s.scope.model !== filter.model) continue;
        removed += s.entries.size;
        s.entries.clear();
        s.trackRun = null;
      }
      return removed;
    },
  };
}
