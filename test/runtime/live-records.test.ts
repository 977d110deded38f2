/** The record capabilities of a live sync run: writes behind the function (ordered, bounded, failures surfaced), and trackDeletesEnd weighs its pass with the run's delete guard. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDeleteGuard } from '../../src/records/delete-guard.ts';
import { liveRecords } from '../../src/runtime/live-records.ts';
import { createMemoryRecordStore } from '../../src/store/memory/records.ts';

const things = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: String(from + i) }));
const scope = { integrationId: 'fake', connectionId: 'c1', model: 'Thing' };

test('trackDeletesEnd refuses a pass past the guard, counting what this run added, and deletes once allowed', async () => {
  const store = createMemoryRecordStore();
  const first = liveRecords(store, 'fake', 'c1', 'run-1', defaultDeleteGuard('things'));
  await first.caps.save('Thing', things(1, 20));
  await first.drain(); // a run ends when its writes are done (liveScope's finish)

  const shrinking = liveRecords(store, 'fake', 'c1', 'run-2', defaultDeleteGuard('things'));
  await shrinking.caps.trackDeletesStart('Thing');
  await shrinking.caps.save('Thing', things(1, 5));
  await assert.rejects(shrinking.caps.trackDeletesEnd('Thing'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'MASS_DELETE_REFUSED');
    assert.match(error.message, /Refused to delete 15 of 20 Thing records \(75%/);
    assert.match(error.message, /patchbay sync run things --integration fake --connection c1 --allow-mass-deletes/);
    return true;
  });
  assert.equal(await store.count(scope), 20, 'nothing deleted');

  // Replacing 15 records with 16 new ones: 15 of 36 (42%) go, over a 20% limit, but the model grows.
  const churn = liveRecords(store, 'fake', 'c1', 'run-3', { ...defaultDeleteGuard('things'), maxShare: 0.2 });
  await churn.caps.trackDeletesStart('Thing');
  await churn.caps.save('Thing', [...things(1, 5), ...things(21, 36)]);
  assert.equal(((await churn.caps.trackDeletesEnd('Thing')) as { deletedKeys: string[] }).deletedKeys.length, 15);
  assert.deepEqual(churn.changes()['Thing'], { added: 16, updated: 0, deleted: 15, unchanged: 5 });

  const allowed = liveRecords(store, 'fake', 'c1', 'run-4', { ...defaultDeleteGuard('things'), allowMassDeletes: true });
  await allowed.caps.trackDeletesStart('Thing');
  await allowed.caps.save('Thing', things(1, 1));
  assert.equal(((await allowed.caps.trackDeletesEnd('Thing')) as { deletedKeys: string[] }).deletedKeys.length, 20);
  assert.equal(await store.count(scope), 1);
});

/** A memory store whose writes take `ms` and can be made to fail; it notes which batches were written. */
function slowStore(ms: number) {
  const store = createMemoryRecordStore();
  const written: string[] = [];
  let failNext: Error | undefined;
  const save = store.save.bind(store);
  store.save = async (scope, records, runId) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (failNext) {
      const error = failNext;
      failNext = undefined;
      throw error;
    }
    const summary = await save(scope, records, runId);
    written.push(records.map((r) => r.id).join(','));
    return summary;
  };
  return { store, written, fail: (error: Error) => (failNext = error) };
}

test('batchSave answers before its write, keeps at most one write behind, and reads wait for the writes before them', async () => {
  const { store, written } = slowStore(40);
  const live = liveRecords(store, 'fake', 'c1', 'run-1');
  await live.caps.save('Thing', things(1, 2));
  assert.deepEqual(written, [], 'the first batch is written behind the function');
  await live.caps.save('Thing', things(3, 4));
  assert.deepEqual(written, ['1,2'], 'the second call waited for the first write: one write behind at most');
  const found = await live.caps.getByIds('Thing', ['3', '4']);
  assert.deepEqual(written, ['1,2', '3,4'], 'a read waits for the writes before it');
  assert.equal(found.length, 2);
  await live.drain();
  assert.deepEqual(live.changes()['Thing'], { added: 4, updated: 0, deleted: 0, unchanged: 0 });
});

test('a write that fails behind the function fails its next record call and the end of the run; bad records fail at once', async () => {
  const { store, fail } = slowStore(5);
  const live = liveRecords(store, 'fake', 'c1', 'run-1');
  fail(Object.assign(new Error('disk full'), { code: 'STORE_ERROR' }));
  await live.caps.save('Thing', things(1, 2));
  await assert.rejects(live.caps.save('Thing', things(3, 4)), /disk full/);
  await assert.rejects(live.drain(), /disk full/);
  assert.equal(await store.count(scope), 0, 'nothing after the failed write was written');
  const fresh = liveRecords(store, 'fake', 'c1', 'run-2');
  await assert.rejects(fresh.caps.save('Thing', [{ title: 'no id' }] as never), (error: Error & { code?: string }) => error.code === 'INVALID_RECORD');
});
