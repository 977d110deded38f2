/**
 * Checkpoint resume after a hard crash: `patchbay sync run` in a child process is killed with
 * SIGKILL mid-run (after a few pages); the next run marks the dead run failed, resumes from the
 * last checkpoint (its first request carries the saved cursor), and the final record set equals
 * what an uninterrupted run produces for another connection — nothing lost, nothing duplicated,
 * nothing wrongly deleted by trackDeletes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { App } from '../../src/app.ts';
import { syncProject, type SyncProject } from './project.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let project: SyncProject;

before(async () => {
  project = await syncProject({ pageDelayMs: 250 });
  const runtime = await project.open();
  for (const id of ['crashy', 'steady', 'twice']) {
    await runtime.connections.add({ integrationId: 'fake', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  }
  await runtime.close();
});
after(() => project.cleanup());

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [MAIN, '--integrations', project.paths.integrationsDir, '--home', project.paths.home, ...args], {
    cwd: project.root,
    env: { ...process.env, ...project.env, PATCHBAY_SYNC_LEASE_MS: '1000', PATCHBAY_WEBHOOK_URL: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const pageRequests = () => project.api.requests.filter((r) => r.path === '/paged/cursor');

async function records(runtime: App, connectionId: string): Promise<Map<string, unknown>> {
  const page = await runtime.store.records.query({ integrationId: 'fake', connectionId, model: 'Item' }, { limit: 1000 });
  return new Map(page.records.map((r) => [r.id, { data: r.data, action: r.last_action, deleted: r.deleted_at !== null }]));
}

test('a run killed with SIGKILL resumes from its checkpoint and ends with the same records as an uninterrupted run', { timeout: 120_000 }, async () => {
  const killed = cli(['sync', 'run', 'items', '--integration', 'fake', '--connection', 'crashy']);
  // Kill once three pages were fetched (each page is followed by a 250 ms pause).
  for (let i = 0; i < 1200 && pageRequests().length < 3; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(pageRequests().length, 3, 'the child fetched three pages');
  killed.child.kill('SIGKILL');
  const outcome = await killed.done;
  assert.equal(outcome.signal, 'SIGKILL', outcome.stderr);

  let runtime = await project.open();
  const dead = await runtime.store.syncs.listRuns({ connectionId: 'crashy', syncName: 'items' });
  assert.equal(dead[0]?.status, 'running', 'the killed run was left running');
  const saved = await runtime.store.kv.get<{ cursor: string }>('checkpoint:fake:crashy:items');
  assert.ok(saved?.cursor, 'a checkpoint was saved before the kill');
  assert.ok((await records(runtime, 'crashy')).size >= 10, 'pages before the kill were saved');
  await runtime.close();

  await new Promise((r) => setTimeout(r, 1100)); // the dead run's lease expires
  const before = pageRequests().length;
  const resumed = cli(['sync', 'run', 'items', '--integration', 'fake', '--connection', 'crashy']);
  const result = await resumed.done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /ok fake\/items crashy: success/);
  assert.equal(pageRequests()[before]?.query['cursor'], saved.cursor, 'the next run started from the checkpoint');

  const steady = await cli(['sync', 'run', 'items', '--integration', 'fake', '--connection', 'steady']).done;
  assert.equal(steady.code, 0, steady.stderr);

  runtime = await project.open();
  const crashy = await records(runtime, 'crashy');
  const reference = await records(runtime, 'steady');
  assert.equal(reference.size, 23);
  assert.deepEqual(crashy, reference, 'same records, none lost, none duplicated, none deleted');
  const runs = await runtime.store.syncs.listRuns({ connectionId: 'crashy', syncName: 'items' });
  assert.deepEqual(runs.map((r) => r.status), ['success', 'failed']);
  assert.match(runs[1]!.error ?? '', /INTERRUPTED/);
  assert.equal(await runtime.store.kv.get('checkpoint:fake:crashy:items'), undefined, 'the finished run cleared its checkpoint');
  await runtime.close();
});

test('two processes running one sync for one connection: the second is refused with LOCKED', { timeout: 120_000 }, async () => {
  // The fake API holds the first run's first page until the second process has been refused, so
  // the overlap does not depend on how fast a loaded machine starts processes. A long lease: the
  // first run must keep it however slow its renewals are.
  let release!: () => void;
  project.api.state.pagedGate = new Promise<void>((resolve) => (release = resolve));
  const env = { PATCHBAY_SYNC_LEASE_MS: '60000' };
  try {
    const first = cli(['sync', 'run', 'items', '--integration', 'fake', '--connection', 'twice'], env);
    const before = pageRequests().length;
    for (let i = 0; i < 2400 && pageRequests().length === before; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(pageRequests().length > before, 'the first run is fetching its first page');
    const second = await cli(['sync', 'run', 'items', '--integration', 'fake', '--connection', 'twice'], env).done;
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /already running for connection "twice"/);
    release();
    const done = await first.done;
    assert.equal(done.code, 0, done.stderr);
  } finally {
    release();
    project.api.state.pagedGate = null;
  }
  const runtime = await project.open();
  const runs = await runtime.store.syncs.listRuns({ connectionId: 'twice' });
  assert.deepEqual(runs.map((r) => r.status), ['success'], 'only one run was recorded');
  await runtime.close();
});
