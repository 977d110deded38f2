/**
 * Two processes writing one SQLite file at once: every write gets a cursor above every earlier
 * committed one (cursors unique and ordered across processes), nothing is lost, and the
 * write lock waits instead of failing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openDatabase } from '../../src/store/sqlite/database.ts';
import { createSqliteRecordStore } from '../../src/store/sqlite/records.ts';
import { decodeCursor } from '../../src/records/cursor.ts';

const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

function writer(file: string, prefix: string): Promise<void> {
  const script = `
    import { openDatabase } from ${JSON.stringify(src('store/sqlite/database.ts'))};
    import { createSqliteRecordStore } from ${JSON.stringify(src('store/sqlite/records.ts'))};
    const store = createSqliteRecordStore(openDatabase(${JSON.stringify(file)}));
    const scope = { integrationId: 'i', connectionId: 'c', model: 'M' };
    for (let b = 0; b < 40; b++) {
      const own = Array.from({ length: 25 }, (_, i) => ({ id: '${prefix}-' + (b * 25 + i), data: { id: '${prefix}-' + (b * 25 + i), b } }));
      const shared = [{ id: 'shared', data: { id: 'shared', by: '${prefix}', b } }];
      await store.save(scope, [...own, ...shared]);
    }
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (error, _stdout, stderr) => (error ? reject(new Error(stderr || String(error))) : resolve()));
  });
}

test('two processes saving into one scope: unique, ordered cursors and no lost writes', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-records-mp-'));
  try {
    const file = path.join(dir, 'shared.db');
    createSqliteRecordStore(openDatabase(file)); // create the schema once, before the race
    await Promise.all([writer(file, 'a'), writer(file, 'b')]);
    const db = openDatabase(file);
    const store = createSqliteRecordStore(db);
    const scope = { integrationId: 'i', connectionId: 'c', model: 'M' };
    const page = await store.query(scope, { limit: 10_000 });
    assert.equal(page.records.length, 2001, '1000 records per process plus the shared one');
    const cursors = page.records.map((r) => decodeCursor(r.cursor));
    for (let i = 1; i < cursors.length; i++) assert.ok(cursors[i]! > cursors[i - 1]!, 'cursors strictly increase');
    const shared = page.records.find((r) => r.id === 'shared')!;
    assert.equal(shared.data['b'], 39, 'the shared record holds a last batch’s content');
    assert.equal(shared.cursor, page.records.at(-1)!.cursor, 'and the highest cursor: it changed in the last commit');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
