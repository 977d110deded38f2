/**
 * The whole Store on one embedded SQLite file (node:sqlite): each concern migrates and prepares
 * its own statements over the shared database handle.
 */
import type { Store } from '../types.ts';
import { createSqliteConnectionStore } from './connections.ts';
import { openDatabase } from './database.ts';
import { createSqliteApiKeyStore } from './keys.ts';
import { createSqliteKeyValueStore } from './kv.ts';
import { createSqliteLockStore } from './locks.ts';
import { createSqliteRecordStore } from './records.ts';
import { createSqliteSyncStore } from './syncs.ts';

/** Opens (creating and migrating) the SQLite Store at `file`. Prefer `openStore({ kind: 'sqlite', file })`. */
export function createSqliteStore(file: string): Store {
  const db = openDatabase(file);
  try {
    let closed = false;
    return {
      kind: 'sqlite',
      connections: createSqliteConnectionStore(db),
      kv: createSqliteKeyValueStore(db),
      locks: createSqliteLockStore(db),
      records: createSqliteRecordStore(db),
      syncs: createSqliteSyncStore(db),
      keys: createSqliteApiKeyStore(db),
      async close() {
        if (closed) return;
        closed = true;
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
