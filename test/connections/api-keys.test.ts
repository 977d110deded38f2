import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiKey, ensureInitialKey, hashSecret, verifyApiKey } from '../../src/connections/api-keys.ts';
import { PatchbayError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open.ts';
import { tempHome } from './helpers.ts';

describe('API keys', () => {
  it('creates a pb_sk_ secret stored only as its sha256, verifies it, refuses wrong and revoked ones', async () => {
    const home = tempHome();
    const store = await home.open();
    try {
      const { row, secret } = await createApiKey(store, { name: 'claude', connections: ['github:alice'], tools: ['github_*'] });
      assert.match(secret, /^pb_sk_[A-Za-z0-9_-]{43}$/);
      assert.equal(row.hash, hashSecret(secret));
      assert.ok(!JSON.stringify(await store.keys.list()).includes(secret));
      const verified = await verifyApiKey(store, secret);
      assert.equal(verified?.id, row.id);
      assert.deepEqual(verified?.tools, ['github_*']);
      assert.ok(verified?.last_used_at, 'first use is recorded');
      assert.equal(await verifyApiKey(store, `${secret}x`), undefined);
      assert.equal(await verifyApiKey(store, ''), undefined);
      await assert.rejects(createApiKey(store, { name: 'claude' }), (error: unknown) => error instanceof PatchbayError && /exists already/.test(error.message));
      assert.equal(await store.keys.revoke('claude'), true);
      assert.equal(await verifyApiKey(store, secret), undefined);
    } finally {
      await store.close();
      home.cleanup();
    }
  });

  it('touches last_used_at at most once a minute', async () => {
    const store = await openStore({ kind: 'memory' });
    const { row, secret } = await createApiKey(store, { name: 'k' });
    await verifyApiKey(store, secret);
    const first = (await store.keys.findByHash(row.hash))!.last_used_at;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await verifyApiKey(store, secret);
    assert.equal((await store.keys.findByHash(row.hash))!.last_used_at, first);
    await store.keys.touch(row.id, new Date(Date.now() - 61_000).toISOString());
    await verifyApiKey(store, secret);
    assert.notEqual((await store.keys.findByHash(row.hash))!.last_used_at, first);
    await store.close();
  });

  it('ensureInitialKey: creates one on first start, then reports existing; an env key is valid and creates nothing else', async () => {
    const store = await openStore({ kind: 'memory' });
    const first = await ensureInitialKey(store, {});
    assert.equal(first.source, 'created');
    assert.ok(await verifyApiKey(store, first.secret!));
    assert.deepEqual(await ensureInitialKey(store, {}), { source: 'existing' });
    assert.equal((await store.keys.list()).length, 1);

    const fresh = await openStore({ kind: 'memory' });
    const env = { PATCHBAY_SECRET_KEY: 'my-own-long-secret-value' };
    assert.deepEqual(await ensureInitialKey(fresh, env), { source: 'env' });
    assert.deepEqual(await ensureInitialKey(fresh, env), { source: 'env' });
    assert.equal((await fresh.keys.list()).length, 1);
    assert.ok(await verifyApiKey(fresh, 'my-own-long-secret-value'));
    await assert.rejects(ensureInitialKey(fresh, { PATCHBAY_SECRET_KEY: 'short' }), /too short/);
    await store.close();
    await fresh.close();
  });
});
