/**
 * Key rotation: every row re-sealed under the new key, both keys valid meanwhile (a service that
 * loaded the old ring keeps reading and writing), a crash half-way loses nothing and re-running
 * finishes, env-key mode.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { generateKey, sealedKeyId } from '../../src/connections/crypto.ts';
import { loadKeyRing, pendingKeyFile } from '../../src/connections/key-file.ts';
import { rotateEncryptionKey } from '../../src/connections/rotate.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import { PatchbayError } from '../../src/errors.ts';
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
});
