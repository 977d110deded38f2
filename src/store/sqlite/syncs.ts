/**
 * The SQLite SyncStore: sync runs (what `sync status` and the logs show), the scheduling state
 * of each (integration, connection, sync): paused, last run, next_run_at, and how far each
 * model's changes were announced to the backend.
 */
import type { DatabaseSync } from 'node:sqlite';
import { PatchbayError } from '../../errors.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';
import type { SyncAnnouncementRow, SyncRunRow, SyncStateRow, SyncStore } from '../types.ts';

/** The sync tables' DDL. Idempotent: the store runs it on open, a migration runner may too. */
export const SYNCS_SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_runs (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  sync_name TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  error TEXT,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER
);
CREATE INDEX IF NOT EXISTS sync_runs_by_sync ON sync_runs (integration_id, connection_id, sync_name, started_at);
CREATE INDEX IF NOT EXISTS sync_runs_by_status ON sync_runs (status);
CREATE TABLE IF NOT EXISTS sync_state (
  integration_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  sync_name TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  last_run_id TEXT,
  last_success_at TEXT,
  next_run_at TEXT,
  PRIMARY KEY (integration_id, connection_id, sync_name)
);
`;

/** Creates the sync tables when missing. */
export function migrateSyncs(db: DatabaseSync): void {
  migrate(db, SYNCS_MIGRATIONS);
}

/**
 * Step 2: each run's record cursors at its start (JSON, so a killed run's saves can be counted)
 * and the announced point per (integration, connection, sync, model).
 */
const ANNOUNCEMENTS_SCHEMA = `
ALTER TABLE sync_runs ADD COLUMN start_cursors TEXT;
CREATE TABLE IF NOT EXISTS sync_announcements (
  integration_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  sync_name TEXT NOT NULL,
  model TEXT NOT NULL,
  cursor TEXT NOT NULL,
  announced_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, connection_id, sync_name, model)
);
`;

/** The syncs schema steps for the shared migration runner (append, never edit). */
/** Step 3: a connection's own frequency, overriding the sync's. */
const FREQUENCY_SCHEMA = 'ALTER TABLE sync_state ADD COLUMN frequency TEXT';

export const SYNCS_MIGRATIONS: MigrationList = { concern: 'syncs', steps: [SYNCS_SCHEMA, ANNOUNCEMENTS_SCHEMA, FREQUENCY_SCHEMA] };

type RunRowRaw = Omit<SyncRunRow, 'added' | 'updated' | 'deleted' | 'duration_ms' | 'start_cursors'> & {
  added: number | bigint;
  updated: number | bigint;
  deleted: number | bigint;
  duration_ms: number | bigint | null;
  start_cursors: string | null;
};

function toRun(row: RunRowRaw): SyncRunRow {
  return {
    ...row,
    added: Number(row.added),
    updated: Number(row.updated),
    deleted: Number(row.deleted),
    duration_ms: row.duration_ms === null ? null : Number(row.duration_ms),
    start_cursors: row.start_cursors ? (JSON.parse(row.start_cursors) as Record<string, string>) : {},
  };
}

function toState(row: Record<string, unknown>): SyncStateRow {
  return {
    integration_id: String(row['integration_id']),
    connection_id: String(row['connection_id']),
    sync_name: String(row['sync_name']),
    paused: Number(row['paused']) === 1,
    last_run_id: (row['last_run_id'] as string | null) ?? null,
    last_success_at: (row['last_success_at'] as string | null) ?? null,
    next_run_at: (row['next_run_at'] as string | null) ?? null,
    frequency: (row['frequency'] as string | null) ?? null,
  };
}

/**
 * A SyncStore over an open node:sqlite database; creates its tables if needed.
 *
 * @example const syncs = createSqliteSyncStore(db); await syncs.listRuns({ syncName: 'issues', limit: 10 });
 */
export function createSqliteSyncStore(db: DatabaseSync): SyncStore & { getRun(id: string): Promise<SyncRunRow | undefined> } {
  migrateSyncs(db);
  const insertRun = db.prepare(
    `INSERT INTO sync_runs (id, integration_id, connection_id, sync_name, status, started_at, start_cursors) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE sync_runs SET status = ?, error = ?, added = ?, updated = ?, deleted = ?, duration_ms = ?, finished_at = ? WHERE id = ?`,
  );
  const getRun = db.prepare('SELECT * FROM sync_runs WHERE id = ?');
  const getState = db.prepare('SELECT * FROM sync_state WHERE integration_id = ? AND connection_id = ? AND sync_name = ?');
  const putState = db.prepare(
    `INSERT INTO sync_state (integration_id, connection_id, sync_name, paused, last_run_id, last_success_at, next_run_at, frequency)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (integration_id, connection_id, sync_name) DO UPDATE SET
       paused = excluded.paused, last_run_id = excluded.last_run_id,
       last_success_at = excluded.last_success_at, next_run_at = excluded.next_run_at`,
  );
  const listAnnounced = db.prepare(
    'SELECT integration_id, connection_id, sync_name, model, cursor, announced_at FROM sync_announcements WHERE integration_id = ? AND connection_id = ? AND sync_name = ? ORDER BY model',
  );
  const putAnnounced = db.prepare(
    `INSERT INTO sync_announcements (integration_id, connection_id, sync_name, model, cursor, announced_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (integration_id, connection_id, sync_name, model) DO UPDATE SET cursor = excluded.cursor, announced_at = excluded.announced_at`,
  );

  return {
    async startRun(run) {
      try {
        insertRun.run(run.id, run.integration_id, run.connection_id, run.sync_name, run.status, run.started_at, JSON.stringify(run.start_cursors ?? {}));
      } catch (error) {
        throw new PatchbayError('STORE_ERROR', `Could not record sync run ${run.id}: ${(error as Error).message}.`, { cause: error });
      }
    },
    async finishRun(id, patch) {
      const result = finish.run(patch.status, patch.error, patch.added, patch.updated, patch.deleted, patch.duration_ms, new Date().toISOString(), id);
      if (Number(result.changes) === 0) throw new PatchbayError('NOT_FOUND', `No sync run ${id}.`);
    },
    async getRun(id) {
      const row = getRun.get(id) as unknown as RunRowRaw | undefined;
      return row ? toRun(row) : undefined;
    },
    async listRuns(filter) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      const add = (column: string, value: string | undefined): void => {
        if (value === undefined) return;
        where.push(`${column} = ?`);
        params.push(value);
      };
      add('integration_id', filter.integrationId);
      add('connection_id', filter.connectionId);
      add('sync_name', filter.syncName);
      add('status', filter.status);
      params.push(filter.limit ?? 50);
      const sql = `SELECT * FROM sync_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`;
      return (db.prepare(sql).all(...params) as unknown as RunRowRaw[]).map(toRun);
    },
    async getState(integrationId, connectionId, syncName) {
      const row = getState.get(integrationId, connectionId, syncName) as Record<string, unknown> | undefined;
      return row ? toState(row) : undefined;
    },
    async setState(row) {
      putState.run(row.integration_id, row.connection_id, row.sync_name, row.paused ? 1 : 0, row.last_run_id, row.last_success_at, row.next_run_at, row.frequency ?? null);
    },
    async setFrequency(integrationId, connectionId, syncName, frequency) {
      const result = statement(db, 'UPDATE sync_state SET frequency = ? WHERE integration_id = ? AND connection_id = ? AND sync_name = ?').run(frequency, integrationId, connectionId, syncName);
      return Number(result.changes) === 1;
    },
    async listStates(filter = {}) {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.integrationId !== undefined) {
        where.push('integration_id = ?');
        params.push(filter.integrationId);
      }
      if (filter.syncName !== undefined) {
        where.push('sync_name = ?');
        params.push(filter.syncName);
      }
      const sql = `SELECT * FROM sync_state ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY integration_id, sync_name, connection_id`;
      return (db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(toState);
    },
    async listAnnouncements(integrationId, connectionId, syncName) {
      return (listAnnounced.all(integrationId, connectionId, syncName) as unknown as SyncAnnouncementRow[]).map((row) => ({ ...row }));
    },
    async setAnnouncement(row) {
      putAnnounced.run(row.integration_id, row.connection_id, row.sync_name, row.model, row.cursor, row.announced_at);
    },
  };
}
