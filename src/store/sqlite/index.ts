/**
 * The whole Store on one embedded SQLite file (node:sqlite): each concern migrates and prepares
 * its own statements over the shared database handle.
 */
import type { Store } from '../types.ts';
import { createSqliteAsyncActionStore } from './async-actions.ts';
import { createSqliteConnectionStore } from './connections.ts';
import { openDatabase } from './database.ts';
import { explainOpenFailure } from './file-check.ts';
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
      asyncActions: createSqliteAsyncActionStore(db),
      async checkpoint() {
        // TRUNCATE waits (busy_timeout) for readers of older snapshots; busy = 1 when some stayed.
        const row = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number; log: number; checkpointed: number } | undefined;
        return { complete: row !== undefined && row.busy === 0 && row.log === row.checkpointed };
      },
      async close() {
        if (closed) return;
        closed = true;
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw explainOpenFailure(file, error);
  }
}
