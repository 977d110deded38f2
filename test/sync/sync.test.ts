/**
 * Sync runs end to end through the real runtime (inline isolation), the SQLite store and the
 * fake API: first run, incremental changes, unchanged re-run, trackDeletes, webhooks (signature
 * verified by a real receiver), failures, isolation between connections, the lease.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { queryRecords } from '../../src/records/query.ts';
import type { App } from '../../src/app.ts';
import { runSync } from '../../src/sync/runner.ts';
import type { RunSyncOptions } from '../../src/sync/types.ts';
import { syncProject, type SyncProject } from './project.ts';

let project: SyncProject;
let runtime: App;

before(async () => {
  project = await syncProject();
  runtime = await project.open();
  for (const id of ['c1', 'c2']) {
    await runtime.connections.add({ integrationId: 'fake', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  }
});
after(() => project.cleanup());

const run = (connectionId: string, syncName = 'items', extra: Partial<RunSyncOptions> = {}) =>
  runSync(runtime, { integrationId: 'fake', syncName, connectionId, trigger: 'manual', env: {}, webhooks: { retryDelaysMs: [20, 20] }, ...extra });

async function allRecords(connectionId: string, model = 'Item') {
  const out = new Map<string, Record<string, unknown>>();
  let cursor: string | undefined;
  do {
    const page = await queryRecords(runtime.store.records, { integrationId: 'fake', connectionId, model }, { limit: 7, ...(cursor ? { cursor } : {}) });
    for (const r of page.records) out.set(String(r['id']), r);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

const live = (records: Map<string, Record<string, unknown>>) =>
  [...records.values()].filter((r) => (r['_nango_metadata'] as { deleted_at: string | null }).deleted_at === null);

test('first run saves every record, records the run and sends a signed INITIAL webhook', async () => {
  const row = await run('c1');
  assert.equal(row.status, 'success', row.error ?? '');
  assert.deepEqual([row.added, row.updated, row.deleted], [23, 0, 0]);
  assert.ok(row.duration_ms !== null && row.finished_at);
  const records = await allRecords('c1');
  assert.equal(records.size, 23);
  const first = records.get('item-1')!;
  assert.equal(first['n'], 1);
  assert.equal((first['_nango_metadata'] as { last_action: string }).last_action, 'ADDED');
  assert.equal(project.webhooks.length, 1);
  const hook = project.webhooks[0]!;
  assert.equal(hook.verified, true, 'both signature headers verify');
  assert.deepEqual(
    { ...hook.body, modifiedAfter: undefined, queryTimeStamp: undefined },
    {
      from: 'patchbay',
      type: 'sync',
      connectionId: 'c1',
      providerConfigKey: 'fake',
      syncName: 'items',
      syncVariant: 'base',
      model: 'Item',
      syncType: 'INITIAL',
      success: true,
      responseResults: { added: 23, updated: 0, deleted: 0 },
      modifiedAfter: undefined,
      queryTimeStamp: undefined,
    },
  );
  // modifiedAfter is the earliest change not announced before: reading from it returns the run's records.
  assert.ok(String(hook.body['modifiedAfter']) >= row.started_at);
  const announced = await queryRecords(runtime.store.records, { integrationId: 'fake', connectionId: 'c1', model: 'Item' }, { modifiedAfter: String(hook.body['modifiedAfter']), limit: 100 });
  assert.equal(announced.records.length, 23);
  const state = await runtime.store.syncs.getState('fake', 'c1', 'items');
  assert.equal(state?.last_run_id, row.id);
  assert.ok(state?.last_success_at);
});

test('an unchanged re-run changes nothing and sends no webhook', async () => {
  const before = await allRecords('c1');
  const row = await run('c1');
  assert.equal(row.status, 'success');
  assert.deepEqual([row.added, row.updated, row.deleted], [0, 0, 0]);
  assert.equal(project.webhooks.length, 1, 'no new webhook');
  const afterRun = await allRecords('c1');
  for (const [id, record] of before) assert.deepEqual(afterRun.get(id)!['_nango_metadata'], record['_nango_metadata'], `record ${id} untouched`);
});

test('an incremental run reports updates, additions and trackDeletes deletions', async () => {
  const items = project.api.state.pagedItems;
  items[0]!.n = 100; // item-1 updated
  items[1]!.n = 200; // item-2 updated
  items.splice(5, 3); // item-6..8 gone
  items.push({ id: 'item-24', n: 24 });
  const row = await run('c1');
  assert.equal(row.status, 'success', row.error ?? '');
  assert.deepEqual([row.added, row.updated, row.deleted], [1, 2, 3]);
  const records = await allRecords('c1');
  assert.equal(live(records).length, 21);
  const deleted = [...records.values()].filter((r) => (r['_nango_metadata'] as { last_action: string }).last_action === 'DELETED').map((r) => r['id']);
  assert.deepEqual(deleted.sort(), ['item-6', 'item-7', 'item-8']);
  assert.equal(records.get('item-1')!['n'], 100);
  const hook = project.webhooks.at(-1)!;
  assert.equal(project.webhooks.length, 2);
  assert.equal(hook.verified, true);
  assert.equal(hook.body['syncType'], 'INCREMENTAL');
  assert.deepEqual(hook.body['responseResults'], { added: 1, updated: 2, deleted: 3 });
  // What the webhook says changed is exactly what modifiedAfter returns.
  const changed = await queryRecords(runtime.store.records, { integrationId: 'fake', connectionId: 'c1', model: 'Item' }, { modifiedAfter: String(hook.body['modifiedAfter']) });
  assert.equal(changed.records.length, 6);
});

test('connections are isolated: another connection keeps its own records and history', async () => {
  const row = await run('c2');
  assert.equal(row.status, 'success');
  assert.deepEqual([row.added, row.updated, row.deleted], [21, 0, 0], 'c2 starts from scratch with the current data');
  const c1 = await allRecords('c1');
  const c2 = await allRecords('c2');
  assert.equal(c1.size, 24, 'c1 still holds its deleted records');
  assert.equal(c2.size, 21);
  assert.equal(project.webhooks.at(-1)!.body['connectionId'], 'c2');
  assert.equal(project.webhooks.at(-1)!.body['syncType'], 'INITIAL');
  project.api.state.pagedItems.splice(0, 1); // item-1 disappears: only the connection that syncs sees it
  assert.equal((await run('c2')).deleted, 1);
  assert.equal(live(await allRecords('c1')).length, 21, 'c1 untouched by c2’s run');
});

test('two runs of one sync for one connection never overlap; different connections do', async () => {
  const slow = { leaseMs: 5000 };
  const [a, b, c] = await Promise.allSettled([run('c1', 'items', slow), run('c1', 'items', slow), run('c2', 'items', slow)]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(b.status, 'rejected');
  assert.equal((b as PromiseRejectedResult).reason.code, 'LOCKED');
  assert.equal(c.status, 'fulfilled');
});

test('a failing run is recorded with its error and sends the failure webhook', async () => {
  const count = project.webhooks.length;
  const row = await run('c1', 'broken');
  assert.equal(row.status, 'failed');
  assert.match(row.error ?? '', /upstream said no/);
  assert.deepEqual([row.added, row.updated, row.deleted], [1, 0, 0], 'what it saved before failing, not +0');
  const hook = project.webhooks.at(-1)!;
  assert.equal(project.webhooks.length, count + 1);
  assert.equal(hook.verified, true);
  assert.equal(hook.body['success'], false);
  assert.equal(hook.body['model'], 'Thing');
  assert.equal((hook.body['error'] as { type: string }).type, 'FUNCTION_ERROR');
  assert.match((hook.body['error'] as { description: string }).description, /upstream said no/);
  assert.deepEqual(hook.body['responseResults'], { added: 1, updated: 0, deleted: 0 }, 'the failure webhook says what the run saved');
  assert.equal(hook.body['modifiedAfter'], undefined, 'a failed run announces nothing: the next success does');
  const runs = await runtime.store.syncs.listRuns({ integrationId: 'fake', connectionId: 'c1', syncName: 'broken' });
  assert.equal(runs[0]?.status, 'failed');
});

test('webhook deliveries are retried until the receiver accepts them', async () => {
  const count = project.webhooks.length;
  project.failNextWebhooks(2);
  project.api.state.pagedItems.push({ id: 'item-25', n: 25 });
  const row = await run('c1');
  assert.equal(row.added, 1);
  assert.equal(project.webhooks.length, count + 1, 'delivered on the third attempt');
  assert.equal(project.webhooks.at(-1)!.verified, true);
});

test('changes whose webhook could not be delivered are announced again with the next ones', async () => {
  const count = project.webhooks.length;
  project.failNextWebhooks(3); // every attempt of the next delivery
  project.api.state.pagedItems.push({ id: 'item-26', n: 26 });
  assert.equal((await run('c1')).added, 1);
  assert.equal(project.webhooks.length, count, 'not delivered');
  project.api.state.pagedItems.push({ id: 'item-27', n: 27 });
  assert.equal((await run('c1')).added, 1);
  assert.equal(project.webhooks.length, count + 1);
  const hook = project.webhooks.at(-1)!.body;
  assert.deepEqual(hook['responseResults'], { added: 2, updated: 0, deleted: 0 }, 'both runs’ changes, since the last delivered webhook');
  const changed = await queryRecords(runtime.store.records, { integrationId: 'fake', connectionId: 'c1', model: 'Item' }, { modifiedAfter: String(hook['modifiedAfter']) });
  const ids = changed.records.map((r) => r['id']);
  assert.ok(ids.includes('item-26') && ids.includes('item-27'), `modifiedAfter reaches both: ${ids.join(', ')}`);
});

test('a database from before announcements were kept: the first webhook after the upgrade announces only what is new', async () => {
  // As the previous version left it: no announced points, runs without start cursors.
  const db = new DatabaseSync(project.paths.databaseFile);
  db.prepare("DELETE FROM sync_announcements WHERE connection_id = 'c1'").run();
  db.prepare("UPDATE sync_runs SET start_cursors = NULL WHERE connection_id = 'c1'").run();
  db.close();
  const count = project.webhooks.length;
  project.api.state.pagedItems.push({ id: 'item-28', n: 28 });
  assert.equal((await run('c1')).added, 1);
  assert.equal(project.webhooks.length, count + 1);
  assert.deepEqual(project.webhooks.at(-1)!.body['responseResults'], { added: 1, updated: 0, deleted: 0 }, 'not every record ever saved');
  project.api.state.pagedItems.push({ id: 'item-29', n: 29 });
  await run('c1');
  assert.deepEqual(project.webhooks.at(-1)!.body['responseResults'], { added: 1, updated: 0, deleted: 0 });
});

test('an unknown sync is FUNCTION_NOT_FOUND naming the syncs that exist', async () => {
  await assert.rejects(run('c1', 'nope'), (error: Error & { code?: string }) => error.code === 'FUNCTION_NOT_FOUND' && /fake\/items/.test(error.message));
});
