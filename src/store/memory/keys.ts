/** API keys in memory (tests, dry runs). */
import type { ApiKeyRow, ApiKeyStore } from '../types.ts';

/** The in-memory ApiKeyStore. */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const rows = new Map<string, ApiKeyRow>();
  return {
    async insert(row) {
      rows.set(row.id, structuredClone(row));
    },
    async findByHash(hash) {
      const row = [...rows.values()].find((candidate) => candidate.hash === hash);
      return row ? structuredClone(row) : undefined;
    },
    async list() {
      return [...rows.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id)).map((row) => structuredClone(row));
    },
    async revoke(idOrName) {
      let revoked = false;
      for (const row of rows.values()) {
        if ((row.id === idOrName || row.name === idOrName) && row.revoked_at === null) {
          row.revoked_at = new Date().toISOString();
          revoked = true;
        }
      }
      return revoked;
    },
    async touch(id, at) {
      const row = rows.get(id);
      if (row) row.last_used_at = at;
    },
  };
}
