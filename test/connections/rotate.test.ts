/**
 * Key rotation: every row re-sealed under the new key, both keys valid meanwhile (a service that
 * loaded the old ring keeps reading and writing), a crash half-way loses nothing and re-running
 * finishes, a SIGKILL at every step leaves every row readable, a row written late under the old
 * key stays readable (the retired key is kept in the database), the WAL is checkpointed before
 * the key file changes, env-key mode.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { generateKey, sealedKeyId, staticKeyRing } from '../../src/connections/crypto.ts';
import { loadKeyRing, pendingKeyFile } from '../../src/connections/key-file.ts';
import { rotateEncryptionKey } from '../../src/connections/rotate.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import { PatchbayError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { tempHome, type TempHome } from './helpers.ts';

let home: TempHome;
let store: Store;
beforeEach(async () => {
  home = tempHome();
  store = await home.open();
});
afterEach(async () => {
  await store.close();
  home.cleanup();
});

async function seed(count: number, env: NodeJS.ProcessEnv = {}) {
  const connections = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env }) });
  for (let i = 0; i < count; i++) await connections.add({ integrationId: 'gh', connectionId: `c${i}`, credentials: { type: 'BEARER', token: `token-${i}` } });
  return connections;
}

async function keyIds(): Promise<Set<string | undefined>> {
  return new Set((await store.connections.list()).map((row) => sealedKeyId(row.credentials)));
}

/** What a process starting now reads: a fresh key ring from the files and the database. */
async function readAll(count: number, on: Store = store, keyFile = home.keyFile): Promise<string[]> {
  const fresh = createConnectionService({ store: on, key: await loadKeyRing({ keyFile, store: on, env: {} }) });
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(((await fresh.get('gh', `c${i}`)).credentials as { token: string }).token);
  return tokens;
}

const tokens = (count: number): string[] => Array.from({ length: count }, (_, i) => `token-${i}`);

/** Runs a rotation in a child process and SIGKILLs it at `stopAt`. */
async function rotateAndKill(stopAt: string): Promise<void> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'rotate-child.ts'), home.dbFile, home.keyFile, stopAt], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !['NODE_TEST_CONTEXT', 'PATCHBAY_ENCRYPTION_KEY'].includes(name))),
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let reached: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      reached = (JSON.parse(line) as { at: string }).at;
      break;
    }
    assert.equal(reached, stopAt, `the child did not stop at ${stopAt}: ${stderr}`);
    child.kill('SIGKILL');
    await exited;
  } finally {
    child.kill('SIGKILL');
  }
}

describe('key rotate-encryption', () => {
  it('re-seals every row, then replaces the key file; a running service keeps working throughout', async () => {
    const running = await seed(3);
    const oldId = running.ring.sealingKey().id;
    const result = await rotateEncryptionKey({
      store,
      keyFile: home.keyFile,
      env: {},
      onResealed: () => {
        assert.ok(existsSync(pendingKeyFile(home.keyFile)), 'the new key waits in .next during the rotation');
      },
    });
    assert.equal(result.resealed, 3);
    assert.notEqual(result.keyId, oldId);
    assert.deepEqual(await keyIds(), new Set([result.keyId]));
    assert.ok(!existsSync(pendingKeyFile(home.keyFile)));
    // The service loaded before the rotation reads the re-sealed rows and writes with the new key.
    assert.deepEqual((await running.get('gh', 'c1')).credentials, { type: 'BEARER', token: 'token-1' });
    await running.saveCredentials('gh', 'c2', { type: 'BEARER', token: 'token-2b' });
    assert.deepEqual(await keyIds(), new Set([result.keyId]));
    // A fresh process opens everything with the new key file alone.
    const fresh = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env: {} }) });
    assert.deepEqual((await fresh.get('gh', 'c2')).credentials, { type: 'BEARER', token: 'token-2b' });
  });

  it('a crash half-way loses nothing, and running it again finishes with the same key', async () => {
    await seed(4);
    const oldKeyFile = readFileSync(home.keyFile, 'utf8');
    let done = 0;
    await assert.rejects(
      rotateEncryptionKey({
        store,
        keyFile: home.keyFile,
        env: {},
        onResealed: () => {
          if (++done === 2) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.equal(readFileSync(home.keyFile, 'utf8'), oldKeyFile, 'the key file is untouched until the end');
    assert.equal((await keyIds()).size, 2, 'rows under both keys');
    const midway = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env: {} }) });
    for (let i = 0; i < 4; i++) assert.deepEqual((await midway.get('gh', `c${i}`)).credentials, { type: 'BEARER', token: `token-${i}` });
    const pendingId = midway.ring.sealingKey().id;
    await assert.rejects(rotateEncryptionKey({ store, keyFile: home.keyFile, env: {}, newKey: generateKey().toString('hex') }), (error: unknown) => error instanceof PatchbayError && /unfinished/.test(error.message));
    const result = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
    assert.equal(result.keyId, pendingId);
    assert.equal(result.resealed, 2);
    assert.deepEqual(await keyIds(), new Set([pendingId]));
  });

  it('with PATCHBAY_ENCRYPTION_KEY, needs --new-key and re-seals under it', async () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    await seed(2, { PATCHBAY_ENCRYPTION_KEY: oldKey.toString('hex') });
    await assert.rejects(rotateEncryptionKey({ store, keyFile: home.keyFile, env: { PATCHBAY_ENCRYPTION_KEY: oldKey.toString('hex') } }), /--new-key/);
    const result = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: { PATCHBAY_ENCRYPTION_KEY: oldKey.toString('hex') }, newKey: newKey.toString('base64') });
    assert.equal(result.mode, 'env');
    const after = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: newKey.toString('hex') } }) });
    assert.deepEqual((await after.get('gh', 'c0')).credentials, { type: 'BEARER', token: 'token-0' });
    assert.ok(!existsSync(home.keyFile));
  });

  for (const stopAt of ['pending-written', 'row:2', 'resealed', 'retired', 'checkpointed', 'promoted']) {
    it(`killed with SIGKILL at ${stopAt}: every row stays readable, and running it again finishes`, async () => {
      await seed(4);
      await rotateAndKill(stopAt);
      assert.deepEqual(await readAll(4), tokens(4), 'a process starting after the kill reads every row');
      const result = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
      assert.deepEqual(await keyIds(), new Set([result.keyId]));
      assert.ok(!existsSync(pendingKeyFile(home.keyFile)));
      assert.deepEqual(await readAll(4), tokens(4));
    });
  }

  it('a row written under the old key after the rotation finished stays readable; a later rotation re-seals it and drops that key', async () => {
    const running = await seed(3);
    // A process that picked its sealing key just before the rotation (it waited on the database lock).
    const late = createConnectionService({ store, key: staticKeyRing(running.ring.sealingKey().key) });
    const oldId = running.ring.sealingKey().id;
    const first = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
    assert.deepEqual(first.retired, [oldId], 'the old key is kept, sealed under the new one');
    await late.saveCredentials('gh', 'c0', { type: 'BEARER', token: 'token-0' });
    assert.deepEqual(await keyIds(), new Set([first.keyId, oldId]));
    assert.deepEqual(await readAll(3), tokens(3), 'the late row opens with the new key file alone');

    const second = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
    assert.equal(second.resealed, 3);
    assert.deepEqual(await keyIds(), new Set([second.keyId]));
    assert.deepEqual(second.retired, [first.keyId], `${oldId} is dropped: no row uses it any more`);
    assert.deepEqual(await readAll(3), tokens(3));
  });

  it('checkpoints the WAL before replacing the key file: patchbay.db copied alone opens with the new key', async () => {
    await seed(3);
    const result = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
    assert.equal(result.checkpointed, true);
    assert.equal(statSync(`${home.dbFile}-wal`).size, 0, 'nothing left in the WAL');
    const copy = mkdtempSync(path.join(os.tmpdir(), 'patchbay-copy-'));
    try {
      copyFileSync(home.dbFile, path.join(copy, 'patchbay.db'));
      copyFileSync(home.keyFile, path.join(copy, 'encryption.key'));
      const copied = await openStore({ kind: 'sqlite', file: path.join(copy, 'patchbay.db') });
      try {
        assert.deepEqual(new Set((await copied.connections.list()).map((row) => sealedKeyId(row.credentials))), new Set([result.keyId]));
        assert.deepEqual(await readAll(3, copied, path.join(copy, 'encryption.key')), tokens(3));
      } finally {
        await copied.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('with PATCHBAY_ENCRYPTION_KEY, a row a still-running process writes under the old key opens with the new key alone', async () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    const running = await seed(2, { PATCHBAY_ENCRYPTION_KEY: oldKey.toString('hex') });
    await rotateEncryptionKey({ store, keyFile: home.keyFile, env: { PATCHBAY_ENCRYPTION_KEY: oldKey.toString('hex') }, newKey: newKey.toString('hex') });
    await running.saveCredentials('gh', 'c1', { type: 'BEARER', token: 'token-1' });
    const after = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: newKey.toString('hex') } }) });
    assert.deepEqual((await after.get('gh', 'c1')).credentials, { type: 'BEARER', token: 'token-1' });
  });

  it('a row no held key opens is left as it was and reported; the others are re-sealed', async () => {
    await seed(2);
    const elsewhere = createConnectionService({ store, key: generateKey() });
    await elsewhere.add({ integrationId: 'gh', connectionId: 'orphan', credentials: { type: 'BEARER', token: 'orphan-token' } });
    const orphanKey = sealedKeyId((await store.connections.get('gh', 'orphan'))!.credentials);
    const result = await rotateEncryptionKey({ store, keyFile: home.keyFile, env: {} });
    assert.equal(result.resealed, 2);
    assert.deepEqual(result.unreadable, [{ integration_id: 'gh', connection_id: 'orphan', key_id: orphanKey }]);
    assert.deepEqual(await keyIds(), new Set([result.keyId, orphanKey]));
    assert.deepEqual(await readAll(2), tokens(2));
  });
});
