import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { EXECUTION_FINISH, EXECUTION_START, type ExecutionEvent } from '../../src/observability/channels.ts';
import { PatchbayError } from '../../src/errors.ts';
import { createExecutor, type Isolation } from '../../src/runtime/executor.ts';
import { fixtureManifest, memoryScope } from './helpers.ts';

for (const isolation of ['process', 'worker'] as Isolation[]) {
  describe(`isolation: ${isolation}`, () => {
    const executor = createExecutor({
      isolation,
      manifest: fixtureManifest(),
      scope: memoryScope(),
      pool: { minWorkers: 2, maxWorkers: 4, memoryLimitMb: 48, cancelGraceMs: 1000 },
    });
    after(() => executor.close());

    const misbehave = (mode: string, extra: Record<string, unknown> = {}) =>
      executor.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode }, ...extra });

    async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof PatchbayError, `expected PatchbayError, got ${String(error)}`);
        assert.equal(error.code, code, error.message);
        if (pattern) assert.match(error.message, pattern);
        return true;
      });
    }

    // Two warm workers, so the looping job below starts at once (a job cancelled before its worker is
    // ready never runs, and then no worker needs replacing).
    before(async () => {
      await Promise.all([0, 1].map(() => misbehave('sleep', { input: { mode: 'sleep', ms: 30 } })));
    });

    test('a CPU-bound infinite loop times out, the worker is replaced, a concurrent run succeeds', async () => {
      const before = executor.pool!.replaced;
      const looping = misbehave('loop', { timeoutMs: 300 });
      // In process mode a runner serves one connection; the concurrent run is another connection's.
      const healthy = misbehave('sleep', { input: { mode: 'sleep', ms: 50 }, connectionId: isolation === 'process' ? 'c2' : 'c1' });
      await rejectsWith(looping, 'TIMEOUT', /did not finish within 300 ms/);
      assert.equal((await healthy).output, 'slept');
      // The stuck worker is terminated after the grace period.
      for (let i = 0; i < 250 && executor.pool!.replaced === before; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(executor.pool!.replaced, before + 1);
      assert.deepEqual((await misbehave('ok')).output, { ok: true });
    });

    test('a memory bomb ends with MEMORY_LIMIT and the next run works', async () => {
      await rejectsWith(misbehave('memory'), 'MEMORY_LIMIT', /48 MB/);
      assert.deepEqual((await misbehave('ok')).output, { ok: true });
    });

    test('process.exit() ends with FUNCTION_CRASHED', async () => {
      await rejectsWith(misbehave('exit'), 'FUNCTION_CRASHED', /exit code 3/);
      assert.deepEqual((await misbehave('ok')).output, { ok: true });
    });

    test('an unhandled rejection ends with FUNCTION_CRASHED naming the error', async () => {
      await rejectsWith(misbehave('rejection'), 'FUNCTION_CRASHED', /nobody awaits me/);
      assert.deepEqual((await misbehave('ok')).output, { ok: true });
    });

    test('a caller abort cancels the run; a cooperative function frees its worker', async () => {
      const controller = new AbortController();
      const before = executor.pool!.replaced;
      const run = executor.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'sleep-signal', ms: 10_000 }, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await rejectsWith(run, 'ABORTED', /cancelled by the caller/);
      await new Promise((r) => setTimeout(r, 1300));
      assert.equal(executor.pool!.replaced, before, 'a function that honours the signal keeps its worker');
    });

    test('thrown errors: ActionError passes its payload, others become FUNCTION_ERROR with the user stack', async () => {
      await assert.rejects(misbehave('action-error'), (error: PatchbayError) => {
        assert.equal(error.code, 'ACTION_ERROR');
        assert.deepEqual(error.details, { message: 'Repository not found', repo: 'x/y' });
        return true;
      });
      await assert.rejects(misbehave('throw'), (error: PatchbayError) => {
        assert.equal(error.code, 'FUNCTION_ERROR');
        assert.match(error.message, /TypeError: cannot read the thing/);
        const stack = (error.details as { stack: string }).stack;
        assert.match(stack, /misbehave\.mjs/);
        assert.doesNotMatch(stack, /src\/runtime/);
        return true;
      });
    });

    test('a non-serialisable output is refused with a clear error', async () => {
      await rejectsWith(
        executor.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'function-output' }, validate: false }),
        'INVALID_OUTPUT',
        /cannot be sent back/,
      );
    });

    test('an input that cannot be sent to a worker is refused, the pool goes on', async () => {
      await rejectsWith(executor.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'ok', fn: () => 1 }, validate: false }), 'INVALID_INPUT', /cannot be sent/);
      assert.deepEqual((await misbehave('ok')).output, { ok: true });
    });

    test('syncs run in their own pool: a long sync never makes an action wait for a worker', async () => {
      const single = createExecutor({ isolation, manifest: fixtureManifest(), scope: memoryScope(), pool: { minWorkers: 1, maxWorkers: 1 } });
      try {
        const controller = new AbortController();
        let syncSettled = false;
        const sync = single.run({ integrationId: 'fake', name: 'slow-sync', connectionId: 'c1', signal: controller.signal });
        sync.then(() => (syncSettled = true), () => (syncSettled = true));
        const action = await single.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'ok' } });
        assert.deepEqual(action.output, { ok: true });
        assert.equal(syncSettled, false, 'the action finished while the sync still held its worker');
        controller.abort();
        await rejectsWith(sync, 'ABORTED');
      } finally {
        await single.close();
      }
    });

    test('a worker that imported many bundle versions is recycled when idle', async () => {
      const recycling = createExecutor({ isolation, manifest: fixtureManifest(), scope: memoryScope(), pool: { minWorkers: 1, maxWorkers: 1, recycleAfter: 1 } });
      try {
        await recycling.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'ok' } });
        assert.equal(recycling.pool!.recycled, 0, 'one import is within the limit');
        await recycling.run({ integrationId: 'fake', name: 'echo', connectionId: 'c1', input: { message: 'hi' } });
        for (let i = 0; i < 250 && recycling.pool!.recycled === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(recycling.pool!.recycled, 1);
        assert.equal(recycling.pool!.replaced, 0, 'recycling is not a crash');
        assert.deepEqual((await recycling.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'ok' } })).output, { ok: true });
      } finally {
        await recycling.close();
      }
    });

    test('a throwing onLog or onProgress callback neither fails the run nor crashes the process', async () => {
      const result = await executor.run({
        integrationId: 'fake',
        name: 'echo',
        connectionId: 'c1',
        input: { message: 'hi' },
        onLog: () => {
          throw new Error('front end bug');
        },
        onProgress: () => {
          throw new Error('front end bug');
        },
      });
      assert.equal((result.output as { echoed: string }).echoed, 'hi');
      assert.equal(result.logs.length, 2);
    });

    test('executions are published on diagnostics_channel (start, finish with duration or error code)', async () => {
      const events: Array<[string, ExecutionEvent]> = [];
      const onStart = (message: unknown) => events.push(['start', message as ExecutionEvent]);
      const onFinish = (message: unknown) => events.push(['finish', message as ExecutionEvent]);
      diagnostics_channel.subscribe(EXECUTION_START, onStart);
      diagnostics_channel.subscribe(EXECUTION_FINISH, onFinish);
      try {
        await misbehave('ok');
        await misbehave('throw').catch(() => undefined);
      } finally {
        diagnostics_channel.unsubscribe(EXECUTION_START, onStart);
        diagnostics_channel.unsubscribe(EXECUTION_FINISH, onFinish);
      }
      assert.deepEqual(events.map(([kind, e]) => [kind, e.name, e.error?.code]), [
        ['start', 'misbehave', undefined],
        ['finish', 'misbehave', undefined],
        ['start', 'misbehave', undefined],
        ['finish', 'misbehave', 'FUNCTION_ERROR'],
      ]);
      assert.equal(events[0]![1].executionId, events[1]![1].executionId);
      assert.ok((events[1]![1].durationMs ?? -1) >= 0);
    });

    test('a malformed request is refused with INVALID_ARGUMENT naming the field', async () => {
      await rejectsWith(executor.run({ integrationId: 'fake', name: undefined, connectionId: 'c1' } as never), 'INVALID_ARGUMENT', /"name"/);
      await rejectsWith(executor.run({ integrationId: 'fake', name: 'echo', connectionId: '' }), 'INVALID_ARGUMENT', /"connectionId"/);
    });

    test('user code in a worker does not see the server’s environment (secrets stay on the main thread)', async () => {
      process.env['PATCHBAY_TEST_SECRET'] = 'do-not-leak';
      // A fresh executor: its workers are spawned while the secret is in process.env.
      const fresh = createExecutor({ isolation, manifest: fixtureManifest(), scope: memoryScope(), pool: { minWorkers: 1, maxWorkers: 1 } });
      try {
        const keys = (await fresh.run({ integrationId: 'fake', name: 'misbehave', connectionId: 'c1', input: { mode: 'env' } })).output as string[];
        assert.ok(!keys.includes('PATCHBAY_TEST_SECRET'), `worker saw ${keys.join(', ')}`);
        assert.ok(keys.every((k) => ['NODE_ENV', 'TZ', 'LANG', 'LC_ALL'].includes(k)));
      } finally {
        delete process.env['PATCHBAY_TEST_SECRET'];
        await fresh.close();
      }
    });
  });
}
