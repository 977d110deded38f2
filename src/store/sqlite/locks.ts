/**
 * Leases in SQLite. Acquire is one atomic statement — INSERT … ON CONFLICT DO UPDATE … WHERE the
 * lease expired or is ours — so two processes sharing the file can never both win.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { LockStore } from '../types.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';

/** Schema of the locks concern (mirrored by Postgres). */
export const LOCK_MIGRATIONS: MigrationList = {
  concern: 'locks',
  steps: [
    `CREATE TABLE locks (
      key TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    )`,
  ],
};

/**
 * The SQLite LockStore.
 *
 * @example
 * if (await locks.tryAcquire('sync:github:alice:issues', runId, 60_000)) { ... }
 */
export function createSqliteLockStore(db: DatabaseSync): LockStore {
  migrate(db, LOCK_MIGRATIONS);
  return {
    async tryAcquire(key, owner, ttlMs) {
      const now = Date.now();
      const result = statement(
        db,
        `INSERT INTO locks (key, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE locks.expires_at <= ? OR locks.owner = excluded.owner`,
      ).run(key, owner, now + ttlMs, now);
      return Number(result.changes) > 0;
    },
    async release(key, owner) {
      return Number(statement(db, 'DELETE FROM locks WHERE key = ? AND owner = ? AND expires_at > ?').run(key, owner, Date.now()).changes) > 0;
    },
    async inspect(key) {
      const row = statement(db, 'SELECT owner, expires_at FROM locks WHERE key = ?').get(key) as { owner: string; expires_at: number | bigint } | undefined;
      return row ? { owner: row.owner, expiresAt: Number(row.expires_at) } : undefined;
    },
  };
}
