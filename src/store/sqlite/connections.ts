/**
 * Connections in SQLite: one row per (integration, connection), credentials sealed, JSON fields as
 * text. A table (not the key-value store) because connections are listed, filtered by integration
 * and updated with compare-and-set on `credentials_version`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { PatchbayError } from '../../errors.ts';
import type { ConnectionRow, ConnectionStore } from '../types.ts';
import { statement } from './database.ts';
import { migrate, type MigrationList } from './migrations.ts';

/** Schema of the connections concern (mirrored by Postgres). */
export const CONNECTION_MIGRATIONS: MigrationList = {
  concern: 'connections',
  steps: [
    `CREATE TABLE connections (
      integration_id TEXT NOT NULL,
      connection_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      credentials TEXT NOT NULL,
      connection_config TEXT NOT NULL DEFAULT '{}',
      metadata TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      refresh_status TEXT,
      refresh_error TEXT,
      last_refreshed_at TEXT,
      credentials_version INTEGER NOT NULL DEFAULT 1,
      PRIMARY KEY (integration_id, connection_id)
    )`,
  ],
};

const COLUMNS = [
  'provider',
  'credentials',
  'connection_config',
  'metadata',
  'updated_at',
  'refresh_status',
  'refresh_error',
  'last_refreshed_at',
  'credentials_version',
] as const;

type Raw = Record<string, string | number | null>;

function fromRaw(raw: Raw): ConnectionRow {
  return {
    integration_id: String(raw['integration_id']),
    connection_id: String(raw['connection_id']),
    provider: String(raw['provider']),
    credentials: String(raw['credentials']),
    connection_config: JSON.parse(String(raw['connection_config'] ?? '{}')) as Record<string, unknown>,
    metadata: raw['metadata'] === null ? null : (JSON.parse(String(raw['metadata'])) as Record<string, unknown>),
    created_at: String(raw['created_at']),
    updated_at: String(raw['updated_at']),
    refresh_status: (raw['refresh_status'] as ConnectionRow['refresh_status']) ?? null,
    refresh_error: (raw['refresh_error'] as string | null) ?? null,
    last_refreshed_at: (raw['last_refreshed_at'] as string | null) ?? null,
    credentials_version: Number(raw['credentials_version']),
  };
}

function toColumn(name: (typeof COLUMNS)[number], value: unknown): string | number | null {
  if (name === 'connection_config') return JSON.stringify(value ?? {});
  if (name === 'metadata') return value === null || value === undefined ? null : JSON.stringify(value);
  return (value ?? null) as string | number | null;
}

/**
 * The SQLite ConnectionStore over an open database (migrates its table on creation).
 *
 * @example
 * const connections = createSqliteConnectionStore(openDatabase(file));
 */
export function createSqliteConnectionStore(db: DatabaseSync): ConnectionStore {
  migrate(db, CONNECTION_MIGRATIONS);
  return {
    async get(integrationId, connectionId) {
      const raw = statement(db, 'SELECT * FROM connections WHERE integration_id = ? AND connection_id = ?').get(integrationId, connectionId);
      return raw ? fromRaw(raw as Raw) : undefined;
    },
    async list(filter = {}) {
      const rows =
        filter.integrationId === undefined
          ? statement(db, 'SELECT * FROM connections ORDER BY integration_id, connection_id').all()
          : statement(db, 'SELECT * FROM connections WHERE integration_id = ? ORDER BY connection_id').all(filter.integrationId);
      return rows.map((raw) => fromRaw(raw as Raw));
    },
    async insert(row) {
      const result = statement(
        db,
        `INSERT INTO connections (integration_id, connection_id, provider, credentials, connection_config, metadata,
           created_at, updated_at, refresh_status, refresh_error, last_refreshed_at, credentials_version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        row.integration_id,
        row.connection_id,
        row.provider,
        row.credentials,
        JSON.stringify(row.connection_config ?? {}),
        row.metadata === null ? null : JSON.stringify(row.metadata),
        row.created_at,
        row.updated_at,
        row.refresh_status,
        row.refresh_error,
        row.last_refreshed_at,
        row.credentials_version,
      );
      if (Number(result.changes) === 0) {
        throw new PatchbayError(
          'CONNECTION_EXISTS',
          `A connection "${row.connection_id}" already exists for integration "${row.integration_id}". Pick another id, or remove it first: patchbay connection remove ${row.integration_id} ${row.connection_id}`,
        );
      }
    },
    async update(integrationId, connectionId, patch, options = {}) {
      const names = COLUMNS.filter((name) => patch[name] !== undefined);
      if (names.length === 0) return (await this.get(integrationId, connectionId)) !== undefined;
      const set = names.map((name) => `${name} = ?`).join(', ');
      const values = names.map((name) => toColumn(name, patch[name]));
      let sql = `UPDATE connections SET ${set} WHERE integration_id = ? AND connection_id = ?`;
      const args: Array<string | number | null> = [...values, integrationId, connectionId];
      if (options.expectVersion !== undefined) {
        sql += ' AND credentials_version = ?';
        args.push(options.expectVersion);
      }
      return Number(statement(db, sql).run(...args).changes) > 0;
    },
    async delete(integrationId, connectionId) {
      return Number(statement(db, 'DELETE FROM connections WHERE integration_id = ? AND connection_id = ?').run(integrationId, connectionId).changes) > 0;
    },
  };
}
