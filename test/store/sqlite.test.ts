/**
 * The SQLite Store runs every store contract, plus what only a file can show: data survives a
 * reopen, migrations run once, and two processes sharing the file respect each other's leases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { openStore } from '../../src/store/open.ts';
import { PatchbayError } from '../../src/errors.ts';
import { runAsyncActionStoreContract } from './async-actions.contract.ts';
import { connectionRow, runConnectionStoreContract } from './connections.contract.ts';
import { runApiKeyStoreContract } from './keys.contract.ts';
import { runKeyValueStoreContract } from './kv.contract.ts';
import { runLockStoreContract } from './locks.contract.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
const open = () => openStore({ kind: 'sqlite', file: path.join(dir, `db-${++count}.sqlite`) });

runConnectionStoreContract('sqlite', open);
runKeyValueStoreContract('sqlite', open);
runLockStoreContract('sqlite', open);
runApiKeyStoreContract('sqlite', open);
runAsyncActionStoreContract('sqlite', open);

describe('sqlite: the file', () => {
  it('keeps data across a reopen and applies each migration once', async () => {
    const file = path.join(dir, 'reopen.sqlite');
    let store = await openStore({ kind: 'sqlite', file });
    await store.connections.insert(connectionRow());
    await store.kv.set('k', { v: 1 });
    await store.close();
    store = await openStore({ kind: 'sqlite', file });
    assert.equal((await store.connections.get('github', 'alice'))!.provider, 'github');
    assert.deepEqual(await store.kv.get('k'), { v: 1 });
    await store.close();
    const db = new DatabaseSync(file);
    const rows = db.prepare("SELECT concern, COUNT(*) AS n FROM migrations WHERE concern IN ('connections','kv','locks','api_keys') GROUP BY concern ORDER BY concern").all();
    assert.deepEqual(rows.map((row) => ({ ...row })), [
      { concern: 'api_keys', n: 1 },
      { concern: 'connections', n: 1 },
      { concern: 'kv', n: 2 },
      { concern: 'locks', n: 1 },
    ]);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const file = path.join(dir, 'newer.sqlite');
    const store = await openStore({ kind: 'sqlite', file });
    await store.close();
    const db = new DatabaseSync(file);
    db.prepare("INSERT INTO migrations (concern, version, applied_at) VALUES ('locks', 99, 'x')").run();
    db.close();
    await assert.rejects(openStore({ kind: 'sqlite', file }), (error: unknown) => error instanceof PatchbayError && error.code === 'STORE_ERROR' && /Upgrade patchbay/.test(error.message));
  });
});

/** The environment without the test runner's marker, which would make the child report as a test. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

describe('sqlite: locks across two processes', () => {
  it('a lease held by one process is refused to the other until released or expired', async () => {
    const file = path.join(dir, 'shared.sqlite');
    const store = await openStore({ kind: 'sqlite', file });
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'lock-child.ts'), file], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: childEnv(),
    });
    const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await replies.next()).value)) as { ok?: boolean; ready?: boolean };
    const ask = async (command: object) => {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return (await next()).ok;
    };
    try {
      assert.equal((await next()).ready, true);
      assert.equal(await store.locks.tryAcquire('sync:github:alice', 'parent', 60_000), true);
      assert.equal(await ask({ op: 'acquire', key: 'sync:github:alice', owner: 'child' }), false);
      assert.equal(await ask({ op: 'release', key: 'sync:github:alice', owner: 'child' }), false);
      assert.equal(await store.locks.release('sync:github:alice', 'parent'), true);
      assert.equal(await ask({ op: 'acquire', key: 'sync:github:alice', owner: 'child', ttlMs: 60_000 }), true);
      assert.equal(await store.locks.tryAcquire('sync:github:alice', 'parent', 60_000), false);
      assert.equal(await ask({ op: 'acquire', key: 'short', owner: 'child', ttlMs: 1 }), true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await store.locks.tryAcquire('short', 'parent', 60_000), true);
      child.stdin.end(`${JSON.stringify({ op: 'exit' })}\n`);
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      child.kill();
      await store.close();
    }
  });
});
