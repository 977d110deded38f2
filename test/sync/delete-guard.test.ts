/**
 * Issue #11, "a malformed 200 response wipes a trackDeletes model", end to end through the real
 * runtime, the SQLite store and the fake API: a 200 with an HTML body labelled JSON fails the run
 * and deletes nothing; a run that saves 30 of 100 records has its delete pass refused unless the
 * sync opts in (`allowMassDeletes` on the run, in integration.json, or a higher share).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { LogEntry } from '../../src/runtime/types.ts';
import { runSync } from '../../src/sync/runner.ts';
import type { RunSyncOptions } from '../../src/sync/types.ts';
import { syncProject, type SyncProject } from './project.ts';

let project: SyncProject;
let runtime: App;

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `item-${i + 1}`, n: i + 1 }));
const serve = (n: number) => {
  project.api.state.pagedBody = null;
  project.api.state.pagedItems = items(n);
};

before(async () => {
  project = await syncProject();
  runtime = await project.open();
  for (const id of ['g1', 'g2', 'g3', 'g4', 'g5']) {
    await runtime.connections.add({ integrationId: 'guarded', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  }
});
after(() => project.cleanup());

const run = (syncName: string, connectionId: string, extra: Partial<RunSyncOptions> = {}) =>
  runSync(runtime, { integrationId: 'guarded', syncName, connectionId, trigger: 'manual', env: {}, webhooks: { retryDelaysMs: [20, 20] }, ...extra });

const live = (connectionId: string) => runtime.store.records.count({ integrationId: 'guarded', connectionId, model: 'Entry' });

test('a 200 with an HTML body labelled JSON fails the run with invalid_json; all 100 records stay live', async () => {
  serve(100);
  const first = await run('entries', 'g1');
  assert.equal(first.status, 'success', first.error ?? '');
  assert.equal(first.added, 100);
  const lastSuccess = (await runtime.store.syncs.getState('guarded', 'g1', 'entries'))?.last_success_at;

  project.api.state.pagedBody = { contentType: 'application/json', body: '<html>oops</html>' };
  const logs: LogEntry[] = [];
  const broken = await run('entries', 'g1', { onLog: (entry) => logs.push(entry) });
  assert.equal(broken.status, 'failed');
  assert.match(broken.error ?? '', /^UPSTREAM_HTTP_ERROR: FakeAPI|^UPSTREAM_HTTP_ERROR: /);
  assert.match(broken.error ?? '', /answered 200 to GET .*\/paged\/cursor with a body that is not valid JSON although its content-type is application\/json: <html>oops<\/html>/);
  assert.equal(broken.deleted, 0);
  assert.equal(await live('g1'), 100, 'nothing deleted');
  const stored = (await runtime.store.syncs.listRuns({ integrationId: 'guarded', connectionId: 'g1', syncName: 'entries', limit: 1 }))[0]!;
  assert.equal(stored.id, broken.id);
  assert.equal(stored.error, broken.error, 'the failure is in the run row');
  assert.ok(logs.some((l) => l.level === 'error' && /not valid JSON/.test(l.message)), 'and in the execution log');
  assert.equal((await runtime.store.syncs.getState('guarded', 'g1', 'entries'))?.last_success_at, lastSuccess);
  const hook = project.webhooks.at(-1)!;
  assert.equal(hook.body['success'], false);
  assert.equal((hook.body['error'] as { type: string }).type, 'UPSTREAM_HTTP_ERROR');
});

test('a run that saves 30 of 100 has its delete pass refused: nothing deleted, the run says why and how to opt in', async () => {
  serve(30);
  const refused = await run('entries', 'g1');
  assert.equal(refused.status, 'failed');
  const error = refused.error ?? '';
  assert.match(error, /^MASS_DELETE_REFUSED: /);
  assert.match(error, /70 of 100 Entry records \(70%/, 'names the model, the counts and the share');
  assert.match(error, /50%/, 'and the limit');
  assert.match(error, /--allow-mass-deletes/, 'and the one-off opt-in');
  assert.match(error, /"allowMassDeletes": true/, 'and the lasting one');
  assert.match(error, /integrations\/guarded\/integration\.json|guarded\/integration\.json/);
  assert.equal(await live('g1'), 100, 'all 100 still live');
  const hook = project.webhooks.at(-1)!;
  assert.equal(hook.body['success'], false);
  assert.equal(hook.body['model'], 'Entry');
  assert.equal((hook.body['error'] as { type: string }).type, 'MASS_DELETE_REFUSED');
  assert.match((hook.body['error'] as { description: string }).description, /--allow-mass-deletes/);
});

test('with allowMassDeletes on the run (sync run --allow-mass-deletes) the pass deletes the 70', async () => {
  serve(30);
  const allowed = await run('entries', 'g1', { allowMassDeletes: true });
  assert.equal(allowed.status, 'success', allowed.error ?? '');
  assert.equal(allowed.deleted, 70);
  assert.equal(await live('g1'), 30);
  const again = await run('entries', 'g1');
  assert.equal(again.status, 'success', 'the next run has nothing to delete');
  assert.equal(again.deleted, 0);
});

test('allowMassDeletes in integration.json opts a sync out for good', async () => {
  serve(100);
  assert.equal((await run('trusted', 'g2')).added, 100);
  serve(30);
  const row = await run('trusted', 'g2');
  assert.equal(row.status, 'success', row.error ?? '');
  assert.equal(row.deleted, 70);
  assert.equal(await live('g2'), 30);
});

test('trackDeletesStart + deleteRecordsFromPreviousExecutions by hand is guarded the same way', async () => {
  serve(100);
  assert.equal((await run('by-hand', 'g3')).added, 100);
  serve(30);
  const refused = await run('by-hand', 'g3');
  assert.equal(refused.status, 'failed');
  assert.match(refused.error ?? '', /^MASS_DELETE_REFUSED: .*70 of 100 Entry records/);
  assert.equal(await live('g3'), 100);
  const allowed = await run('by-hand', 'g3', { allowMassDeletes: true });
  assert.equal(allowed.status, 'success', allowed.error ?? '');
  assert.equal(allowed.deleted, 70);
  assert.equal(await live('g3'), 30);
});

test('PATCHBAY_SYNC_MAX_DELETE_SHARE sets the limit; a share at or under it deletes', async () => {
  serve(100);
  await run('entries', 'g4');
  serve(75);
  const strict = await run('entries', 'g4', { env: { PATCHBAY_SYNC_MAX_DELETE_SHARE: '0.2' } });
  assert.equal(strict.status, 'failed');
  assert.match(strict.error ?? '', /25 of 100 Entry records \(25%.*20%/);
  assert.equal(await live('g4'), 100);
  const byDefault = await run('entries', 'g4');
  assert.equal(byDefault.status, 'success', '25% is within the default 50%');
  assert.equal(byDefault.deleted, 25);
  serve(30);
  const loose = await run('entries', 'g4', { env: { PATCHBAY_SYNC_MAX_DELETE_SHARE: '0.8' } });
  assert.equal(loose.status, 'success', loose.error ?? '');
  assert.equal(loose.deleted, 45);
});

test('a model with fewer than 10 live records is not guarded', async () => {
  serve(9);
  await run('entries', 'g5');
  serve(1);
  const row = await run('entries', 'g5');
  assert.equal(row.status, 'success', row.error ?? '');
  assert.equal(row.deleted, 8);
});
