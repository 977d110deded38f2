/**
 * API keys in SQLite: a table because keys are looked up by hash, listed and revoked by id or
 * name. Only the sha256 of a secret is stored.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { ApiKeyRow, ApiKeyStore } from '../types.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';

/** Schema of the api keys concern (mirrored by Postgres). */
export const API_KEY_MIGRATIONS: MigrationList = {
  concern: 'api_keys',
  steps: [
    `CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      connections TEXT,
      tools TEXT,
      created_at TEXT NOT NULL,
      last_used_at TEXT,
      revoked_at TEXT
    )`,
  ],
};

type Raw = Record<string, string | null>;

function fromRaw(raw: Raw): ApiKeyRow {
  return {
    id: String(raw['id']),
    name: String(raw['name']),
    hash: String(raw['hash']),
    connections: raw['connections'] === null ? null : (JSON.parse(String(raw['connections'])) as string[]),
    tools: raw['tools'] === null ? null : (JSON.parse(String(raw['tools'])) as string[]),
    created_at: String(raw['created_at']),
    last_used_at: raw['last_used_at'] ?? null,
    revoked_at: raw['revoked_at'] ?? null,
  };
}

/** The SQLite ApiKeyStore. */
export function createSqliteApiKeyStore(db: DatabaseSync): ApiKeyStore {
  migrate(db, API_KEY_MIGRATIONS);
  return {
    async insert(row) {
      statement(db, 'INSERT INTO api_keys (id, name, hash, connections, tools, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        row.id,
        row.name,
        row.hash,
        row.connections === null ? null : JSON.stringify(row.connections),
        row.tools === null ? null : JSON.stringify(row.tools),
        row.created_at,
        row.last_used_at,
        row.revoked_at,
      );
    },
    async findByHash(hash) {
      const raw = statement(db, 'SELECT * FROM api_keys WHERE hash = ?').get(hash);
      return raw ? fromRaw(raw as Raw) : undefined;
    },
    async list() {
      return statement(db, 'SELECT * FROM api_keys ORDER BY created_at, id').all().map((raw) => fromRaw(raw as Raw));
    },
    async revoke(idOrName) {
      const at = new Date().toISOString();
      return Number(statement(db, 'UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL').run(at, idOrName, idOrName).changes) > 0;
    },
    async touch(id, at) {
      statement(db, 'UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
    },
  };
}
