/**
 * The scheduler against the real runtime: every connection of a sync runs, at most `concurrency`
 * at once (counted at a real HTTP server the sync calls), paused and autoStart:false syncs stay
 * put, and the next run is scheduled one interval (plus jitter) later.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../../src/app.ts';
import { startScheduler } from '../../src/sync/scheduler.ts';
import { syncProject, type SyncProject } from './project.ts';

let project: SyncProject;
let runtime: App;
const CONNECTIONS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];

before(async () => {
  project = await syncProject();
  runtime = await project.open();
  for (const id of CONNECTIONS) await runtime.connections.add({ integrationId: 'hold', connectionId: id, credentials: { type: 'NONE' } });
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'f1', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
});
after(() => project.cleanup());

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('runs each connection once, never more than `concurrency` at a time, skipping paused and autoStart:false syncs', async () => {
  // A run a dead process left 'running' (nobody holds its lease) is marked failed on start.
  await runtime.store.syncs.startRun({ id: 'dead-run', integration_id: 'hold', connection_id: 'h6', sync_name: 'hold', status: 'running', started_at: new Date(Date.now() - 60_000).toISOString() });
  // h6 is paused before the scheduler first sees it.
  await runtime.store.syncs.setState({ integration_id: 'hold', connection_id: 'h6', sync_name: 'hold', paused: true, last_run_id: null, last_success_at: null, next_run_at: new Date(0).toISOString(), frequency: null });
  const start = Date.now();
  const scheduler = startScheduler({ runtime, concurrency: 2, tickMs: 20, random: () => 0, runOptions: { env: {} } });
  try {
    await until(async () => (await runtime.store.syncs.listRuns({ integrationId: 'hold', syncName: 'hold', status: 'success' })).length === 5, 'five hold runs');
    // Items and broken (fake/f1) run too; wait for them so stop() does not abort them.
    await until(async () => (await runtime.store.syncs.listRuns({ integrationId: 'fake', connectionId: 'f1' })).every((r) => r.status !== 'running'), 'fake runs to finish');
  } finally {
    await scheduler.stop();
  }
  assert.equal(project.hold.total, 5, 'five connections ran, the paused one did not');
  assert.equal(project.hold.max, 2, 'never more than two runs in flight');
  const runs = await runtime.store.syncs.listRuns({ integrationId: 'hold' });
  assert.deepEqual(runs.filter((r) => r.id !== 'dead-run').map((r) => r.connection_id).sort(), ['h1', 'h2', 'h3', 'h4', 'h5']);
  for (const id of ['h1', 'h2', 'h3', 'h4', 'h5']) {
    const state = await runtime.store.syncs.getState('hold', id, 'hold');
    const next = Date.parse(state!.next_run_at!);
    assert.ok(next >= start + 3_600_000 && next <= Date.now() + 3_600_000, `next run of ${id} one interval later`);
  }
  const manual = await runtime.store.syncs.getState('fake', 'f1', 'manual');
  assert.equal(manual?.paused, true, 'autoStart:false starts paused');
  assert.equal((await runtime.store.syncs.listRuns({ syncName: 'manual' })).length, 0);
  assert.equal((await runtime.store.syncs.getState('hold', 'h6', 'hold'))?.paused, true);
  const dead = await runtime.store.syncs.listRuns({ connectionId: 'h6' });
  assert.deepEqual(dead.map((r) => [r.id, r.status]), [['dead-run', 'failed']]);
  assert.match(dead[0]!.error ?? '', /INTERRUPTED/);
});

test('a resumed sync runs on the next tick; stop() waits for runs in flight', async () => {
  const state = (await runtime.store.syncs.getState('fake', 'f1', 'manual'))!;
  await runtime.store.syncs.setState({ ...state, paused: false, next_run_at: new Date().toISOString() });
  const scheduler = startScheduler({ runtime, concurrency: 1, tickMs: 20, random: () => 0, runOptions: { env: {} } });
  try {
    await until(async () => (await runtime.store.syncs.listRuns({ syncName: 'manual', status: 'success' })).length === 1, 'the manual sync');
  } finally {
    await scheduler.stop();
  }
  assert.equal(scheduler.running, 0);
  assert.ok((await runtime.store.records.getByIds({ integrationId: 'fake', connectionId: 'f1', model: 'Thing' }, ['manual'])).has('manual'));
});

test('a first run started by hand leaves the schedule to the scheduler: scheduled an interval later, autoStart:false still paused', async () => {
  await runtime.connections.add({ integrationId: 'hold', connectionId: 'by-hand', credentials: { type: 'NONE' } });
  const { runSync } = await import('../../src/sync/runner.ts');
  const ran = await runSync(runtime, { integrationId: 'hold', connectionId: 'by-hand', syncName: 'hold', trigger: 'cli', env: {} });
  assert.equal(ran.status, 'success');
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'f2', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  const manual = await runSync(runtime, { integrationId: 'fake', connectionId: 'f2', syncName: 'manual', trigger: 'cli', env: {} });
  assert.equal(manual.status, 'success');
  assert.equal((await runtime.store.syncs.getState('fake', 'f2', 'manual'))?.paused, true, 'autoStart:false is not scheduled by a manual run');
  const before = Date.now();
  const scheduler = startScheduler({ runtime, concurrency: 1, tickMs: 20, random: () => 0, runOptions: { env: {} } });
  try {
    await until(async () => (await runtime.store.syncs.getState('hold', 'by-hand', 'hold'))?.next_run_at != null, 'the by-hand connection to be scheduled');
  } finally {
    await scheduler.stop();
  }
  const next = Date.parse((await runtime.store.syncs.getState('hold', 'by-hand', 'hold'))!.next_run_at!);
  assert.ok(next >= before + 3_600_000, 'the next run is an interval after the manual one, not at once');
  assert.equal((await runtime.store.syncs.listRuns({ integrationId: 'hold', connectionId: 'by-hand' })).length, 1, 'no immediate second run');
  const paused = await runtime.store.syncs.getState('fake', 'f2', 'manual');
  assert.equal(paused?.paused, true);
  assert.equal(paused?.next_run_at, null);
});
