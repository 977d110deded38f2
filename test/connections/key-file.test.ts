/**
 * Where the key comes from and what happens when it is wrong: a generated 0600 key file, env keys,
 * corrupt or missing key files next to sealed data (refused, never silently re-keyed).
 */
import assert from 'node:assert/strict';
import { statSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { generateKey } from '../../src/connections/crypto.ts';
import { loadKeyRing } from '../../src/connections/key-file.ts';
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

const keyError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof PatchbayError, String(error));
  assert.equal(error.code, 'ENCRYPTION_KEY_ERROR');
  assert.match(error.message, pattern);
  return true;
};

async function addOne(env: NodeJS.ProcessEnv = {}): Promise<void> {
  const connections = createConnectionService({ store, key: await loadKeyRing({ keyFile: home.keyFile, store, env }) });
  await connections.add({ integrationId: 'gh', connectionId: 'alice', credentials: { type: 'BEARER', token: 'tok' } });
}

describe('encryption key source', () => {
  it('generates a key file with mode 0600 on first start and reuses it', async () => {
    const first = await loadKeyRing({ keyFile: home.keyFile, store, env: {} });
    assert.equal(statSync(home.keyFile).mode & 0o777, 0o600);
    const second = await loadKeyRing({ keyFile: home.keyFile, store, env: {} });
    assert.equal(first.sealingKey().id, second.sealingKey().id);
  });

  it('uses PATCHBAY_ENCRYPTION_KEY (hex or base64) and writes no file; refuses a malformed one', async () => {
    const key = generateKey();
    const ring = await loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: key.toString('base64') } });
    const hexRing = await loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: key.toString('hex') } });
    assert.equal(ring.sealingKey().id, hexRing.sealingKey().id);
    assert.throws(() => statSync(home.keyFile));
    await assert.rejects(loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: 'hunter2' } }), keyError(/PATCHBAY_ENCRYPTION_KEY is not a valid/));
  });

  it('refuses a missing key file when the database holds sealed credentials', async () => {
    await addOne();
    unlinkSync(home.keyFile);
    await assert.rejects(loadKeyRing({ keyFile: home.keyFile, store, env: {} }), keyError(/encryption\.key is missing.*Restore the file/));
    assert.throws(() => statSync(home.keyFile), 'no new key was generated');
  });

  it('refuses a corrupt key file, naming it', async () => {
    await addOne();
    writeFileSync(home.keyFile, 'not a key\n');
    await assert.rejects(loadKeyRing({ keyFile: home.keyFile, store, env: {} }), keyError(/encryption\.key is corrupt/));
  });

  it('refuses a different key than the one that sealed the data', async () => {
    await addOne();
    await assert.rejects(
      loadKeyRing({ keyFile: home.keyFile, store, env: { PATCHBAY_ENCRYPTION_KEY: generateKey().toString('hex') } }),
      keyError(/sealed with key [0-9a-f]{8}.*Use the key that sealed them/),
    );
  });
});
