/** The KeyValueStore contract: every adapter runs it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/store/types.ts';
import { storeRunner } from './with-store.ts';

/** Runs the key-value contract against stores made by `open`. */
export function runKeyValueStoreContract(name: string, open: () => Promise<Store>): void {
  const withStore = storeRunner(open);

  describe(`${name}: KeyValueStore`, () => {
    it('round-trips JSON values and overwrites', withStore(async (store) => {
      await store.kv.set('checkpoint:github:alice:issues', { since: '2026-01-01', page: 3, nested: [1, { a: null }] });
      assert.deepEqual(await store.kv.get('checkpoint:github:alice:issues'), { since: '2026-01-01', page: 3, nested: [1, { a: null }] });
      await store.kv.set('checkpoint:github:alice:issues', 'replaced');
      assert.equal(await store.kv.get('checkpoint:github:alice:issues'), 'replaced');
      assert.equal(await store.kv.get('missing'), undefined);
    }));

    it('deletes, reporting whether something was there', withStore(async (store) => {
      await store.kv.set('k', 1);
      assert.equal(await store.kv.delete('k'), true);
      assert.equal(await store.kv.delete('k'), false);
      assert.equal(await store.kv.get('k'), undefined);
    }));

    it('expires a value after its TTL, and keeps one without TTL', withStore(async (store) => {
      await store.kv.set('short', 'x', 30);
      await store.kv.set('long', 'y');
      assert.equal(await store.kv.get('short'), 'x');
      await sleep(80);
      assert.equal(await store.kv.get('short'), undefined);
      assert.equal(await store.kv.get('long'), 'y');
    }));
  });
}
