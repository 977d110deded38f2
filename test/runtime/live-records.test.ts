/** The record capabilities of a live sync run: trackDeletesEnd weighs its pass with the run's delete guard. */
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
