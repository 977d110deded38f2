/** The AsyncActionStore contract: every adapter runs it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { laneKey, type AsyncActionRow, type Store } from '../../src/store/types.ts';
import { storeRunner } from './with-store.ts';

let count = 0;

/** A queued row for alice's github connection, due at `run_at` 1000 unless `patch` says otherwise. */
export function asyncActionRow(patch: Partial<AsyncActionRow> = {}): AsyncActionRow {
  count++;
  return {
    id: `00000000-0000-4000-8000-${String(count).padStart(12, '0')}`,
    integration_id: 'github',
    connection_id: 'alice',
    action_name: 'create-issue',
    input: { title: `issue ${count}`, nested: [1, null] },
    scope: { keyId: 'key-1', connections: ['alice'], tools: null },
    idempotency_scope: 'key-1',
    idempotency_key: null,
    request_hash: 'hash',
    status: 'queued',
    attempts: 0,
    max_retries: 0,
    deferrals: 0,
    run_at: 1000,
    output: null,
    error: null,
    created_at: '2026-11-29T10:00:00.000Z',
    started_at: null,
    finished_at: null,
    claimed_by: null,
    ...patch,
  };
}

/** Runs the async-action contract against stores made by `open`. */
export function runAsyncActionStoreContract(name: string, open: () => Promise<Store>): void {
  const withStore = storeRunner(open);

  describe(`${name}: AsyncActionStore`, () => {
    it('stores a row and gives it back as it was, input and scope included', withStore(async (store) => {
      const row = asyncActionRow();
      assert.deepEqual(await store.asyncActions.insert(row), { row, created: true });
      assert.deepEqual(await store.asyncActions.get(row.id), row);
      assert.equal(await store.asyncActions.get('00000000-0000-4000-8000-ffffffffffff'), undefined);
      const noInput = asyncActionRow({ input: undefined });
      await store.asyncActions.insert(noInput);
      assert.equal((await store.asyncActions.get(noInput.id))!.input, undefined);
    }));

    it('keeps one row per idempotency key and key scope, and hands back the holder', withStore(async (store) => {
      const first = asyncActionRow({ idempotency_key: 'order-7' });
      await store.asyncActions.insert(first);
      const again = await store.asyncActions.insert(asyncActionRow({ idempotency_key: 'order-7', input: { other: true } }));
      assert.equal(again.created, false);
      assert.deepEqual(again.row, first);
      // Another key's scope may use the same idempotency key.
      const other = await store.asyncActions.insert(asyncActionRow({ idempotency_key: 'order-7', idempotency_scope: 'key-2' }));
      assert.equal(other.created, true);
      // Without a key, rows never collide.
      assert.equal((await store.asyncActions.insert(asyncActionRow())).created, true);
      assert.equal((await store.asyncActions.insert(asyncActionRow())).created, true);
    }));

    it('lists due rows oldest first, up to the limit, leaving out skipped lanes and future rows', withStore(async (store) => {
      const a = asyncActionRow({ run_at: 500 });
      const b = asyncActionRow({ run_at: 100, connection_id: 'bob' });
      const c = asyncActionRow({ run_at: 900 });
      const later = asyncActionRow({ run_at: 5000 });
      for (const row of [a, b, c, later]) await store.asyncActions.insert(row);
      assert.deepEqual((await store.asyncActions.due(1000, 10, [])).map((r) => r.id), [b.id, a.id, c.id]);
      assert.deepEqual((await store.asyncActions.due(1000, 2, [])).map((r) => r.id), [b.id, a.id]);
      assert.deepEqual((await store.asyncActions.due(1000, 10, [laneKey('github', 'bob')])).map((r) => r.id), [a.id, c.id]);
      assert.deepEqual((await store.asyncActions.dueInLane('github', 'alice', 1000, 10)).map((r) => r.id), [a.id, c.id]);
      assert.deepEqual((await store.asyncActions.dueInLane('github', 'alice', 1000, 1)).map((r) => r.id), [a.id]);
      assert.deepEqual((await store.asyncActions.dueInLane('github', 'alice', 10_000, 10)).map((r) => r.id), [a.id, c.id, later.id]);
      assert.deepEqual(await store.asyncActions.dueInLane('gitlab', 'alice', 10_000, 10), []);
    }));

    it('claims a queued row once, for one owner, counting the attempt; a running row is not due', withStore(async (store) => {
      const row = asyncActionRow();
      await store.asyncActions.insert(row);
      assert.equal(await store.asyncActions.claim(row.id, '2026-11-29T10:00:01.000Z', 'q1'), true);
      assert.equal(await store.asyncActions.claim(row.id, '2026-11-29T10:00:02.000Z', 'q2'), false);
      assert.equal(await store.asyncActions.claim('missing', '2026-11-29T10:00:02.000Z', 'q1'), false);
      const claimed = (await store.asyncActions.get(row.id))!;
      assert.equal(claimed.status, 'running');
      assert.equal(claimed.started_at, '2026-11-29T10:00:01.000Z');
      assert.equal(claimed.claimed_by, 'q1');
      assert.equal(claimed.attempts, 1);
      assert.deepEqual(await store.asyncActions.due(10_000, 10, []), []);
      assert.equal(await store.asyncActions.countUnfinished(), 1);
      assert.equal(await store.asyncActions.countUnfinished('key-1'), 1);
      assert.equal(await store.asyncActions.countUnfinished('key-2'), 0);
    }));

    it('records an outcome only for the owner holding the row; finds a row by idempotency key', withStore(async (store) => {
      const done = asyncActionRow({ idempotency_key: 'k1' });
      const failed = asyncActionRow();
      for (const row of [done, failed]) {
        await store.asyncActions.insert(row);
        await store.asyncActions.claim(row.id, '2026-11-29T10:00:01.000Z', 'q1');
      }
      assert.equal(await store.asyncActions.update(done.id, 'q2', { status: 'failed' }), false, 'not the owner');
      assert.equal(await store.asyncActions.update(done.id, 'q1', { status: 'succeeded', output: { url: 'x', list: [1] }, finished_at: '2026-11-29T10:00:02.000Z', claimed_by: null, input: null }), true);
      assert.equal(await store.asyncActions.update(done.id, 'q1', { status: 'failed' }), false, 'not running any more');
      await store.asyncActions.update(failed.id, 'q1', { status: 'failed', attempts: 2, error: { name: 'PatchbayError', code: 'ACTION_ERROR', message: 'no', details: { a: 1 } }, finished_at: '2026-11-29T10:00:03.000Z' });
      const stored = (await store.asyncActions.get(done.id))!;
      assert.deepEqual(stored.output, { url: 'x', list: [1] });
      assert.equal(stored.status, 'succeeded');
      assert.equal(stored.input, null, 'the input is dropped once finished');
      assert.deepEqual((await store.asyncActions.get(failed.id))!.error, { name: 'PatchbayError', code: 'ACTION_ERROR', message: 'no', details: { a: 1 } });
      assert.equal((await store.asyncActions.findByIdempotencyKey('key-1', 'k1'))!.id, done.id);
      assert.equal(await store.asyncActions.findByIdempotencyKey('key-2', 'k1'), undefined);
      assert.equal(await store.asyncActions.countUnfinished(), 0);
    }));

    it('puts back the running rows of an owner that is gone; fails those past their crash allowance', withStore(async (store) => {
      const fresh = asyncActionRow();
      const crashy = asyncActionRow({ attempts: 3, max_retries: 0 });
      const other = asyncActionRow();
      for (const row of [fresh, crashy]) {
        await store.asyncActions.insert(row);
        await store.asyncActions.claim(row.id, '2026-11-29T10:00:01.000Z', 'dead');
      }
      await store.asyncActions.insert(other);
      await store.asyncActions.claim(other.id, '2026-11-29T10:00:01.000Z', 'alive');
      assert.deepEqual((await store.asyncActions.runningOwners()).sort(), ['alive', 'dead']);
      const crash = { name: 'PatchbayError', code: 'FUNCTION_CRASHED' as const, message: 'cut off' };
      assert.deepEqual(await store.asyncActions.recoverOwner('dead', 7000, crash, 2), {
        requeued: 1,
        failed: [{ id: crashy.id, integration_id: 'github', connection_id: 'alice', action_name: 'create-issue' }],
      });
      const back = (await store.asyncActions.get(fresh.id))!;
      assert.equal(back.status, 'queued');
      assert.equal(back.run_at, 7000);
      assert.equal(back.claimed_by, null);
      assert.equal(back.attempts, 1, 'the cut-off attempt stays counted');
      const gaveUp = (await store.asyncActions.get(crashy.id))!;
      assert.equal(gaveUp.status, 'failed');
      assert.equal(gaveUp.error?.code, 'FUNCTION_CRASHED');
      assert.equal((await store.asyncActions.get(other.id))!.status, 'running', 'a live owner keeps its rows');
      assert.deepEqual(await store.asyncActions.runningOwners(), ['alive']);
    }));

    it('prunes finished rows older than the cut-off, never unfinished ones', withStore(async (store) => {
      const old = asyncActionRow({ status: 'succeeded', finished_at: '2026-11-01T00:00:00.000Z' });
      const recent = asyncActionRow({ status: 'failed', finished_at: '2026-11-29T00:00:00.000Z' });
      const waiting = asyncActionRow();
      for (const row of [old, recent, waiting]) await store.asyncActions.insert(row);
      assert.equal(await store.asyncActions.prune('2026-11-20T00:00:00.000Z'), 1);
      assert.equal(await store.asyncActions.get(old.id), undefined);
      assert.ok(await store.asyncActions.get(recent.id));
      assert.ok(await store.asyncActions.get(waiting.id));
    }));
  });
}
