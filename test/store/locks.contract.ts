/** The LockStore contract: every adapter runs it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/store/types.ts';
import { storeRunner } from './with-store.ts';

/** Runs the lock contract against stores made by `open`. */
export function runLockStoreContract(name: string, open: () => Promise<Store>): void {
  const withStore = storeRunner(open);

  describe(`${name}: LockStore`, () => {
    it('lets one owner hold a key; the other is refused', withStore(async (store) => {
      assert.equal(await store.locks.tryAcquire('sync:a', 'one', 10_000), true);
      assert.equal(await store.locks.tryAcquire('sync:a', 'two', 10_000), false);
      assert.equal(await store.locks.tryAcquire('sync:b', 'two', 10_000), true);
    }));

    it('refuses release by a non-owner, then frees the key on release by the owner', withStore(async (store) => {
      await store.locks.tryAcquire('k', 'one', 10_000);
      assert.equal(await store.locks.release('k', 'two'), false);
      assert.equal(await store.locks.tryAcquire('k', 'two', 10_000), false);
      assert.equal(await store.locks.release('k', 'one'), true);
      assert.equal(await store.locks.release('k', 'one'), false);
      assert.equal(await store.locks.tryAcquire('k', 'two', 10_000), true);
    }));

    it('hands an expired lease to another owner', withStore(async (store) => {
      assert.equal(await store.locks.tryAcquire('k', 'one', 30), true);
      assert.equal(await store.locks.tryAcquire('k', 'two', 10_000), false);
      await sleep(60);
      assert.equal(await store.locks.tryAcquire('k', 'two', 10_000), true);
      assert.equal(await store.locks.release('k', 'one'), false);
    }));

    it('re-acquiring one\'s own lease extends it', withStore(async (store) => {
      assert.equal(await store.locks.tryAcquire('k', 'one', 60), true);
      await sleep(30);
      assert.equal(await store.locks.tryAcquire('k', 'one', 10_000), true);
      await sleep(60);
      assert.equal(await store.locks.tryAcquire('k', 'two', 10_000), false, 'the extended lease still holds');
    }));

    it('shows who holds a lease until when, expired or not', withStore(async (store) => {
      assert.equal(await store.locks.inspect('k'), undefined);
      const before = Date.now();
      await store.locks.tryAcquire('k', 'one', 10_000);
      const lease = await store.locks.inspect('k');
      assert.equal(lease?.owner, 'one');
      assert.ok(lease!.expiresAt >= before + 10_000 && lease!.expiresAt <= Date.now() + 10_000);
      await store.locks.tryAcquire('short', 'two', 1);
      await sleep(20);
      const expired = await store.locks.inspect('short');
      assert.ok(expired === undefined || expired.expiresAt <= Date.now(), 'an expired lease is absent or shown as expired');
      await store.locks.release('k', 'one');
      assert.equal(await store.locks.inspect('k'), undefined, 'released');
    }));
  });
}
