/**
 * The SQLite AsyncActionStore: one row per asynchronous action, from the 202 until its result is
 * pruned. The queue reads due rows by `(status, run_at)`; an idempotency key is unique per key
 * scope, enforced by the database so two concurrent triggers with one key store one row.
 */
import type { DatabaseSync } from 'node:sqlite';
import { PatchbayError } from '../../errors.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';
import type { AsyncActionRow, AsyncActionStore } from '../types.ts';

const SCHEMA = `
CREATE TABLE async_actions (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  action_name TEXT NOT NULL,
  input TEXT,
  scope TEXT NOT NULL,
  idempotency_scope TEXT NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 0,
  deferrals INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  output TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE UNIQUE INDEX async_actions_idempotency ON async_actions (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX async_actions_due ON async_actions (status, run_at);
CREATE INDEX async_actions_finished ON async_actions (finished_at) WHERE finished_at IS NOT NULL;
`;

/** The async-actions schema steps for the shared migration runner (append, never edit). */
export const ASYNC_ACTIONS_MIGRATIONS: MigrationList = {
  concern: 'async_actions',
  steps: [
    SCHEMA,
    'CREATE INDEX async_actions_lane ON async_actions (status, integration_id, connection_id, run_at)',
    // Who runs a running row (only it records the outcome), and unfinished rows counted per key.
    `ALTER TABLE async_actions ADD COLUMN claimed_by TEXT;
     CREATE INDEX async_actions_key_status ON async_actions (idempotency_scope, status);`,
  ],
};

const COLUMNS = [
  'id', 'integration_id', 'connection_id', 'action_name', 'input', 'scope', 'idempotency_scope', 'idempotency_key', 'request_hash',
  'status', 'attempts', 'max_retries', 'deferrals', 'run_at', 'output', 'error', 'created_at', 'started_at', 'finished_at', 'claimed_by',
] as const;

/** JSON columns hold `null` for "none"; `undefined` (no input) is stored as SQL NULL. */
const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = (text: unknown): unknown => (typeof text === 'string' ? JSON.parse(text) : undefined);

function toRow(raw: Record<string, unknown>): AsyncActionRow {
  return {
    id: String(raw['id']),
    integration_id: String(raw['integration_id']),
    connection_id: String(raw['connection_id']),
    action_name: String(raw['action_name']),
    input: parse(raw['input']),
    scope: parse(raw['scope']) as AsyncActionRow['scope'],
    idempotency_scope: String(raw['idempotency_scope']),
    idempotency_key: (raw['idempotency_key'] as string | null) ?? null,
    request_hash: String(raw['request_hash']),
    status: raw['status'] as AsyncActionRow['status'],
    attempts: Number(raw['attempts']),
    max_retries: Number(raw['max_retries']),
    deferrals: Number(raw['deferrals']),
    run_at: Number(raw['run_at']),
    output: raw['output'] === null ? null : parse(raw['output']),
    error: (parse(raw['error']) as AsyncActionRow['error'] | undefined) ?? null,
    created_at: String(raw['created_at']),
    started_at: (raw['started_at'] as string | null) ?? null,
    finished_at: (raw['finished_at'] as string | null) ?? null,
    claimed_by: (raw['claimed_by'] as string | null) ?? null,
  };
}

function storeError(what: string, error: unknown): PatchbayError {
  return new PatchbayError('STORE_ERROR', `Could not ${what}: ${(error as Error).message}.`, { cause: error });
}

/** An AsyncActionStore over an open node:sqlite database; creates its table if needed. */
export function createSqliteAsyncActionStore(db: DatabaseSync): AsyncActionStore {
  migrate(db, ASYNC_ACTIONS_MIGRATIONS);
  const insert = db.prepare(
    `INSERT INTO async_actions (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
  );
  const byId = db.prepare('SELECT * FROM async_actions WHERE id = ?');
  const byKey = db.prepare('SELECT * FROM async_actions WHERE idempotency_scope = ? AND idempotency_key = ?');
  // The lane test compares `json_array(...)` with the caller's `laneKey` strings: both are minified JSON.
  const notSkipped = 'json_array(integration_id, connection_id) NOT IN (SELECT value FROM json_each(?))';
  const due = db.prepare(`SELECT * FROM async_actions WHERE status = 'queued' AND run_at <= ? AND ${notSkipped} ORDER BY run_at, rowid LIMIT ?`);
  const dueInLane = db.prepare(
    `SELECT * FROM async_actions WHERE status = 'queued' AND integration_id = ? AND connection_id = ? AND run_at <= ? ORDER BY run_at, rowid LIMIT ?`,
  );
  const claim = db.prepare(`UPDATE async_actions SET status = 'running', started_at = ?, claimed_by = ?, attempts = attempts + 1 WHERE id = ? AND status = 'queued'`);
  const owners = db.prepare(`SELECT DISTINCT COALESCE(claimed_by, '') AS owner FROM async_actions WHERE status = 'running'`);
  const crashedRows = db.prepare(
    `SELECT id, integration_id, connection_id, action_name FROM async_actions
     WHERE status = 'running' AND COALESCE(claimed_by, '') = ? AND attempts > max_retries + ?`,
  );
  const failCrashed = db.prepare(
    `UPDATE async_actions SET status = 'failed', error = ?, finished_at = ?, claimed_by = NULL, input = 'null'
     WHERE status = 'running' AND COALESCE(claimed_by, '') = ? AND attempts > max_retries + ?`,
  );
  const requeueOwner = db.prepare(`UPDATE async_actions SET status = 'queued', run_at = ?, claimed_by = NULL WHERE status = 'running' AND COALESCE(claimed_by, '') = ?`);
  const unfinished = db.prepare(`SELECT COUNT(*) AS n FROM async_actions WHERE status IN ('queued', 'running')`);
  const unfinishedOf = db.prepare(`SELECT COUNT(*) AS n FROM async_actions WHERE idempotency_scope = ? AND status IN ('queued', 'running')`);
  const prune = db.prepare('DELETE FROM async_actions WHERE finished_at IS NOT NULL AND finished_at < ?');

  return {
    async insert(row) {
      try {
        const values = COLUMNS.map((column) => {
          const value = row[column];
          if (column === 'input' || column === 'scope' || column === 'output' || column === 'error') return json(value);
          return value as string | number | null;
        });
        const result = insert.run(...values);
        if (Number(result.changes) === 1) return { row: structuredClone(row), created: true };
        const held = byKey.get(row.idempotency_scope, row.idempotency_key) as Record<string, unknown> | undefined;
        if (!held) throw new Error('the idempotency key was taken and released at once');
        return { row: toRow(held), created: false };
      } catch (error) {
        throw storeError(`queue the asynchronous action ${row.id}`, error);
      }
    },
    async get(id) {
      const raw = byId.get(id) as Record<string, unknown> | undefined;
      return raw ? toRow(raw) : undefined;
    },
    async due(now, limit, skipLanes) {
      return (due.all(now, JSON.stringify(skipLanes.map((lane) => JSON.parse(lane) as unknown)), limit) as Array<Record<string, unknown>>).map(toRow);
    },
    async dueInLane(integrationId, connectionId, now, limit) {
      return (dueInLane.all(integrationId, connectionId, now, limit) as Array<Record<string, unknown>>).map(toRow);
    },
    async findByIdempotencyKey(idempotencyScope, idempotencyKey) {
      const raw = byKey.get(idempotencyScope, idempotencyKey) as Record<string, unknown> | undefined;
      return raw ? toRow(raw) : undefined;
    },
    async claim(id, startedAt, owner) {
      return Number(claim.run(startedAt, owner, id).changes) === 1;
    },
    async update(id, owner, patch) {
      const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return true;
      const sql = `UPDATE async_actions SET ${entries.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ? AND status = 'running' AND claimed_by = ?`;
      const values = entries.map(([column, value]) => (column === 'output' || column === 'error' || column === 'input' ? json(value) : (value as string | number | null)));
      try {
        return Number(statement(db, sql).run(...values, id, owner).changes) === 1;
      } catch (error) {
        throw storeError(`record the outcome of the asynchronous action ${id}`, error);
      }
    },
    async runningOwners() {
      return (owners.all() as Array<{ owner: string }>).map((row) => row.owner);
    },
    async recoverOwner(owner, now, error, crashAllowance) {
      try {
        db.exec('BEGIN IMMEDIATE');
        const failed = (crashedRows.all(owner, crashAllowance) as Array<Record<string, unknown>>).map((raw) => ({
          id: String(raw['id']),
          integration_id: String(raw['integration_id']),
          connection_id: String(raw['connection_id']),
          action_name: String(raw['action_name']),
        }));
        failCrashed.run(JSON.stringify(error), new Date(now).toISOString(), owner, crashAllowance);
        const requeued = Number(requeueOwner.run(now, owner).changes);
        db.exec('COMMIT');
        return { requeued, failed };
      } catch (cause) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw storeError('put back the actions of a stopped queue', cause);
      }
    },
    async countUnfinished(idempotencyScope) {
      const row = (idempotencyScope === undefined ? unfinished.get() : unfinishedOf.get(idempotencyScope)) as { n: number | bigint };
      return Number(row.n);
    },
    async prune(before) {
      return Number(prune.run(before).changes);
    },
  };
}
