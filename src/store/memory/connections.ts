/**
 * Connections in memory (tests, dry runs): the same behaviour as the SQLite table, rows copied in
 * and out so a caller mutating a returned row never changes the store.
 */
import { PatchbayError } from '../../errors.ts';
import type { ConnectionRow, ConnectionStore } from '../types.ts';

const keyOf = (integrationId: string, connectionId: string): string => `${integrationId}\u0000${connectionId}`;

/** The in-memory ConnectionStore. */
export function createMemoryConnectionStore(): ConnectionStore {
  const rows = new Map<string, ConnectionRow>();
  return {
    async get(integrationId, connectionId) {
      const row = rows.get(keyOf(integrationId, connectionId));
      return row ? structuredClone(row) : undefined;
    },
    async list(filter = {}) {
      return [...rows.values()]
        .filter((row) => filter.integrationId === undefined || row.integration_id === filter.integrationId)
        .sort((a, b) => a.integration_id.localeCompare(b.integration_id) || a.connection_id.localeCompare(b.connection_id))
        .map((row) => structuredClone(row));
    },
    async insert(row) {
      const key = keyOf(row.integration_id, row.connection_id);
      if (rows.has(key)) {
        throw new PatchbayError(
          'CONNECTION_EXISTS',
          `A connection "${row.connection_id}" already exists for integration "${row.integration_id}". Pick another id, or remove it first: patchbay connection remove ${row.integration_id} ${row.connection_id}`,
        );
      }
      rows.set(key, structuredClone(row));
    },
    async update(integrationId, connectionId, patch, options = {}) {
      const key = keyOf(integrationId, connectionId);
      const row = rows.get(key);
      if (!row) return false;
      if (options.expectVersion !== undefined && row.credentials_version !== options.expectVersion) return false;
      const clean = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      rows.set(key, { ...row, ...structuredClone(clean) });
      return true;
    },
    async delete(integrationId, connectionId) {
      return rows.delete(keyOf(integrationId, connectionId));
    },
  };
}
