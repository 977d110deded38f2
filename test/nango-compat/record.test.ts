/**
 * `patchbay dryrun --save-responses` then `patchbay test`: a real run against the fake API (a real
 * HTTP server) is recorded into tests/<function>.test.json and replays without the network.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runtimeProject, type RuntimeProject } from '../runtime/project.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let project: RuntimeProject;

before(async () => {
  project = await runtimeProject();
  const runtime = await project.open({ isolation: 'inline' });
  await runtime.connections.add({
    integrationId: 'fake',
    connectionId: 'c1',
    credentials: { type: 'API_KEY', api_key: 'test-api-key' },
    metadata: { team: 'core' },
  });
  await runtime.close();
});
after(() => project.cleanup());

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...project.env };
  delete env['PATCHBAY_HOME'];
  delete env['PATCHBAY_INTEGRATIONS'];
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: project.root, env, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('a recorded action and a recorded paginated sync replay and pass, without the API', async () => {
  const action = await cli('dryrun', 'get-issue', 'c1', '--input', '{"id":"2"}', '--save-responses');
  assert.equal(action.code, 0, action.stderr);
  const sync = await cli('dryrun', 'issues', 'c1', '--save-responses');
  assert.equal(sync.code, 0, sync.stderr);

  const tests = path.join(project.root, 'integrations/fake/tests');
  const actionFixture = readFileSync(path.join(tests, 'get-issue.test.json'), 'utf8');
  const syncFixture = JSON.parse(readFileSync(path.join(tests, 'issues.test.json'), 'utf8'));
  assert.doesNotMatch(actionFixture + JSON.stringify(syncFixture), /test-api-key/, 'credentials never reach a fixture');
  assert.deepEqual(JSON.parse(actionFixture).input, { id: '2' });
  assert.equal(syncFixture.nango.getMetadata.team, 'core');
  assert.equal(syncFixture.nango.batchSave.Item.length, 23);
  const pages = Object.values(syncFixture.api.get as Record<string, unknown>).flatMap((v) => (Array.isArray(v) ? v : [v]));
  assert.ok(pages.length >= 3, 'every page was recorded');

  const before = project.api.requests.length;
  const replay = await cli('test', 'fake');
  assert.equal(replay.code, 0, replay.stdout + replay.stderr);
  assert.match(replay.stdout, /^ ✓ fake\/get-issue \d+ms$/m);
  assert.match(replay.stdout, /^ ✓ fake\/issues \d+ms$/m);
  assert.equal(replay.stdout.trimEnd().split('\n').at(-1), '2 passed, 0 failed');
  assert.equal(project.api.requests.length, before, 'replay made no HTTP request');

  syncFixture.nango.batchSave.Item.pop();
  writeFileSync(path.join(tests, 'issues.test.json'), JSON.stringify(syncFixture));
  const changed = await cli('test', 'fake/issues');
  assert.equal(changed.code, 1);
  assert.match(changed.stdout, /batchSave Item differs \(expected 22 records, received 23\)/);
});
