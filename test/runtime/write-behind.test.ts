/**
 * Record writes run one batch behind a sync (runtime/live-records.ts): through the real runtime
 * (a runner process, SQLite), a checkpoint is never stored ahead of the records before it, and a
 * write that fails fails the run with the checkpoint left where the records are.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { checkpointKey } from '../../src/runtime/live-capabilities.ts';
import { PatchbayError } from '../../src/errors.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

let project: RuntimeProject;
let runtime: App;
/** Rows stored for each connection when each checkpoint was written. */
const seenAtCheckpoint: Array<{ key: string; page: number; rows: number }> = [];
let failOnSave: number | undefined;

before(async () => {
  project = await runtimeProject();
  runtime = await project.open();
  for (const id of ['w1', 'w2']) await runtime.connections.add({ integrationId: 'fake', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  const records = runtime.store.records;
  const save = records.save.bind(records);
  let saves = 0;
  // Slow writes, so a checkpoint that did not wait would overtake them; one can be made to fail.
  records.save = async (scope, input, runId) => {
    await new Promise((resolve) => setTimeout(resolve, 40));
    if (++saves === failOnSave) throw new PatchbayError('STORE_ERROR', 'Saving records failed: database or disk is full.');
    return save(scope, input, runId);
  };
  const kv = runtime.store.kv;
  const set = kv.set.bind(kv);
  kv.set = async (key, value, ttl) => {
    const connection = /^checkpoint:fake:(w\d):pages$/.exec(key)?.[1];
    if (connection) {
      const rows = await records.count({ integrationId: 'fake', connectionId: connection, model: 'Row' });
      seenAtCheckpoint.push({ key, page: (value as { page: number }).page, rows });
    }
    return set(key, value, ttl);
  };
});
after(() => project.cleanup());

test('each checkpoint is stored after the records before it; the run reports every record', async () => {
  const result = await runtime.executor.run({ integrationId: 'fake', name: 'pages', connectionId: 'w1' });
  const checkpoints = seenAtCheckpoint.filter((c) => c.key.includes(':w1:'));
  assert.deepEqual(checkpoints.map((c) => [c.page, c.rows]), [[1, 10], [2, 20], [3, 30]]);
  assert.deepEqual(result.changes?.['Row'], { added: 30, updated: 0, deleted: 0, unchanged: 0 });
});

test('a write that fails behind the function fails the run; the checkpoint stays with the records', async () => {
  seenAtCheckpoint.length = 0;
  failOnSave = 2 + 3; // the second page of this run (the first test made three saves)
  await assert.rejects(runtime.executor.run({ integrationId: 'fake', name: 'pages', connectionId: 'w2' }), (error: PatchbayError) => {
    assert.equal(error.code, 'STORE_ERROR');
    assert.match(error.message, /disk is full/);
    return true;
  });
  failOnSave = undefined;
  assert.deepEqual(await runtime.store.kv.get(checkpointKey('fake', 'w2', 'pages')), { page: 1 });
  assert.equal(await runtime.store.records.count({ integrationId: 'fake', connectionId: 'w2', model: 'Row' }), 10);
  // The next run resumes from the checkpoint and completes the set.
  await runtime.executor.run({ integrationId: 'fake', name: 'pages', connectionId: 'w2' });
  assert.equal(await runtime.store.records.count({ integrationId: 'fake', connectionId: 'w2', model: 'Row' }), 30);
});
