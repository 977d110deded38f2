/**
 * The async-action queue on a real store (memory and SQLite), with a `run` that plays the
 * executor: the lease (one runner among several processes), rate-limit deferrals that spend no
 * retry and narrow the lane, retries, a revoked key, a stop that puts running actions back, and
 * the unfinished cap. The end-to-end path (serve, HTTP, kill -9) is test/api/async-actions.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FULL_SCOPE, type ApiScope } from '../../src/access/scope.ts';
import { PatchbayError } from '../../src/errors.ts';
import { startAsyncActionQueue, type AsyncActionQueue, type AsyncActionQueueOptions } from '../../src/queue/async-actions.ts';
import type { ExecutionRequest, ExecutionResult } from '../../src/runtime/types.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-queue-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const KEY: ApiScope = { keyId: 'key-1', connections: null, tools: null };

function result(output: unknown): ExecutionResult {
  return { executionId: 'x', function: { integrationId: 'github', name: 'act', type: 'action' }, output, durationMs: 1, logs: [], http: [] };
}

async function settled(queue: AsyncActionQueue, id: string) {
  const row = await queue.wait(id, 20_000);
  assert.ok(row && (row.status === 'succeeded' || row.status === 'failed'), `action ${id} finished (${row?.status})`);
  return row;
}

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`async-action queue on ${kind}`, () => {
    const open = (): Promise<Store> => (kind === 'memory' ? openStore({ kind: 'memory' }) : openStore({ kind: 'sqlite', file: path.join(dir, `q-${++files}.sqlite`) }));
    const queues: AsyncActionQueue[] = [];
    const start = (store: Store, options: Partial<AsyncActionQueueOptions> & Pick<AsyncActionQueueOptions, 'run'>): AsyncActionQueue => {
      const queue = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, retryBaseMs: 20, stopGraceMs: 200, ...options });
      queues.push(queue);
      return queue;
    };
    after(async () => {
      for (const queue of queues) await queue.stop();
    });
    const request = (input: unknown, patch: Partial<Parameters<AsyncActionQueue['enqueue']>[0]> = {}) => ({
      integrationId: 'github', connectionId: 'alice', actionName: 'act', input, scope: KEY, maxRetries: 0, ...patch,
    });

    it('runs a queued action with the scope that queued it and keeps its output', async () => {
      const store = await open();
      const seen: ExecutionRequest[] = [];
      const queue = start(store, { run: async (r) => (seen.push(r), result({ echoed: r.input })) });
      const { row, created } = await queue.enqueue(request({ n: 1 }));
      assert.equal(created, true);
      const done = await settled(queue, row.id);
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.output, { echoed: { n: 1 } });
      assert.equal(done.attempts, 1);
      assert.deepEqual(seen[0]!.scope, KEY);
      assert.equal(seen[0]!.name, 'act');
      await queue.stop();
      await store.close();
    });

    it('a rate-limited run goes back without spending a retry, its lane narrows and pauses as asked', async () => {
      const store = await open();
      let calls = 0;
      let running = 0;
      let peak = 0;
      const queue = start(store, {
        laneStart: 4,
        run: async () => {
          calls++;
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
          if (calls <= 4) throw new PatchbayError('RATE_LIMITED', 'slow down', { retryAfter: 0.2 });
          return result('ok');
        },
      });
      const started = Date.now();
      const ids = [];
      for (let i = 0; i < 8; i++) ids.push((await queue.enqueue(request({ i }))).row.id);
      const rows = await Promise.all(ids.map((id) => settled(queue, id)));
      assert.deepEqual(rows.map((r) => r.status), Array(8).fill('succeeded'));
      assert.ok(rows.every((r) => r.attempts === 1), 'deferrals are not attempts');
      assert.ok(rows.some((r) => r.deferrals > 0));
      assert.ok(Date.now() - started >= 190, 'the lane paused for the Retry-After');
      assert.ok(peak <= 4, `at most the lane's window ran at once (${peak})`);
      await queue.stop();
      await store.close();
    });

    it('retries a failure max_retries times, never a final one; a revoked key runs nothing', async () => {
      const store = await open();
      const attempts = new Map<string, number>();
      const queue = start(store, {
        keyRevoked: async (keyId) => keyId === 'gone',
        run: async (r) => {
          const key = (r.input as { k: string }).k;
          attempts.set(key, (attempts.get(key) ?? 0) + 1);
          if (key === 'invalid') throw new PatchbayError('INVALID_INPUT', 'bad');
          if (attempts.get(key)! < 3) throw new PatchbayError('UPSTREAM_HTTP_ERROR', 'boom', { status: 503 });
          return result(attempts.get(key));
        },
      });
      const heals = await settled(queue, (await queue.enqueue(request({ k: 'heals' }, { maxRetries: 2 }))).row.id);
      assert.equal(heals.status, 'succeeded');
      assert.equal(heals.output, 3);
      const spent = await settled(queue, (await queue.enqueue(request({ k: 'spent' }, { maxRetries: 1 }))).row.id);
      assert.equal(spent.status, 'failed');
      assert.equal(spent.attempts, 2);
      assert.equal(spent.error?.code, 'UPSTREAM_HTTP_ERROR');
      const invalid = await settled(queue, (await queue.enqueue(request({ k: 'invalid' }, { maxRetries: 5 }))).row.id);
      assert.equal(invalid.attempts, 1);
      assert.equal(attempts.get('invalid'), 1);
      const revoked = await settled(queue, (await queue.enqueue(request({ k: 'revoked' }, { scope: { ...KEY, keyId: 'gone' } }))).row.id);
      assert.equal(revoked.error?.code, 'FORBIDDEN');
      assert.equal(attempts.get('revoked'), undefined);
      await assert.rejects(queue.enqueue(request({}, { maxRetries: 6 })), /X-Max-Retries/);
      await queue.stop();
      await store.close();
    });

    it('one queue runs at a time: a second waits for the lease, and takes over when the first stops', async () => {
      const store = await open();
      const ran: string[] = [];
      const first = start(store, { run: async (r) => (ran.push(`first:${(r.input as { n: number }).n}`), result(1)) });
      await sleep(50);
      const second = start(store, { run: async (r) => (ran.push(`second:${(r.input as { n: number }).n}`), result(2)) });
      await settled(second, (await second.enqueue(request({ n: 1 }))).row.id);
      assert.deepEqual(ran, ['first:1'], 'the lease holder ran it, though the other queued it');
      await first.stop();
      await sleep(400);
      await settled(second, (await second.enqueue(request({ n: 2 }))).row.id);
      assert.deepEqual(ran, ['first:1', 'second:2']);
      await second.stop();
      await store.close();
    });

    it('a stop puts running actions back in the queue; the next start runs them', async () => {
      const store = await open();
      const queue = start(store, { run: (r) => new Promise((_, reject) => r.signal!.addEventListener('abort', () => reject(new PatchbayError('ABORTED', 'stopped')))) });
      const { row } = await queue.enqueue(request({ long: true }));
      for (let i = 0; i < 100 && (await store.asyncActions.get(row.id))!.status !== 'running'; i++) await sleep(10);
      await queue.stop();
      const back = (await store.asyncActions.get(row.id))!;
      assert.equal(back.status, 'queued');
      assert.equal(back.attempts, 0);
      const next = start(store, { run: async () => result('after restart') });
      assert.equal((await settled(next, row.id)).output, 'after restart');
      await next.stop();
      await store.close();
    });

    it('refuses past the unfinished cap with 429, and a full-scope key shares idempotency keys only with itself', async () => {
      const store = await open();
      const queue = start(store, { maxUnfinished: 2, concurrency: 1, run: () => new Promise(() => {}) });
      await queue.enqueue(request({ a: 1 }));
      await queue.enqueue(request({ a: 2 }));
      await assert.rejects(queue.enqueue(request({ a: 3 })), (error: PatchbayError) => error.code === 'RATE_LIMITED' && error.retryAfter === 5);
      await queue.stop(); // its run ignores the signal: the stop still ends, after the grace periods
      await store.close();
      const other = await open();
      const q2 = start(other, { run: async () => result(0) });
      const a = await q2.enqueue(request({ same: 1 }, { scope: FULL_SCOPE, idempotencyKey: 'k' }));
      const b = await q2.enqueue(request({ same: 1 }, { scope: KEY, idempotencyKey: 'k' }));
      assert.notEqual(a.row.id, b.row.id);
      await q2.stop();
      await other.close();
    });
  });
}

describe('async-action queue: an unlucky store and a crashed server', () => {
  const open = (): Promise<Store> => openStore({ kind: 'sqlite', file: path.join(dir, `q-${++files}.sqlite`) });
  const request = (input: unknown, patch: Partial<Parameters<AsyncActionQueue['enqueue']>[0]> = {}) => ({
    integrationId: 'github', connectionId: 'alice', actionName: 'act', input, scope: KEY, maxRetries: 0, ...patch,
  });

  it('a store that fails for a moment while recording a success neither fails the action nor runs it twice', async () => {
    const store = await open();
    let failures = 2;
    const flaky = {
      ...store.asyncActions,
      update: async (...args: Parameters<Store['asyncActions']['update']>) => {
        if (args[2].status === 'succeeded' && failures-- > 0) throw new PatchbayError('STORE_ERROR', 'database or disk is full');
        return store.asyncActions.update(...args);
      },
    };
    let runs = 0;
    const queue = startAsyncActionQueue({ store: flaky, locks: store.locks, leaseMs: 300, run: async () => (runs++, result('done')) });
    const { row } = await queue.enqueue(request({ n: 1 }, { maxRetries: 3 }));
    const done = await settled(queue, row.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.output, 'done');
    assert.equal(runs, 1);
    await queue.stop();
    await store.close();
  });

  it('rows of a queue whose lease ran out are put back and run; past the crash allowance they fail; a live queue keeps its own', async () => {
    const store = await open();
    const row = (id: string, patch: Record<string, unknown> = {}) => ({
      id, integration_id: 'github', connection_id: 'alice', action_name: 'act', input: { id }, scope: KEY, idempotency_scope: 'key-1', idempotency_key: null,
      request_hash: 'h', status: 'queued' as const, attempts: 0, max_retries: 0, deferrals: 0, run_at: 0, output: null, error: null,
      created_at: new Date().toISOString(), started_at: null, finished_at: null, claimed_by: null, ...patch,
    });
    await store.asyncActions.insert(row('00000000-0000-4000-8000-00000000000a'));
    await store.asyncActions.claim('00000000-0000-4000-8000-00000000000a', new Date().toISOString(), 'ghost');
    await store.asyncActions.insert(row('00000000-0000-4000-8000-00000000000b', { attempts: 3 }));
    await store.asyncActions.claim('00000000-0000-4000-8000-00000000000b', new Date().toISOString(), 'ghost');
    await store.asyncActions.insert(row('00000000-0000-4000-8000-00000000000c'));
    await store.asyncActions.claim('00000000-0000-4000-8000-00000000000c', new Date().toISOString(), 'alive');
    await store.locks.tryAcquire('queue:async-actions:runner:alive', 'alive', 60_000);
    const ran: unknown[] = [];
    const announced: string[] = [];
    const queue = startAsyncActionQueue({
      store: store.asyncActions,
      locks: store.locks,
      leaseMs: 300,
      run: async (r) => (ran.push(r.input), result('again')),
      onFinished: async (r) => void announced.push(r.id),
    });
    const resumed = await settled(queue, '00000000-0000-4000-8000-00000000000a');
    assert.equal(resumed.output, 'again');
    assert.deepEqual(ran, [{ id: '00000000-0000-4000-8000-00000000000a' }]);
    const crashed = await settled(queue, '00000000-0000-4000-8000-00000000000b');
    assert.equal(crashed.error?.code, 'FUNCTION_CRASHED');
    await sleep(50);
    assert.ok(announced.includes('00000000-0000-4000-8000-00000000000b'), 'the crashed one is announced as finished');
    assert.equal((await store.asyncActions.get('00000000-0000-4000-8000-00000000000c'))!.status, 'running', 'its queue is alive');
    await queue.stop();
    await store.close();
  });

  it('a synchronous trigger (immediate) that is rate limited fails at once with the wait, never deferred', async () => {
    const store = await open();
    const queue = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, run: async () => { throw new PatchbayError('RATE_LIMITED', 'slow down', { retryAfter: 30 }); } });
    const { row } = await queue.enqueue(request({ now: true }, { idempotencyKey: 'sync-1' }), { immediate: true });
    const done = await settled(queue, row.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'RATE_LIMITED');
    assert.equal(done.error?.retryAfter, 30);
    assert.equal(done.deferrals, 0);
    await queue.stop();
    await store.close();
  });

  it('a replayed idempotency key answers before the caps are counted; one key cannot fill the queue', async () => {
    const store = await open();
    const queue = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, maxUnfinishedPerKey: 2, concurrency: 1, run: (r) => new Promise((_, reject) => r.signal!.addEventListener('abort', () => reject(new PatchbayError('ABORTED', 'stop')))) });
    const first = await queue.enqueue(request({ a: 1 }, { idempotencyKey: 'i1' }));
    await queue.enqueue(request({ a: 2 }));
    await assert.rejects(queue.enqueue(request({ a: 3 })), (error: PatchbayError) => error.code === 'RATE_LIMITED' && /This API key/.test(error.message));
    assert.equal((await queue.enqueue(request({ a: 1 }, { idempotencyKey: 'i1' }))).row.id, first.row.id, 'the replay is not refused');
    const other = await queue.enqueue(request({ a: 4 }, { scope: { ...KEY, keyId: 'key-2' } }));
    assert.equal(other.created, true, 'another key has its own room');
    await queue.stop();
    await store.close();
  });
});

describe('async-action queue: completion announcements', () => {
  it('a backend whose webhook hangs holds a few deliveries, not one per action; past the backlog they are dropped and every action still finishes', async () => {
    const store = await openStore({ kind: 'memory' });
    let calls = 0;
    let inFlight = 0;
    let peak = 0;
    const hanging: Array<() => void> = [];
    const queue = startAsyncActionQueue({
      store: store.asyncActions,
      locks: store.locks,
      leaseMs: 300,
      announceConcurrency: 3,
      maxPendingAnnouncements: 5,
      run: async () => result('ok'),
      onFinished: () => {
        calls++;
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise<void>((resolve) => hanging.push(() => (inFlight--, resolve())));
      },
    });
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push((await queue.enqueue({ integrationId: 'github', connectionId: 'alice', actionName: 'act', input: { i }, scope: KEY, maxRetries: 0 })).row.id);
    for (const id of ids) assert.equal((await settled(queue, id)).status, 'succeeded');
    assert.equal(peak, 3, 'three deliveries at once');
    assert.equal(calls, 3);
    // The hung ones end: the five that waited are delivered, the other twelve were dropped.
    while (hanging.length > 0) {
      hanging.shift()!();
      await sleep(5);
    }
    assert.equal(calls, 8);
    await queue.stop();
    await store.close();
  });
});

describe('async-action queue: stopping, odd outputs, zero waits', () => {
  const open = (): Promise<Store> => openStore({ kind: 'sqlite', file: path.join(dir, `q-${++files}.sqlite`) });
  const request = (input: unknown) => ({ integrationId: 'github', connectionId: 'alice', actionName: 'act', input, scope: KEY, maxRetries: 0 });

  it('a stopping queue keeps its runner lease while it finishes its runs: another queue does not run them again', async () => {
    const store = await open();
    let runs = 0;
    const first = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, stopGraceMs: 3000, run: async () => (runs++, await sleep(1500), result('first')) });
    const { row } = await first.enqueue(request({ long: true }));
    for (let i = 0; i < 100 && (await store.asyncActions.get(row.id))!.status !== 'running'; i++) await sleep(10);
    const second = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, run: async () => (runs++, result('second')) });
    await first.stop(); // 1.5 s of grace used: the leader lease lapses meanwhile, the runner lease does not
    const done = await settled(second, row.id);
    assert.equal(done.output, 'first');
    assert.equal(runs, 1, 'run once');
    await second.stop();
    await store.close();
  });

  it('an output that cannot be stored (a BigInt) fails the action INVALID_OUTPUT instead of leaving it running', async () => {
    const store = await open();
    const queue = startAsyncActionQueue({ store: store.asyncActions, locks: store.locks, leaseMs: 300, run: async () => result({ big: 10n }) });
    const done = await settled(queue, (await queue.enqueue(request({}))).row.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'INVALID_OUTPUT');
    await queue.stop();
    await store.close();
  });

  it('a provider wait of 0 still pauses the lane a little: no back-to-back retries', async () => {
    const store = await openStore({ kind: 'memory' });
    let calls = 0;
    const queue = startAsyncActionQueue({
      store: store.asyncActions,
      locks: store.locks,
      leaseMs: 300,
      run: async () => {
        calls++;
        if (calls <= 3) throw new PatchbayError('RATE_LIMITED', 'reset already past', { retryAfter: 1, details: { waitMs: 0 } });
        return result('ok');
      },
    });
    const started = Date.now();
    const done = await settled(queue, (await queue.enqueue(request({}))).row.id);
    assert.equal(done.status, 'succeeded');
    assert.ok(Date.now() - started >= 700, `three pauses of at least 250 ms (${Date.now() - started} ms)`);
    await queue.stop();
    await store.close();
  });
});

describe('async-action queue: a full disk at the trigger', () => {
  it('a trigger the store cannot keep is refused with STORE_ERROR: nothing is acknowledged, nothing runs', async () => {
    const store = await openStore({ kind: 'memory' });
    let runs = 0;
    const full = { ...store.asyncActions, insert: async () => { throw new PatchbayError('STORE_ERROR', 'Could not queue the asynchronous action: database or disk is full.'); } };
    const queue = startAsyncActionQueue({ store: full, locks: store.locks, leaseMs: 300, run: async () => (runs++, result('ran')) });
    await assert.rejects(queue.enqueue({ integrationId: 'github', connectionId: 'alice', actionName: 'act', input: {}, scope: KEY, maxRetries: 0 }), { code: 'STORE_ERROR' });
    await sleep(200);
    assert.equal(runs, 0);
    assert.equal(await store.asyncActions.countUnfinished(), 0);
    await queue.stop();
    await store.close();
  });
});
