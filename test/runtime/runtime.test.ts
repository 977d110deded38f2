import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PatchbayError } from '../../src/errors.ts';
import { executionOf } from '../../src/runtime/executor.ts';
import { checkpointKey } from '../../src/runtime/live-capabilities.ts';
import type { App } from '../../src/app.ts';
import type { ProgressUpdate } from '../../src/runtime/types.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

let project: RuntimeProject;
let runtime: App;

before(async () => {
  project = await runtimeProject();
  runtime = await project.open();
  await runtime.connections.add({
    integrationId: 'fake',
    connectionId: 'c1',
    credentials: { type: 'API_KEY', api_key: 'test-api-key' },
    metadata: { team: 'core', things: ['a', 'b', 'c'] },
  });
});
after(() => project.cleanup());

const run = (name: string, extra: Record<string, unknown> = {}) =>
  runtime.executor.run({ integrationId: 'fake', name, connectionId: 'c1', ...extra });

test('an action calls the API with the connection credentials and returns validated output', async () => {
  const result = await run('get-issue', { input: { id: '1' } });
  assert.equal((result.output as { id: string }).id, '1');
  assert.equal(result.function.type, 'action');
  assert.match(result.executionId, /^[0-9a-f-]{36}$/);
  assert.equal(result.http.length, 1);
  assert.equal(result.http[0]?.status, 200);
  assert.match(result.http[0]!.url, /\/issues\/1$/);
  assert.equal(project.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
});

test('the nango context: token, metadata, checkpoint, environment, locks, nested action, logs, progress', async () => {
  const progress: ProgressUpdate[] = [];
  const result = await run('tour', { input: { issueId: '2' }, onProgress: (u: ProgressUpdate) => progress.push(u) });
  const out = result.output as Record<string, unknown>;
  assert.equal(out['token'], 'test-api-key');
  assert.equal(out['connectionId'], 'c1');
  assert.equal(out['provider'], 'fake');
  assert.deepEqual(out['metadata'], { team: 'core', things: ['a', 'b', 'c'], visits: 1 });
  assert.deepEqual(out['checkpoint'], { step: 1 });
  assert.deepEqual(out['env'], [{ name: 'REGION', value: 'eu' }]);
  assert.equal(out['locked'], true);
  assert.equal(out['lockedAgain'], true, 're-acquiring one’s own lease succeeds');
  assert.equal((out['nested'] as { id: string }).id, '2');
  assert.deepEqual(result.logs.map((l) => [l.level, l.message]), [['info', 'tour starts'], ['warn', 'tour ends']]);
  const logged = result.logs[0]?.payload as { issueId: string; connection: { connection_id: string; credentials: unknown } };
  assert.equal(logged.issueId, '2');
  assert.equal(logged.connection.connection_id, 'c1');
  assert.equal(logged.connection.credentials, '[REDACTED]', 'a logged connection does not leak its credentials');
  assert.doesNotMatch(JSON.stringify(result.logs), /test-api-key/);
  assert.deepEqual(progress, [{ progress: 1, total: 3, message: 'started' }]);
  // Persisted: metadata through the connection service, checkpoint in the kv store, lock released.
  assert.deepEqual((await runtime.connections.get('fake', 'c1')).metadata?.['visits'], 1);
  assert.deepEqual(await runtime.store.kv.get(checkpointKey('fake', 'c1', 'tour')), { step: 1 });
  assert.equal(await runtime.store.locks.tryAcquire('lock:fake:c1:tour', 'someone-else', 1000), true);
  await runtime.store.locks.release('lock:fake:c1:tour', 'someone-else');
  const second = await run('tour', { input: { issueId: '2' } });
  assert.deepEqual((second.output as Record<string, unknown>)['checkpoint'], { step: 2 });
});

test('invalid input names the field and the rule; invalid output too', async () => {
  await assert.rejects(run('get-issue', { input: { id: 5 } }), (error: PatchbayError) => {
    assert.equal(error.code, 'INVALID_INPUT');
    assert.match(error.message, /input\.id: .*expected string.*\(invalid_type\)/);
    assert.deepEqual((error.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path), ['input.id']);
    return true;
  });
  // validate: false lets the bad input through to the function (which then calls the API with it).
  const unvalidated = await run('get-issue', { input: { id: 3 }, validate: false });
  assert.equal((unvalidated.output as { id: string }).id, '3');
});

test('a live sync saves records with change tracking, a second run reports them unchanged', async () => {
  const first = await run('issues', {});
  assert.equal(first.output, undefined);
  assert.deepEqual(first.changes?.['Issue'], { added: 5, updated: 0, deleted: 0, unchanged: 0 });
  assert.equal(first.changes?.['Item']?.added, 23);
  assert.ok(first.http.length >= 3, 'one issues call plus the pages');
  assert.equal(await runtime.store.records.count({ integrationId: 'fake', connectionId: 'c1', model: 'Item' }), 23);
  const second = await run('issues', {});
  assert.deepEqual(second.changes?.['Issue'], { added: 0, updated: 0, deleted: 0, unchanged: 5 });
});

test('trackDeletes removes records not seen in the run; INVALID_RECORD names the bad record', async () => {
  await run('counter');
  await runtime.connections.updateMetadata('fake', 'c1', { things: ['a', 'b'] });
  const result = await run('counter');
  assert.deepEqual(result.changes?.['Thing'], { added: 0, updated: 0, deleted: 1, unchanged: 2 });
  await runtime.connections.updateMetadata('fake', 'c1', { things: ['a', 7] });
  await assert.rejects(run('counter'), (error: PatchbayError) => {
    assert.equal(error.code, 'INVALID_RECORD');
    assert.match(error.message, /Thing\[1\] \(id 7\)\.label/);
    return true;
  });
  await runtime.connections.updateMetadata('fake', 'c1', { things: ['a', 'b', 'c'] });
});

test('dryRun persists nothing: records collected, metadata and checkpoint kept in memory', async () => {
  const countBefore = await runtime.store.records.count({ integrationId: 'fake', connectionId: 'c1', model: 'Thing' });
  const checkpointBefore = await runtime.store.kv.get(checkpointKey('fake', 'c1', 'counter'));
  const result = await run('counter', { dryRun: true, metadata: { things: ['x', 'y', 'z', 'w'] }, checkpoint: { runs: 40 } });
  assert.deepEqual(result.records?.['Thing']?.saved.map((r) => (r as { id: string }).id), ['x', 'y', 'z', 'w']);
  assert.equal(result.changes?.['Thing']?.added, 4);
  assert.equal(await runtime.store.records.count({ integrationId: 'fake', connectionId: 'c1', model: 'Thing' }), countBefore);
  assert.deepEqual(await runtime.store.kv.get(checkpointKey('fake', 'c1', 'counter')), checkpointBefore);
  const visits = (await runtime.connections.get('fake', 'c1')).metadata?.['visits'] as number;
  const tour = await run('tour', { dryRun: true, input: { issueId: '1' } });
  assert.equal(((tour.output as Record<string, unknown>)['metadata'] as { visits: number }).visits, visits + 1);
  assert.equal((await runtime.connections.get('fake', 'c1')).metadata?.['visits'], visits, 'metadata unchanged in the store');
});

test('validateState checks metadata against its schema', async () => {
  await assert.rejects(run('counter', { dryRun: true, validateState: true, metadata: { things: 'nope' } }), (error: PatchbayError) => {
    assert.match(error.message, /metadata\.things/);
    return true;
  });
});

test('a caller abort aborts the in-flight HTTP request; a timeout does too', async () => {
  const closedBefore = project.api.state.closedEarly;
  const controller = new AbortController();
  const pending = run('wait', { input: { ms: 30_000 }, signal: controller.signal });
  setTimeout(() => controller.abort(), 150);
  await assert.rejects(pending, (error: PatchbayError) => error.code === 'ABORTED');
  await assert.rejects(run('wait', { input: { ms: 30_000 }, timeoutMs: 200 }), (error: PatchbayError) => {
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(executionOf(error)?.http.length, 1, 'the failed run still reports its HTTP call');
    return true;
  });
  for (let i = 0; i < 250 && project.api.state.closedEarly < closedBefore + 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(project.api.state.closedEarly, closedBefore + 2, 'the fake API saw both clients hang up');
});

test('unknown function and connection give clear errors', async () => {
  await assert.rejects(run('get-isue', { input: { id: '1' } }), (error: PatchbayError) => {
    assert.equal(error.code, 'FUNCTION_NOT_FOUND');
    assert.match(error.message, /Did you mean "get-issue"/);
    return true;
  });
  await assert.rejects(runtime.executor.run({ integrationId: 'fake', name: 'get-issue', connectionId: 'nobody', input: { id: '1' } }), (error: PatchbayError) => {
    assert.equal(error.code, 'CONNECTION_NOT_FOUND');
    return true;
  });
});

test('OAuth2: an expired token is refreshed through the credential manager before the call', async () => {
  const tokens = project.api.seedTokens(3600);
  await runtime.connections.add({
    integrationId: 'oauthy',
    connectionId: 'o1',
    credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() - 1000).toISOString(), raw: {} },
  });
  const refreshesBefore = project.api.state.tokenCounts['refresh_token'] ?? 0;
  const result = await runtime.executor.run({ integrationId: 'oauthy', name: 'whoami', connectionId: 'o1', input: {} });
  const out = result.output as { login: string; token: string };
  assert.equal(out.login, 'octo');
  assert.notEqual(out.token, tokens.access_token, 'the context hands out the refreshed token');
  assert.equal(project.api.state.tokenCounts['refresh_token'], refreshesBefore + 1);
  const stored = await runtime.connections.get('oauthy', 'o1');
  assert.equal((stored.credentials as { access_token: string }).access_token, out.token);
});

test('on-event functions and webhook handlers run through the same executor', async () => {
  const before = project.api.requests.length;
  const event = await run('validate-connection');
  assert.equal(event.function.type, 'onEvent');
  assert.equal(project.api.requests.slice(before).filter((r) => r.path === '/me').length, 1);
  const hook = await run('counter', { webhookPayload: { id: 'w1', label: 'from a webhook' }, dryRun: true });
  assert.deepEqual(hook.records?.['Thing']?.saved, [{ id: 'w1', label: 'from a webhook' }]);
});

test('timeouts: the request overrides the runtime default per type', async () => {
  const strict = await project.open({ timeouts: { action: 150 }, storeKind: 'memory', isolation: 'inline' });
  await strict.connections.add({ integrationId: 'fake', connectionId: 'c1', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  await assert.rejects(strict.executor.run({ integrationId: 'fake', name: 'wait', connectionId: 'c1', input: { ms: 2000 } }), (error: PatchbayError) => {
    assert.equal(error.code, 'TIMEOUT');
    assert.match(error.message, /150 ms/);
    return true;
  });
  const result = await strict.executor.run({ integrationId: 'fake', name: 'wait', connectionId: 'c1', input: { ms: 300 }, timeoutMs: 5000 });
  assert.deepEqual(result.output, { ok: true, waited: 300 });
});

test('triggerAction nests beyond maxWorkers without deadlock, and refuses runaway recursion', async () => {
  // The default pool has at most 4 workers; 6 nested levels each hold one while waiting.
  const deep = await run('recurse', { input: { left: 6 } });
  assert.deepEqual(deep.output, { depth: 6 });
  await assert.rejects(run('recurse', { input: { left: -1 } }), (error: PatchbayError) => {
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /nested more than 8 levels/);
    return true;
  });
});

test('reload() picks up a new function and a changed one (bundles re-imported by mtime)', async () => {
  const file = path.join(project.root, 'integrations/fake/actions/version.ts');
  const source = (v: number) => `import { z } from 'zod';
import { createAction } from 'nango';
export default createAction({ description: 'Version', input: z.object({}), output: z.object({ v: z.number() }), exec: async () => ({ v: ${v} }) });
`;
  writeFileSync(file, source(1));
  await runtime.reload();
  assert.deepEqual((await run('version', { input: {} })).output, { v: 1 });
  writeFileSync(file, source(2));
  await runtime.reload();
  assert.deepEqual((await run('version', { input: {} })).output, { v: 2 });
});

test('in a worker, an upstream 404 reaches user code with error.response.status (Nango templates rely on it)', async () => {
  assert.deepEqual((await run('lookup', { input: { id: '999' } })).output, { found: false, status: 404 });
  assert.deepEqual((await run('lookup', { input: { id: '1' } })).output, { found: true, status: 200 });
});
