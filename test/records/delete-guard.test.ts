/** The delete guard's rule, as a pure function, and its check against a store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatchbayError } from '../../src/errors.ts';
import { checkDeletePass, DEFAULT_MAX_DELETE_SHARE, deletePassRefusal, maxDeleteShareFrom, MIN_GUARDED_RECORDS, type DeleteGuard } from '../../src/records/delete-guard.ts';
import { createMemoryRecordStore } from '../../src/store/memory/records.ts';

const scope = { integrationId: 'github', connectionId: 'alice', model: 'Issue' };
const guard = (extra: Partial<DeleteGuard> = {}): DeleteGuard => ({ maxShare: DEFAULT_MAX_DELETE_SHARE, allowMassDeletes: false, syncName: 'issues', ...extra });
const pass = (live: number, unseen: number, added = 0) => ({ scope, live, unseen, added });

test('defaults: half of a model, models of 10 records and more', () => {
  assert.equal(DEFAULT_MAX_DELETE_SHARE, 0.5);
  assert.equal(MIN_GUARDED_RECORDS, 10);
});

test('a pass removing more than the share while the model shrinks is refused, saying why and how to opt in', () => {
  const error = deletePassRefusal(pass(100, 70), guard());
  assert.ok(error instanceof PatchbayError);
  assert.equal(error.code, 'MASS_DELETE_REFUSED');
  assert.match(error.message, /Refused to delete 70 of 100 Issue records \(70%, more than the 50% limit\)/);
  assert.match(error.message, /saved 30 Issue records, fewer than the 100 it held before/);
  assert.match(error.message, /No Issue record was deleted/);
  assert.match(error.message, /patchbay sync run issues --integration github --connection alice --allow-mass-deletes/);
  assert.match(error.message, /"syncs": \{ "issues": \{ "allowMassDeletes": true \} \}/);
  assert.match(error.message, /integrations\/github\/integration\.json/);
  assert.match(error.message, /PATCHBAY_SYNC_MAX_DELETE_SHARE/);
  assert.deepEqual(error.details, { reason: 'mass_delete', model: 'Issue', live: 100, toDelete: 70, saved: 30, before: 100, share: 0.7, maxShare: 0.5 });
});

test('what passes: within the share, the opt-in, small models, a growing model, nothing to delete', () => {
  assert.equal(deletePassRefusal(pass(100, 50), guard()), undefined, 'exactly the share');
  assert.equal(deletePassRefusal(pass(100, 70), guard({ allowMassDeletes: true })), undefined, 'opted in');
  assert.equal(deletePassRefusal(pass(100, 70), guard({ maxShare: 0.8 })), undefined, 'a higher share');
  assert.equal(deletePassRefusal(pass(100, 100), guard({ maxShare: 1 })), undefined, '1 turns the guard off');
  assert.equal(deletePassRefusal(pass(9, 9), guard()), undefined, 'fewer than 10 live records');
  assert.ok(deletePassRefusal(pass(10, 6), guard()), '10 live records are guarded');
  assert.equal(deletePassRefusal(pass(100, 0, 100), guard({ maxShare: 0 })), undefined, 'a first run deletes nothing');
  // 150 live after this run added 50: 40 old ones unseen (27%), but 110 saved > 100 before.
  assert.equal(deletePassRefusal(pass(150, 40, 50), guard({ maxShare: 0.2 })), undefined, 'churn in a growing model');
  assert.ok(deletePassRefusal(pass(150, 40, 30), guard({ maxShare: 0.2 })), 'the same share while shrinking');
  assert.ok(deletePassRefusal(pass(100, 1), guard({ maxShare: 0 })), '0 refuses any shrinking pass');
});

test('PATCHBAY_SYNC_MAX_DELETE_SHARE: a number from 0 to 1, else the default with a reason', () => {
  assert.deepEqual(maxDeleteShareFrom({}), { share: 0.5 });
  assert.deepEqual(maxDeleteShareFrom({ PATCHBAY_SYNC_MAX_DELETE_SHARE: '0.8' }), { share: 0.8 });
  assert.deepEqual(maxDeleteShareFrom({ PATCHBAY_SYNC_MAX_DELETE_SHARE: '1' }), { share: 1 });
  assert.deepEqual(maxDeleteShareFrom({ PATCHBAY_SYNC_MAX_DELETE_SHARE: ' ' }), { share: 0.5 });
  for (const bad of ['80%', '1.5', '-0.1', 'abc']) {
    const { share, problem } = maxDeleteShareFrom({ PATCHBAY_SYNC_MAX_DELETE_SHARE: bad });
    assert.equal(share, 0.5, bad);
    assert.match(problem ?? '', /PATCHBAY_SYNC_MAX_DELETE_SHARE .* a number from 0 to 1/, bad);
  }
});

test('checkDeletePass counts against the store and throws before anything is deleted', async () => {
  const store = createMemoryRecordStore();
  await store.save(scope, Array.from({ length: 20 }, (_, i) => ({ id: String(i), data: { id: String(i) } })));
  await store.markSeenStart(scope, 'run');
  await store.save(scope, [{ id: '0', data: { id: '0' } }]);
  await assert.rejects(checkDeletePass(store, scope, 'run', 0, guard()), { code: 'MASS_DELETE_REFUSED' });
  assert.equal(await store.count(scope), 20);
  await checkDeletePass(store, scope, 'run', 0, guard({ allowMassDeletes: true }));
  await checkDeletePass(store, scope, 'other-run', 0, guard());
  assert.equal(await store.deleteUnseen(scope, 'run'), 19, 'the session is still open after a refusal');
});
