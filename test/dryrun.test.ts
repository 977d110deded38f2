import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointKey } from '../src/runtime/live-capabilities.ts';
import { runtimeProject, type RuntimeProject } from './runtime/project.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let project: RuntimeProject;

before(async () => {
  project = await runtimeProject();
  const runtime = await project.open({ isolation: 'inline' });
  await runtime.connections.add({
    integrationId: 'fake',
    connectionId: 'c1',
    credentials: { type: 'API_KEY', api_key: 'test-api-key' },
    metadata: { team: 'core', things: ['a', 'b'] },
  });
  await runtime.store.kv.set(checkpointKey('fake', 'c1', 'counter'), { runs: 7 });
  await runtime.close();
});
after(() => project.cleanup());

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function dryrun(...args: string[]): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...project.env };
  delete env['PATCHBAY_HOME'];
  delete env['PATCHBAY_INTEGRATIONS'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, 'dryrun', ...args],
      { cwd: project.root, env, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('dryrun of an action prints its output and the HTTP calls', async () => {
  const { code, stdout, stderr } = await dryrun('get-issue', 'c1', '--input', '{"id":"2"}');
  assert.equal(code, 0, stderr);
  const [json] = stdout.split('HTTP calls');
  assert.equal(JSON.parse(json!).id, '2');
  assert.match(stdout, /HTTP calls \(1\):\n {2}GET http:\/\/127\.0\.0\.1:\d+\/issues\/2 → 200/);
  assert.match(stdout, /nothing was saved/);
  assert.doesNotMatch(stdout + stderr, /test-api-key/, 'the API key never shows');
});

test('dryrun of a sync summarises records per model and persists nothing', async () => {
  const { code, stdout, stderr } = await dryrun('issues', 'c1', '--json');
  assert.equal(code, 0, stderr);
  const doc = JSON.parse(stdout);
  assert.equal(doc.function.type, 'sync');
  assert.equal(doc.records.Issue.saved.length, 5);
  assert.equal(doc.records.Item.saved.length, 23);
  assert.equal(doc.changes.Item.added, 23);
  assert.ok(doc.http.length >= 3);
  const text = await dryrun('fake/issues', 'c1');
  assert.match(text.stdout, /Item: 23 saved, 0 deleted/);
  assert.match(text.stdout, /… and 20 more/);
  const runtime = await project.open({ isolation: 'inline' });
  assert.equal(await runtime.store.records.count({ integrationId: 'fake', connectionId: 'c1', model: 'Item' }), 0);
  await runtime.close();
});

test('dryrun takes metadata and checkpoint; --validation checks them against the schemas', async () => {
  const file = path.join(project.root, 'meta.json');
  writeFileSync(file, JSON.stringify({ things: ['m', 'n', 'o'] }));
  const ok = await dryrun('counter', 'c1', '--metadata', `@${file}`, '--checkpoint', '{"runs":1}', '--json', '--validation');
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).records.Thing.saved.map((r: { id: string }) => r.id), ['m', 'n', 'o']);
  const bad = await dryrun('counter', 'c1', '--checkpoint', '{"runs":"many"}', '--validation');
  assert.equal(bad.code, 2, 'a --checkpoint that fails its schema is a usage error');
  assert.match(bad.stderr, /^error \[INVALID_ARGUMENT\]: .*checkpoint\.runs/);
  const lax = await dryrun('counter', 'c1', '--checkpoint', '{"runs":"many"}', '--json');
  assert.equal(lax.code, 0, 'without --validation the checkpoint is not checked');
});

test('bad input: malformed JSON, unknown function, unknown connection, invalid input → one line, exit 2 (usage) or 3 (not found)', async () => {
  const malformed = await dryrun('get-issue', 'c1', '--input', '{id:');
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /^error \[INVALID_ARGUMENT\]: --input is not valid JSON/);
  const unknown = await dryrun('get-isue', 'c1');
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /No function "get-isue".*"get-issue"/);
  const nobody = await dryrun('get-issue', 'nobody', '--input', '{"id":"1"}');
  assert.equal(nobody.code, 3);
  assert.match(nobody.stderr, /nobody/);
  const invalid = await dryrun('get-issue', 'c1', '--input', '{"id":1}');
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /^error \[INVALID_INPUT\]: Invalid input: input\.id/);
  for (const outcome of [malformed, unknown, nobody, invalid]) {
    assert.equal(outcome.stderr.trim().split('\n').length, 1, outcome.stderr);
    assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('dryrun of an on-event function says it ran and lists its calls', async () => {
  const { code, stdout, stderr } = await dryrun('validate-connection', 'c1');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^on-event fake\/validate-connection ran\nHTTP calls \(1\):\n {2}GET http:\/\/127\.0\.0\.1:\d+\/me → 200/);
});

test('dryrun --json of a failing run prints the failure as one JSON document with its HTTP calls', async () => {
  const { code, stdout, stderr } = await dryrun('get-issue', 'c1', '--input', '{"id":"does-not-exist"}', '--json');
  assert.equal(code, 1, stderr);
  const doc = JSON.parse(stdout) as { function: { name: string }; executionId: string; error: { code: string; message: string }; http: Array<{ method: string; status: number }>; logs: unknown[] };
  assert.equal(doc.function.name, 'get-issue');
  assert.equal(doc.error.code, 'UPSTREAM_HTTP_ERROR');
  assert.ok(doc.executionId);
  assert.deepEqual(doc.http.map((call) => [call.method, call.status]), [['GET', 404]]);
  assert.ok(Array.isArray(doc.logs));
  assert.match(stderr, /^error \[UPSTREAM_HTTP_ERROR\]/);
  assert.doesNotMatch(stdout + stderr, /test-api-key/);
});
