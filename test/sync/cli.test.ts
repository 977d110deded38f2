/**
 * `patchbay records` and `patchbay sync …` as a user runs them (child processes on a real
 * project): run, status, list, pause, resume, records paging with cursors and filters, and
 * clear one-line errors for bad input.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { syncProject, type SyncProject } from './project.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let project: SyncProject;

before(async () => {
  project = await syncProject();
  const runtime = await project.open();
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'c1', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  await runtime.close();
});
after(() => project.cleanup());

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, '--integrations', project.paths.integrationsDir, '--home', project.paths.home, ...args],
      { cwd: project.root, env: { ...process.env, ...project.env, PATCHBAY_WEBHOOK_URL: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('sync run prints plain progress lines and a summary when not a terminal', async () => {
  const result = await cli('sync', 'run', 'items', '--connection', 'c1');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /sync fake\/items c1: started/);
  assert.match(result.stderr, /sync fake\/items c1: page 5/);
  assert.match(result.stderr, /ok fake\/items c1: success in [\d.]+s — added 23, updated 0, deleted 0/);
});

test('records pages with next_cursor in Nango’s shape, filters, and a table by default', async () => {
  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const result = await cli('records', 'fake', 'c1', 'Item', '--limit', '10', '--json', ...(cursor ? ['--cursor', cursor] : []));
    assert.equal(result.code, 0, result.stderr);
    const page = JSON.parse(result.stdout) as { records: Array<Record<string, unknown>>; next_cursor: string | null };
    for (const record of page.records) {
      assert.ok(!seen.has(String(record['id'])), 'no record twice');
      seen.add(String(record['id']));
      assert.deepEqual(Object.keys(record['_nango_metadata'] as object).sort(), ['cursor', 'deleted_at', 'first_seen_at', 'last_action', 'last_modified_at']);
    }
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(seen.size, 23);
  assert.equal(pages, 3);
  const deleted = JSON.parse((await cli('records', 'fake', 'c1', 'Item', '--filter', 'deleted', '--json')).stdout) as { records: unknown[] };
  assert.equal(deleted.records.length, 0);
  const table = await cli('records', 'fake', 'c1', 'Item', '--limit', '2');
  assert.match(table.stdout, /^ID\s+ACTION\s+MODIFIED\s+DATA/);
  assert.match(table.stdout, /item-1\s+ADDED/);
  assert.match(table.stdout, /More: --cursor \S+/);
});

test('bad input is one clear line and exit 2 (usage) or 3 (not found)', async () => {
  const badCursor = await cli('records', 'fake', 'c1', 'Item', '--cursor', 'nonsense');
  assert.equal(badCursor.code, 2);
  assert.match(badCursor.stderr, /^error \[INVALID_ARGUMENT\]: Invalid cursor "nonsense"\. Pass the next_cursor/);
  const badFilter = await cli('records', 'fake', 'c1', 'Item', '--filter', 'created');
  assert.match(badFilter.stderr, /Unknown filter "created"\. Use added, updated and\/or deleted/);
  const unknownSync = await cli('sync', 'run', 'nope', '--connection', 'c1');
  assert.equal(unknownSync.code, 3);
  assert.match(unknownSync.stderr, /No sync "nope"/);
  const unknownConnection = await cli('sync', 'run', 'items', '--connection', 'zed');
  assert.match(unknownConnection.stderr, /No connection "zed" for integration "fake"/);
});

test('status, pause, list and resume', async () => {
  const status = JSON.parse((await cli('sync', 'status', 'items', '--json')).stdout) as Array<Record<string, unknown>>;
  assert.equal(status.length, 1);
  assert.equal(status[0]!['status'], 'success');
  assert.equal(status[0]!['added'], 23);
  const text = await cli('sync', 'status');
  assert.match(text.stdout, /fake\/items\s+c1\s+success in [\d.]+s\s+\+23 ~0 -0/);

  assert.match((await cli('sync', 'pause', 'items', '--connection', 'c1')).stdout, /Paused fake\/items for c1/);
  let list = JSON.parse((await cli('sync', 'list', '--json')).stdout) as Array<{ sync: string; connections: Array<{ connectionId: string; paused: boolean }>; autoStart: boolean }>;
  const items = list.find((s) => s.sync === 'items')!;
  assert.deepEqual(items.connections.map((c) => [c.connectionId, c.paused]), [['c1', true]]);
  assert.equal(list.find((s) => s.sync === 'manual')!.autoStart, false);

  assert.match((await cli('sync', 'resume', 'items')).stdout, /Resumed fake\/items for c1/);
  list = JSON.parse((await cli('sync', 'list', '--json')).stdout) as typeof list;
  assert.equal(list.find((s) => s.sync === 'items')!.connections[0]!.paused, false);
});

test('a refused delete pass fails `sync run` (exit 1) saying how to opt in; `sync status` shows why; --allow-mass-deletes deletes', async () => {
  project.api.state.pagedItems.splice(5); // 5 of 23 left: 18 to delete (78%)
  const refused = await cli('sync', 'run', 'items', '--connection', 'c1');
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /MASS_DELETE_REFUSED: Refused to delete 18 of 23 Item records \(78%, more than the 50% limit\)/);
  assert.match(refused.stderr, /--allow-mass-deletes/);
  const status = await cli('sync', 'status', 'items', '--limit', '1');
  assert.match(status.stdout, /failed .*MASS_DELETE_REFUSED: Refused to delete 18 of 23 Item records/);
  const records = JSON.parse((await cli('records', 'fake', 'c1', 'Item', '--filter', 'deleted', '--json')).stdout) as { records: unknown[] };
  assert.equal(records.records.length, 0, 'nothing deleted');
  const allowed = await cli('sync', 'run', 'items', '--connection', 'c1', '--allow-mass-deletes');
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /deleted 18/);
});

test('a failing sync run in a terminal prints readable log lines, not raw JSON, before the summary', async (t) => {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('script', ['--version'], { encoding: 'utf8' }).status !== 0) return t.skip('no `script` to give the CLI a terminal');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, MAIN, '--integrations', project.paths.integrationsDir, '--home', project.paths.home, 'sync', 'run', 'broken', '--connection', 'c1'].map(quote).join(' ');
  // `script` runs the command with a pseudo-terminal as its stdout and stderr.
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: project.root, env: { ...process.env, ...project.env, PATCHBAY_WEBHOOK_URL: '' }, encoding: 'utf8', timeout: 120_000 });
  const output = run.stdout.replace(/\r/g, '');
  assert.notEqual(run.status, 0, output);
  assert.doesNotMatch(output, /^\{"level":/m, 'no raw JSON log line');
  assert.match(output, /^\d\d:\d\d:\d\d WARN {2}sync run failed {2}.*code=/m);
});
