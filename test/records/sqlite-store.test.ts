import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteRecordStore } from '../../src/store/sqlite/records.ts';
import { runRecordStoreContract } from './record-store.contract.ts';

runRecordStoreContract({
  name: 'sqlite',
  create: async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-records-'));
    const db = new DatabaseSync(path.join(dir, 'test.db'));
    db.exec('PRAGMA journal_mode = WAL');
    return {
      store: createSqliteRecordStore(db),
      close: async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
