/**
 * The key-value concern in SQLite: Keyv in front, a small Keyv storage adapter on node:sqlite
 * behind (@keyv/sqlite uses another driver; this one shares our database file and its WAL).
 * Keyv brings TTL handling, serialization and namespacing; the table adds an `expires_at` column
 * so expired rows are swept instead of piling up.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Keyv, KeyvBridgeAdapter, type KeyvBridgeStore } from 'keyv';
import type { KeyValueStore } from '../types.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';
import { keyValueStoreOver } from '../memory/kv.ts';

/** Schema of the key-value concern (mirrored by Postgres). */
export const KV_MIGRATIONS: MigrationList = {
  concern: 'kv',
  steps: [
    `CREATE TABLE kv (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      expires_at INTEGER
    )`,
    'CREATE INDEX kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL',
  ],
};

/**
 * A Keyv storage (bridge shape: get/set(ttl)/delete/clear) over the `kv` table. Values arrive
 * already serialized by Keyv; expiry is enforced on read as well as by Keyv itself.
 */
export function createSqliteKeyvStorage(db: DatabaseSync): KeyvBridgeStore {
  migrate(db, KV_MIGRATIONS);
  let writes = 0;
  return {
    async get(key) {
      const row = statement(db, 'SELECT value, expires_at FROM kv WHERE key = ?').get(key) as { value: string; expires_at: number | null } | undefined;
      if (!row) return undefined;
      if (row.expires_at !== null && row.expires_at <= Date.now()) {
        statement(db, 'DELETE FROM kv WHERE key = ? AND expires_at <= ?').run(key, Date.now());
        return undefined;
      }
      return row.value;
    },
    async set(key, value, ttl) {
      const expires = typeof ttl === 'number' && ttl > 0 ? Date.now() + ttl : null;
      statement(db, 'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at').run(
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
        expires,
      );
      if (++writes % 500 === 0) statement(db, 'DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?').run(Date.now());
      return true;
    },
    async delete(key) {
      return Number(statement(db, 'DELETE FROM kv WHERE key = ?').run(key).changes) > 0;
    },
    async clear() {
      statement(db, 'DELETE FROM kv').run();
    },
  };
}

/**
 * The SQLite KeyValueStore: Keyv over {@link createSqliteKeyvStorage}.
 *
 * @example
 * await createSqliteKeyValueStore(db).set('oauth-state:abc', { verifier }, 600_000);
 */
export function createSqliteKeyValueStore(db: DatabaseSync): KeyValueStore {
  return keyValueStoreOver(new Keyv({ store: new KeyvBridgeAdapter(createSqliteKeyvStorage(db)) }));
}
