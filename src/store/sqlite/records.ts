/**
 * The SQLite RecordStore (node:sqlite). Built for bulk syncs: one IMMEDIATE transaction per
 * batch, prepared statements, one lookup per batch (ids passed as a JSON array), content-hash
 * compare so an unchanged record costs a hash and no write. Scopes (integration, connection,
 * model) live in their own small table; records carry the scope's integer id, which keeps rows
 * and indexes narrow. The scope row also holds the scope's last cursor and the delete-tracking
 * session, so cursors stay monotonic across processes sharing the file.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { PatchbayError } from '../../errors.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';
import { decodeCursor, encodeCursor } from '../../records/cursor.ts';
import { hashText, lastPerId, prepareRecord, serializeRecord } from '../../records/hash.ts';
import { deepMerge } from '../../records/merge.ts';
import { normalizeQuery } from '../../records/semantics.ts';
import type { ChangeSummary, RecordScope, RecordStore, SaveSummary, StoredRecord } from '../types.ts';

interface ExistingRow {
  id: string;
  hash: string;
  deleted_at: string | null;
  first_seen_at: string;
  data?: string;
}

interface RecordRow {
  id: string;
  data: string;
  hash: string;
  first_seen_at: string;
  last_modified_at: string;
  last_action: StoredRecord['last_action'];
  deleted_at: string | null;
  cursor: number;
}

interface ScopeRow {
  last_cursor: number;
  track_gen: number;
  track_run: string | null;
}

/** The records DDL. Idempotent (`IF NOT EXISTS`): the store runs it on open, a migration runner may too. */
export const RECORDS_SCHEMA = `
CREATE TABLE IF NOT EXISTS record_scopes (
  scope_id INTEGER PRIMARY KEY,
  integration_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  model TEXT NOT NULL,
  last_cursor INTEGER NOT NULL DEFAULT 0,
  track_gen INTEGER NOT NULL DEFAULT 0,
  track_run TEXT,
  UNIQUE (integration_id, connection_id, model)
);
CREATE TABLE IF NOT EXISTS records (
  scope_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  hash TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_modified_at TEXT NOT NULL,
  last_action TEXT NOT NULL,
  deleted_at TEXT,
  cursor INTEGER NOT NULL,
  seen_gen INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS records_scope_id ON records (scope_id, id);
CREATE INDEX IF NOT EXISTS records_scope_cursor ON records (scope_id, cursor);
`;

/**
 * Creates the records tables when missing. `record_scopes` holds one row per (integration,
 * connection, model) with its last cursor and delete-tracking session (`track_gen` grows per
 * session, `track_run` is the open session's run id or NULL); a record's `seen_gen` is the
 * generation that last saw it.
 */
export function migrateRecords(db: DatabaseSync): void {
  migrate(db, RECORDS_MIGRATIONS);
}

/** The records schema steps for the shared migration runner (append, never edit). */
export const RECORDS_MIGRATIONS: MigrationList = { concern: 'records', steps: [RECORDS_SCHEMA] };

const empty = (): SaveSummary => ({ added: 0, updated: 0, deleted: 0, unchanged: 0 });

function toStored(row: RecordRow): StoredRecord {
  return {
    id: row.id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    hash: row.hash,
    first_seen_at: row.first_seen_at,
    last_modified_at: row.last_modified_at,
    last_action: row.last_action,
    deleted_at: row.deleted_at,
    cursor: encodeCursor(Number(row.cursor)),
  };
}

/**
 * A RecordStore over an open node:sqlite database; creates its tables if needed.
 *
 * @example const records = createSqliteRecordStore(new DatabaseSync(file));
 */
export function createSqliteRecordStore(db: DatabaseSync): RecordStore {
  migrateRecords(db);
  const stmt = (sql: string): StatementSync => db.prepare(sql);
  const s = {
    scopeInsert: stmt('INSERT OR IGNORE INTO record_scopes (integration_id, connection_id, model) VALUES (?, ?, ?)'),
    scopeFind: stmt('SELECT scope_id FROM record_scopes WHERE integration_id = ? AND connection_id = ? AND model = ?'),
    scopeRead: stmt('SELECT last_cursor, track_gen, track_run FROM record_scopes WHERE scope_id = ?'),
    scopeCursor: stmt('UPDATE record_scopes SET last_cursor = ? WHERE scope_id = ?'),
    scopeTrack: stmt('UPDATE record_scopes SET track_gen = ?, track_run = ? WHERE scope_id = ?'),
    lookup: stmt('SELECT id, hash, deleted_at, first_seen_at FROM records WHERE scope_id = ? AND id IN (SELECT value FROM json_each(?))'),
    lookupData: stmt('SELECT id, hash, deleted_at, first_seen_at, data FROM records WHERE scope_id = ? AND id IN (SELECT value FROM json_each(?))'),
    insert: stmt(
      `INSERT INTO records (scope_id, id, data, hash, first_seen_at, last_modified_at, last_action, deleted_at, cursor, seen_gen)
       VALUES (?, ?, ?, ?, ?, ?, 'ADDED', NULL, ?, ?)`,
    ),
    change: stmt(
      `UPDATE records SET data = ?, hash = ?, last_modified_at = ?, last_action = ?, deleted_at = NULL, cursor = ?, seen_gen = ?
       WHERE scope_id = ? AND id = ?`,
    ),
    seen: stmt('UPDATE records SET seen_gen = ? WHERE scope_id = ? AND id = ?'),
    softDelete: stmt(
      `UPDATE records SET last_action = 'DELETED', deleted_at = ?, last_modified_at = ?, cursor = ? WHERE scope_id = ? AND id = ?`,
    ),
    unseen: stmt('SELECT id FROM records WHERE scope_id = ? AND deleted_at IS NULL AND seen_gen <> ? ORDER BY cursor'),
    countUnseen: stmt('SELECT count(*) AS n FROM records WHERE scope_id = ? AND deleted_at IS NULL AND seen_gen <> ?'),
    byIds: stmt(
      `SELECT id, data, hash, first_seen_at, last_modified_at, last_action, deleted_at, cursor FROM records
       WHERE scope_id = ? AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?))`,
    ),
    countLive: stmt('SELECT count(*) AS n FROM records WHERE scope_id = ? AND deleted_at IS NULL'),
    countAll: stmt('SELECT count(*) AS n FROM records WHERE scope_id = ?'),
    lastCursor: stmt('SELECT last_cursor FROM record_scopes WHERE scope_id = ?'),
    // One range scan of the (scope_id, cursor) index: counts, earliest change, newest cursor.
    changes: stmt(
      `SELECT last_action, count(*) AS n, min(last_modified_at) AS since, max(cursor) AS top FROM records
       WHERE scope_id = ? AND cursor > ? AND cursor <= ? GROUP BY last_action`,
    ),
  };
  const scopeIds = new Map<string, number>();

  function scopeId(scope: RecordScope, create: boolean): number | undefined {
    const key = JSON.stringify([scope.integrationId, scope.connectionId, scope.model]);
    const cached = scopeIds.get(key);
    if (cached !== undefined) return cached;
    if (create) s.scopeInsert.run(scope.integrationId, scope.connectionId, scope.model);
    const row = s.scopeFind.get(scope.integrationId, scope.connectionId, scope.model) as { scope_id: number } | undefined;
    if (!row) return undefined;
    scopeIds.set(key, Number(row.scope_id));
    return Number(row.scope_id);
  }

  /** Runs `fn` in one IMMEDIATE transaction with the scope's row read and its cursor written back. */
  function inScope<T>(scope: RecordScope, fn: (id: number, state: ScopeRow, nextCursor: () => number) => T): T {
    const id = scopeId(scope, true)!;
    try {
      db.exec('BEGIN IMMEDIATE');
      const state = s.scopeRead.get(id) as unknown as ScopeRow;
      let cursor = Number(state.last_cursor);
      const start = cursor;
      const result = fn(id, state, () => ++cursor);
      if (cursor !== start) s.scopeCursor.run(cursor, id);
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error instanceof PatchbayError ? error : new PatchbayError('STORE_ERROR', `Saving records failed: ${(error as Error).message}. Check that the database is writable.`, { cause: error });
    }
  }

  function existing(scopeIdValue: number, ids: string[], withData: boolean): Map<string, ExistingRow> {
    const rows = (withData ? s.lookupData : s.lookup).all(scopeIdValue, JSON.stringify(ids)) as unknown as ExistingRow[];
    const map = new Map<string, ExistingRow>();
    for (const row of rows) map.set(row.id, row);
    return map;
  }

  return {
    async save(scope, input) {
      if (input.length === 0) return empty();
      const records = lastPerId(input);
      return inScope(scope, (id, state, next) => {
        const summary = empty();
        const tracking = state.track_run !== null;
        const gen = tracking ? Number(state.track_gen) : 0;
        const known = existing(id, records.map((r) => r.id), true);
        const now = new Date().toISOString();
        for (const record of records) {
          const json = serializeRecord(record.id, record.data);
          const previous = known.get(record.id);
          // Same canonical text means same content: no hash needed, nothing written.
          if (previous && previous.deleted_at === null && previous.data === json) {
            summary.unchanged++;
            if (tracking) s.seen.run(gen, id, record.id);
            continue;
          }
          const hash = hashText(json);
          if (!previous) {
            s.insert.run(id, record.id, json, hash, now, now, next(), gen);
            summary.added++;
          } else {
            const revived = previous.deleted_at !== null;
            s.change.run(json, hash, now, revived ? 'ADDED' : 'UPDATED', next(), gen, id, record.id);
            if (revived) summary.added++;
            else summary.updated++;
          }
          known.set(record.id, { id: record.id, hash, deleted_at: null, first_seen_at: previous?.first_seen_at ?? now, data: json });
        }
        return summary;
      });
    },

    async update(scope, records) {
      if (records.length === 0) return empty();
      return inScope(scope, (id, state, next) => {
        const summary = empty();
        const tracking = state.track_run !== null;
        const gen = tracking ? Number(state.track_gen) : 0;
        const known = existing(id, records.map((r) => r.id), true);
        const now = new Date().toISOString();
        for (const record of records) {
          const previous = known.get(record.id);
          if (!previous || previous.deleted_at !== null) continue;
          const merged = deepMerge(JSON.parse(previous.data!) as Record<string, unknown>, record.data);
          const prepared = prepareRecord(record.id, merged);
          if (prepared.hash === previous.hash) {
            summary.unchanged++;
            if (tracking) s.seen.run(gen, id, record.id);
            continue;
          }
          s.change.run(prepared.json, prepared.hash, now, 'UPDATED', next(), gen, id, record.id);
          summary.updated++;
          known.set(record.id, { ...previous, hash: prepared.hash, data: prepared.json });
        }
        return summary;
      });
    },

    async delete(scope, ids) {
      if (ids.length === 0) return empty();
      return inScope(scope, (id, _state, next) => {
        const summary = empty();
        const known = existing(id, ids, false);
        const now = new Date().toISOString();
        for (const recordId of ids) {
          const previous = known.get(recordId);
          if (!previous || previous.deleted_at !== null) continue;
          s.softDelete.run(now, now, next(), id, recordId);
          previous.deleted_at = now;
          summary.deleted++;
        }
        return summary;
      });
    },

    async getByIds(scope, ids) {
      const out = new Map<string, StoredRecord>();
      const id = scopeId(scope, false);
      if (id === undefined || ids.length === 0) return out;
      for (const row of s.byIds.all(id, JSON.stringify(ids)) as unknown as RecordRow[]) out.set(row.id, toStored(row));
      return out;
    },

    async query(scope, query) {
      const q = normalizeQuery(query);
      const id = scopeId(scope, false);
      if (id === undefined) return { records: [], nextCursor: null };
      const where = ['scope_id = ?', 'cursor > ?'];
      const params: Array<string | number> = [id, q.cursor === undefined ? 0 : decodeCursor(q.cursor)];
      if (q.modifiedAfter !== undefined) {
        where.push('last_modified_at >= ?');
        params.push(q.modifiedAfter);
      }
      if (q.actions) {
        where.push(`last_action IN (${[...q.actions].map(() => '?').join(', ')})`);
        params.push(...q.actions);
      }
      if (q.ids) {
        where.push('id IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(q.ids));
      }
      params.push(q.limit + 1);
      const rows = db
        .prepare(
          `SELECT id, data, hash, first_seen_at, last_modified_at, last_action, deleted_at, cursor FROM records
           WHERE ${where.join(' AND ')} ORDER BY cursor LIMIT ?`,
        )
        .all(...params) as unknown as RecordRow[];
      const page = rows.slice(0, q.limit).map(toStored);
      return { records: page, nextCursor: rows.length > q.limit ? page[page.length - 1]!.cursor : null };
    },

    async markSeenStart(scope, runId, options = {}) {
      inScope(scope, (id, state) => {
        if (state.track_run === runId) return;
        if (state.track_run === null && options.ifOpen) return;
        if (state.track_run !== null && options.resume) s.scopeTrack.run(Number(state.track_gen), runId, id);
        else s.scopeTrack.run(Number(state.track_gen) + 1, runId, id);
      });
    },

    async deleteUnseen(scope, runId) {
      if (scopeId(scope, false) === undefined) return 0;
      return inScope(scope, (id, state, next) => {
        if (state.track_run !== runId) return 0;
        const now = new Date().toISOString();
        const unseen = s.unseen.all(id, Number(state.track_gen)) as unknown as Array<{ id: string }>;
        for (const row of unseen) s.softDelete.run(now, now, next(), id, row.id);
        s.scopeTrack.run(Number(state.track_gen), null, id);
        return unseen.length;
      });
    },

    async countUnseen(scope, runId) {
      const id = scopeId(scope, false);
      if (id === undefined) return 0;
      const state = s.scopeRead.get(id) as unknown as ScopeRow;
      if (state.track_run !== runId) return 0;
      return Number((s.countUnseen.get(id, Number(state.track_gen)) as { n: number }).n);
    },

    async prune(scope, untilCursor, limit) {
      const until = decodeCursor(untilCursor);
      const id = scopeId(scope, false);
      if (id === undefined) return { count: 0, hasMore: false };
      try {
        const result = statement(db, `UPDATE records SET data = json_object('id', id), hash = '' WHERE rowid IN (
          SELECT rowid FROM records WHERE scope_id = ? AND cursor <= ? AND hash != '' ORDER BY cursor LIMIT ?)`).run(id, until, limit);
        const left = statement(db, `SELECT 1 AS one FROM records WHERE scope_id = ? AND cursor <= ? AND hash != '' LIMIT 1`).get(id, until);
        return { count: Number(result.changes), hasMore: left !== undefined };
      } catch (error) {
        throw new PatchbayError('STORE_ERROR', `Could not prune records of ${scope.integrationId}/${scope.connectionId}/${scope.model}: ${(error as Error).message}.`, { cause: error });
      }
    },

    async count(scope, options = {}) {
      const id = scopeId(scope, false);
      if (id === undefined) return 0;
      const row = (options.includeDeleted ? s.countAll : s.countLive).get(id) as { n: number };
      return Number(row.n);
    },

    async mark(scope) {
      const id = scopeId(scope, false);
      if (id === undefined) return encodeCursor(0);
      return encodeCursor(Number((s.lastCursor.get(id) as { last_cursor: number | bigint }).last_cursor));
    },

    async changes(scope, range = {}) {
      const after = range.after === undefined ? 0 : decodeCursor(range.after);
      const until = range.until === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(range.until);
      const out: ChangeSummary = { added: 0, updated: 0, deleted: 0, since: null, until: encodeCursor(after) };
      const id = scopeId(scope, false);
      if (id === undefined) return out;
      let top = after;
      const rows = s.changes.all(id, after, until) as Array<{ last_action: StoredRecord['last_action']; n: number | bigint; since: string; top: number | bigint }>;
      for (const row of rows) {
        const n = Number(row.n);
        if (row.last_action === 'ADDED') out.added += n;
        else if (row.last_action === 'UPDATED') out.updated += n;
        else out.deleted += n;
        if (out.since === null || row.since < out.since) out.since = row.since;
        top = Math.max(top, Number(row.top));
      }
      out.until = encodeCursor(top);
      return out;
    },

    async purge(filter) {
      if (!filter.integrationId) throw new PatchbayError('INVALID_ARGUMENT', 'purge needs an integrationId.');
      const where = ['integration_id = ?'];
      const params: string[] = [filter.integrationId];
      if (filter.connectionId !== undefined) {
        where.push('connection_id = ?');
        params.push(filter.connectionId);
      }
      if (filter.model !== undefined) {
        where.push('model = ?');
        params.push(filter.model);
      }
      const scopeFilter = `SELECT scope_id FROM record_scopes WHERE ${where.join(' AND ')}`;
      try {
        db.exec('BEGIN IMMEDIATE');
        const result = db.prepare(`DELETE FROM records WHERE scope_id IN (${scopeFilter})`).run(...params);
        db.prepare(`UPDATE record_scopes SET track_run = NULL WHERE scope_id IN (${scopeFilter})`).run(...params);
        db.exec('COMMIT');
        return Number(result.changes);
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw new PatchbayError('STORE_ERROR', `Purging records failed: ${(error as Error).message}.`, { cause: error });
      }
    },
  };
}
