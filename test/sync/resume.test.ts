/**
 * What a backend sees after a hard crash. A daily sync of 3,000 rows (30 pages of 100, one
 * checkpoint per page) runs in a child process that is killed with SIGKILL part way through:
 *
 * - the resumed run's success webhook announces everything since the last announcement: a reader
 *   following `modifiedAfter` gets all 3,000 rows, and `responseResults` says 3,000 added;
 * - the killed run's row reports what it saved, not +0;
 * - a scheduler started right after the crash resumes the run as soon as the dead run's lease
 *   expires, not at `next_run_at` a day later;
 * - `sync status` tells a live run from an interrupted one meanwhile.
 *
 * Waits poll for conditions with generous deadlines; no upper bound on elapsed time is asserted
 * beyond "well before a day".
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { App } from '../../src/app.ts';
import { PatchbayError } from '../../src/errors.ts';
import { queryRecords } from '../../src/records/query.ts';
import type { SyncRunRow } from '../../src/store/types.ts';
import { runSync } from '../../src/sync/runner.ts';
import { startScheduler } from '../../src/sync/scheduler.ts';
import { defaultSyncState } from '../../src/sync/state.ts';
import { syncProject, type SyncProject } from './project.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TOTAL = 3000;
let project: SyncProject;
let runtime: App;

before(async () => {
  project = await syncProject({ pageDelayMs: 150 });
  const items = project.api.state.pagedItems;
  items.length = 0;
  for (let i = 1; i <= TOTAL; i++) items.push({ id: `row-${i}`, n: i });
  runtime = await project.open();
  for (const id of ['repro', 'quick']) {
    await runtime.connections.add({ integrationId: 'bulk', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  }
});
after(() => project.cleanup());

type Exit = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, '--integrations', project.paths.integrationsDir, '--home', project.paths.home, ...args], {
    cwd: project.root,
    env: { ...process.env, ...project.env, PATCHBAY_WEBHOOK_URL: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function status(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, '--integrations', project.paths.integrationsDir, '--home', project.paths.home, 'sync', 'status', ...args],
      { cwd: project.root, env: { ...process.env, ...project.env, PATCHBAY_WEBHOOK_URL: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, deadlineMs = 90_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) assert.fail(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pageRequests = () => project.api.requests.filter((r) => r.path === '/paged/cursor').length;

/**
 * Starts `sync run pages` for a connection in a child (lease 2 s unless `env` says otherwise) and
 * SIGKILLs it once `pages` more pages were requested.
 */
async function killMidRun(connectionId: string, pages: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const before = pageRequests();
  const run = cli(['sync', 'run', 'pages', '--integration', 'bulk', '--connection', connectionId], { PATCHBAY_SYNC_LEASE_MS: '2000', ...env });
  await until(async () => pageRequests() - before >= pages || (await Promise.race([run.done.then(() => 'exited' as const), Promise.resolve(false as const)])), `${pages} pages`);
  assert.ok(pageRequests() - before >= pages, 'the child was still running when killed');
  run.child.kill('SIGKILL');
  const outcome = await run.done;
  assert.equal(outcome.signal, 'SIGKILL', outcome.stderr);
}

const scope = (connectionId: string) => ({ integrationId: 'bulk', connectionId, model: 'Row' });

/** Every record a reader gets for `GET /records?modified_after=…`, page by page. */
async function readModifiedAfter(connectionId: string, modifiedAfter: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  let cursor: string | undefined;
  do {
    const page = await queryRecords(runtime.store.records, scope(connectionId), { modifiedAfter, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const record of page.records) out.set(String(record['id']), record);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

async function savedCount(connectionId: string): Promise<number> {
  return runtime.store.records.count(scope(connectionId));
}

test('the resumed run announces what the killed run saved: modifiedAfter reaches all 3,000 rows and counts say 3,000 added', { timeout: 180_000 }, async () => {
  await killMidRun('repro', 9); // eight pages saved and checkpointed, the ninth in flight
  const savedBeforeKill = await savedCount('repro');
  assert.ok(savedBeforeKill >= 800 && savedBeforeKill < TOTAL, `saved before the kill: ${savedBeforeKill}`);
  const hooksBefore = project.webhooks.length;

  // Resume as soon as the dead run's lease (PATCHBAY_SYNC_LEASE_MS, default 60 s) lets us.
  const resumed = await until(async () => {
    try {
      return await runSync(runtime, { integrationId: 'bulk', syncName: 'pages', connectionId: 'repro', trigger: 'manual', env: {}, leaseMs: 2000, webhooks: { retryDelaysMs: [50, 50] } });
    } catch (error) {
      if (error instanceof PatchbayError && error.code === 'LOCKED') return undefined;
      throw error;
    }
  }, 'the lease of the killed run to expire');
  assert.equal(resumed.status, 'success', resumed.error ?? '');
  assert.equal(await savedCount('repro'), TOTAL);

  const hooks = project.webhooks.slice(hooksBefore).filter((h) => h.body['connectionId'] === 'repro');
  assert.equal(hooks.length, 1, 'one success webhook for the one model');
  const hook = hooks[0]!.body;
  assert.equal(hook['success'], true);
  assert.equal(hook['syncType'], 'INITIAL', 'no run had succeeded before');
  assert.equal(hook['queryTimeStamp'], hook['modifiedAfter']);
  const seen = await readModifiedAfter('repro', String(hook['modifiedAfter']));
  const counts = hook['responseResults'] as { added: number; updated: number; deleted: number };
  console.log(`reproduction: saved before the kill ${savedBeforeKill}; reader following modifiedAfter got ${seen.size} of ${TOTAL}; responseResults ${JSON.stringify(counts)}`);
  assert.equal(seen.size, TOTAL, 'a reader following modifiedAfter gets every row, the killed run’s too');
  assert.deepEqual(counts, { added: TOTAL, updated: 0, deleted: 0 });

  const runs = await runtime.store.syncs.listRuns({ integrationId: 'bulk', connectionId: 'repro' });
  assert.deepEqual(runs.map((r) => r.status), ['success', 'failed']);
  const [done, killed] = runs as [SyncRunRow, SyncRunRow];
  assert.match(killed.error ?? '', /INTERRUPTED/);
  assert.equal(killed.added, savedBeforeKill, 'the interrupted run reports what it saved');
  assert.equal(done.added, TOTAL - savedBeforeKill, 'the resumed run reports what it saved itself');

  // Announced: an unchanged re-run has nothing new to say.
  const again = await runSync(runtime, { integrationId: 'bulk', syncName: 'pages', connectionId: 'repro', trigger: 'manual', env: {}, leaseMs: 2000 });
  assert.deepEqual([again.added, again.updated, again.deleted], [0, 0, 0]);
  assert.equal(project.webhooks.slice(hooksBefore).filter((h) => h.body['connectionId'] === 'repro').length, 1, 'no second webhook');
});

test('a crash and an immediate restart: the scheduler resumes the run once the dead lease expires, not at next_run_at a day later', { timeout: 180_000 }, async () => {
  const DAY = 24 * 3_600_000;
  // What the scheduler that started the run did before the crash: next_run_at moved a day on.
  const nextRunAt = new Date(Date.now() + DAY).toISOString();
  await runtime.store.syncs.setState({ ...defaultSyncState('bulk', 'quick', 'pages'), next_run_at: nextRunAt });
  await killMidRun('quick', 5, { PATCHBAY_SYNC_LEASE_MS: '4000' });
  const killedAt = Date.now();
  const lease = await runtime.store.locks.inspect('sync:bulk:quick:pages');
  assert.ok(lease, 'the killed run left its lease behind');

  // The restart: a new scheduler at once, while the dead run's lease may still be live.
  const scheduler = startScheduler({ runtime, tickMs: 100, random: () => 0, runOptions: { env: {}, leaseMs: 2000, webhooks: { retryDelaysMs: [50] } } });
  let resumed: SyncRunRow;
  try {
    resumed = await until(async () => (await runtime.store.syncs.listRuns({ integrationId: 'bulk', connectionId: 'quick', status: 'success' }))[0], 'the interrupted run to be resumed');
  } finally {
    await scheduler.stop();
  }
  const startedAt = Date.parse(resumed.started_at);
  assert.ok(startedAt >= lease.expiresAt, 'not before the dead run’s lease expired');
  assert.ok(startedAt - killedAt < DAY / 2, 'resumed right after the lease expired, not at next_run_at');
  assert.equal(await savedCount('quick'), TOTAL);
  const runs = await runtime.store.syncs.listRuns({ integrationId: 'bulk', connectionId: 'quick' });
  assert.deepEqual(runs.map((r) => r.status), ['success', 'failed']);
  assert.match(runs[1]!.error ?? '', /INTERRUPTED/);
  assert.equal(runs[0]!.added + runs[1]!.added, TOTAL, 'the two runs together saved every row once');
  const state = await runtime.store.syncs.getState('bulk', 'quick', 'pages');
  assert.equal(state?.next_run_at, nextRunAt, 'the daily schedule is kept');
});

test('sync status tells a live run from one whose process died while its lease is still live', { timeout: 180_000 }, async () => {
  await runtime.connections.add({ integrationId: 'bulk', connectionId: 'ghost', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  const before = pageRequests();
  // A long lease and slow pages: the run is live for as long as the checks below take.
  const run = cli(['sync', 'run', 'pages', '--integration', 'bulk', '--connection', 'ghost'], { PATCHBAY_SYNC_LEASE_MS: '600000', PAGE_DELAY_MS: '1000' });
  await until(async () => pageRequests() - before >= 2, 'two pages');
  const live = await status('pages', '--connection', 'ghost');
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, /bulk\/pages\s+ghost\s+running/);
  assert.doesNotMatch(live.stdout, /interrupted/);

  run.child.kill('SIGKILL');
  assert.equal((await run.done).signal, 'SIGKILL');
  const text = await status('pages', '--connection', 'ghost');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /bulk\/pages\s+ghost\s+interrupted, resumes when the lease expires at \d{4}-\d\d-\d\dT[\d:.]+Z/);
  assert.match(text.stdout, /\+[1-9]\d* ~0 -0/, 'what it saved so far');
  const [row] = JSON.parse((await status('pages', '--connection', 'ghost', '--json')).stdout) as Array<Record<string, unknown>>;
  assert.equal(row!['status'], 'running');
  assert.equal(row!['interrupted'], true);
  assert.ok(Date.parse(String(row!['lease_expires_at'])) > Date.now(), 'the lease is still live');
  assert.ok(Number(row!['added']) >= 100, 'counts so far');
});
