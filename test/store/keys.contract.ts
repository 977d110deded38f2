/** The ApiKeyStore contract: every adapter runs it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyRow, Store } from '../../src/store/types.ts';
import { storeRunner } from './with-store.ts';

function keyRow(overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    id: 'key_1',
    name: 'claude',
    hash: 'a'.repeat(64),
    connections: ['github:alice'],
    tools: ['github_*'],
    created_at: '2026-01-01T00:00:00.000Z',
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** Runs the api key store contract against stores made by `open`. */
export function runApiKeyStoreContract(name: string, open: () => Promise<Store>): void {
  const withStore = storeRunner(open);

  describe(`${name}: ApiKeyStore`, () => {
    it('finds a key by hash with its scopes', withStore(async (store) => {
      await store.keys.insert(keyRow());
      await store.keys.insert(keyRow({ id: 'key_2', name: 'all', hash: 'b'.repeat(64), connections: null, tools: null, created_at: '2026-01-02T00:00:00.000Z' }));
      assert.deepEqual(await store.keys.findByHash('a'.repeat(64)), keyRow());
      assert.equal((await store.keys.findByHash('b'.repeat(64)))!.tools, null);
      assert.equal(await store.keys.findByHash('c'.repeat(64)), undefined);
      assert.deepEqual((await store.keys.list()).map((row) => row.id), ['key_1', 'key_2']);
    }));

    it('revokes by id or by name, once', withStore(async (store) => {
      await store.keys.insert(keyRow());
      await store.keys.insert(keyRow({ id: 'key_2', name: 'other', hash: 'b'.repeat(64) }));
      assert.equal(await store.keys.revoke('claude'), true);
      assert.equal(await store.keys.revoke('claude'), false);
      assert.equal(await store.keys.revoke('key_2'), true);
      assert.equal(await store.keys.revoke('nobody'), false);
      assert.ok((await store.keys.findByHash('a'.repeat(64)))!.revoked_at);
    }));

    it('records last use', withStore(async (store) => {
      await store.keys.insert(keyRow());
      await store.keys.touch('key_1', '2026-02-02T00:00:00.000Z');
      assert.equal((await store.keys.findByHash('a'.repeat(64)))!.last_used_at, '2026-02-02T00:00:00.000Z');
    }));
  });
}
