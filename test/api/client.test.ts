/**
 * `patchbay/client` against `patchbay serve`: every method once, success and failure, and the
 * error it throws carrying the server's status and code. The package export resolves to it.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PatchbayApiError, PatchbayClient } from '../../src/client/index.ts';
import { SECRET } from '../mcp/helpers.ts';
import { startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
let client: PatchbayClient;

before(async () => {
  ctx = await startApiServer({ extraConnections: ['bob'] });
  client = new PatchbayClient({ host: `${ctx.server.url}/`, secretKey: SECRET });
});
after(() => ctx.close());

async function apiError(call: Promise<unknown>): Promise<PatchbayApiError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof PatchbayApiError, String(error));
    return error;
  }
  assert.fail('the call succeeded');
}

it('actions: the output, or a PatchbayApiError with the status, code and field', async () => {
  const issue = await client.triggerAction<{ id: string }>('fake', 'alice', 'get-issue', { id: '4' });
  assert.equal(issue.id, '4');
  const error = await apiError(client.triggerAction('fake', 'alice', 'create-issue', { title: 1 }));
  assert.equal(error.status, 400);
  assert.equal(error.code, 'INVALID_INPUT');
  assert.match(error.message, /input\.title/);
  assert.ok(Array.isArray((error.details as { issues?: unknown[] }).issues));
});

it('async actions: queued, pending, then the output; the status in every state', async () => {
  const { id, statusUrl } = await client.triggerActionAsync('fake', 'alice', 'get-issue', { id: '5' }, { maxRetries: 1, idempotencyKey: `client-${Date.now()}` });
  assert.equal(statusUrl, `/action/${id}`);
  const status = await client.getAsyncActionStatus(id);
  assert.equal(status.id, id);
  assert.equal(status.max_retries, 1);
  const output = await client.getAsyncActionResult<{ id: string }>({ statusUrl, waitSeconds: 30 });
  assert.equal(output.id, '5');
  assert.equal((await client.getAsyncActionStatus(id)).status, 'succeeded');
  const failed = await client.triggerActionAsync('fake', 'alice', 'get-issue', { id: 5 });
  const error = await apiError(client.getAsyncActionResult({ id: failed.id, waitSeconds: 30 }));
  assert.equal(error.status, 500);
  assert.equal(error.code, 'INVALID_INPUT');
  const pending = await client.triggerActionAsync('fake', 'bob', 'slow-call', { ms: 2000 });
  assert.equal((await apiError(client.getAsyncActionResult({ id: pending.id }))).code, 'ACTION_PENDING');
  assert.equal((await apiError(client.getAsyncActionResult({}))).code, 'INVALID_ARGUMENT');
});

it('connections and metadata', async () => {
  assert.deepEqual((await client.listConnections()).connections.map((c) => c.connection_id).sort(), ['alice', 'bob']);
  assert.deepEqual((await client.listConnections({ search: 'bo' })).connections.map((c) => c.connection_id), ['bob']);
  const alice = await client.getConnection('fake', 'alice');
  assert.deepEqual(alice.credentials, { type: 'API_KEY', apiKey: 'test-api-key' });
  await client.setMetadata('fake', 'alice', { team: 'a' });
  await client.updateMetadata('fake', ['alice', 'bob'], { n: 1 });
  assert.deepEqual(await client.getMetadata('fake', 'alice'), { team: 'a', n: 1 });
  await client.deleteConnection('fake', 'bob');
  assert.equal((await apiError(client.getConnection('fake', 'bob'))).code, 'CONNECTION_NOT_FOUND');
});

it('syncs, records, integrations and providers', async () => {
  await client.triggerSync('fake', ['issues'], 'alice', 'full_refresh');
  let status = (await client.syncStatus('fake', '*', 'alice')).syncs[0];
  for (let i = 0; i < 200 && status?.latestExecutionStatus !== 'SUCCESS'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    status = (await client.syncStatus('fake', ['issues'], 'alice')).syncs[0];
  }
  assert.equal(status?.latestExecutionStatus, 'SUCCESS');
  await client.pauseSync('fake', ['issues'], 'alice');
  assert.equal((await client.syncStatus('fake', ['issues'], 'alice')).syncs[0]?.status, 'PAUSED');
  await client.startSync('fake', ['issues'], 'alice');
  const page = await client.listRecords<{ title: string }>({ providerConfigKey: 'fake', connectionId: 'alice', model: 'Issue', limit: 2 });
  assert.equal(page.records.length, 2);
  assert.ok(page.next_cursor);
  assert.ok(page.records[0]?._nango_metadata.cursor);
  const rest = await client.listRecords({ providerConfigKey: 'fake', connectionId: 'alice', model: 'Issue', cursor: page.next_cursor!, filter: ['added', 'updated'] });
  assert.ok(rest.records.length >= 3);
  assert.deepEqual((await client.listIntegrations()).configs.map((i) => i.unique_key).sort(), ['fake', 'other']);
  assert.ok((await client.getIntegration('fake')).data.functions.some((fn) => fn.tool === 'fake_get-issue'));
  assert.ok((await client.listProviders('github')).data.some((p) => p.name === 'github'));
  assert.equal((await client.getProvider('github')).data.name, 'github');
  assert.equal((await apiError(client.getProvider('githib'))).status, 404);
});

it('a wrong key, a wrong host and a bad URL fail with what is wrong', async () => {
  const wrong = new PatchbayClient({ host: ctx.server.url, secretKey: 'pb_sk_wrong_000000000000000000' });
  const error = await apiError(wrong.listConnections());
  assert.equal(error.status, 401);
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.throws(() => new PatchbayClient({ host: 'not a url', secretKey: SECRET }), /not a URL/);
  assert.throws(() => new PatchbayClient({ host: ctx.server.url, secretKey: '' }), /secretKey/);
});

it('the package exports it as patchbay/client', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { default: string; types: string }> };
  assert.equal(pkg.exports['./client']?.default, './dist/client/index.js');
  assert.equal(pkg.exports['./client']?.types, './dist/client/index.d.ts');
});
