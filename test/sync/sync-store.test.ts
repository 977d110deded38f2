import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createMemorySyncStore } from '../../src/store/memory/syncs.ts';
import { createSqliteSyncStore } from '../../src/store/sqlite/syncs.ts';
import { runSyncStoreContract } from './sync-store.contract.ts';

runSyncStoreContract({ name: 'memory', create: async () => ({ store: createMemorySyncStore(), close: async () => {} }) });
runSyncStoreContract({
  name: 'sqlite',
  create: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-syncs-'));
    const db = new DatabaseSync(path.join(dir, 'test.db'));
    return {
      store: createSqliteSyncStore(db),
      close: async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
