/**
 * `POST /action/trigger` for backends, with Nango's own Node client (`@nangohq/node`) against
 * `patchbay serve` started as a user starts it: only the host and the secret key change. Success,
 * every error path with its status and code, scoped keys (asynchronous triggers: async-actions.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Nango } from '@nangohq/node';
import { SECRET } from '../mcp/helpers.ts';
import { BOB_ONLY, failure, startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
before(async () => {
  ctx = await startApiServer({ extraConnections: ['bob'], bobOnly: true });
});
after(() => ctx.close());

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });

describe('POST /action/trigger with @nangohq/node', () => {
  it('triggerAction returns the action’s output, and the provider saw the connection’s credentials', async () => {
    const seen = ctx.api.requests.length;
    const output = await nango().triggerAction('fake', 'alice', 'get-issue', { id: '2' });
    assert.deepEqual(Object.keys(output as object).sort(), ['id', 'state', 'title', 'updated_at']);
    assert.equal((output as { id: string }).id, '2');
    assert.equal(ctx.api.requests.length, seen + 1);
    assert.equal(ctx.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
    const created = (await nango().triggerAction('fake', 'bob', 'create-issue', { title: 'from a backend' })) as { title: string };
    assert.equal(created.title, 'from a backend');
  });

  it('bad input is 400 INVALID_INPUT naming the field', async () => {
    const { status, error } = await failure(nango().triggerAction('fake', 'alice', 'create-issue', { title: 42 }));
    assert.equal(status, 400);
    assert.equal(error.code, 'INVALID_INPUT');
    assert.match(error.message, /input\.title/);
  });

  it('an unknown action, integration or connection is 404 with what exists; a sync is not an action', async () => {
    const typo = await failure(nango().triggerAction('fake', 'alice', 'get-isue', { id: '1' }));
    assert.equal(typo.status, 404);
    assert.equal(typo.error.code, 'FUNCTION_NOT_FOUND');
    assert.match(typo.error.message, /get-issue/);
    const integration = await failure(nango().triggerAction('nope', 'alice', 'get-issue', {}));
    assert.equal(integration.status, 404);
    assert.equal(integration.error.code, 'INTEGRATION_NOT_FOUND');
    const connection = await failure(nango().triggerAction('fake', 'carol', 'get-issue', { id: '1' }));
    assert.equal(connection.status, 404);
    assert.equal(connection.error.code, 'CONNECTION_NOT_FOUND');
    const sync = await failure(nango().triggerAction('fake', 'alice', 'issues', {}));
    assert.equal(sync.status, 404);
    assert.match(sync.error.message, /is a sync, not an action/);
  });

  it('an upstream failure keeps its code and status', async () => {
    const { status, error } = await failure(nango().triggerAction('fake', 'alice', 'get-issue', { id: '999' }));
    assert.equal(status, 502);
    assert.equal(error.code, 'UPSTREAM_HTTP_ERROR');
  });

  it('scoped keys: a key for bob cannot run for alice; a key limited to fake_get-* cannot create', async () => {
    const bob = await nango(BOB_ONLY).triggerAction('fake', 'bob', 'get-issue', { id: '1' });
    assert.equal((bob as { id: string }).id, '1');
    const alice = await failure(nango(BOB_ONLY).triggerAction('fake', 'alice', 'get-issue', { id: '1' }));
    assert.equal(alice.status, 403);
    assert.equal(alice.error.code, 'FORBIDDEN');
    const scoped = nango(ctx.project.scopedSecret);
    assert.equal(((await scoped.triggerAction('fake', 'alice', 'get-issue', { id: '3' })) as { id: string }).id, '3');
    const create = await failure(scoped.triggerAction('fake', 'alice', 'create-issue', { title: 'no' }));
    assert.equal(create.status, 403);
    assert.match(create.error.message, /fake\/create-issue/);
  });

  it('a wrong or missing key is 401', async () => {
    const wrong = await failure(nango('pb_sk_not_a_real_key_000000000000').triggerAction('fake', 'alice', 'get-issue', { id: '1' }));
    assert.equal(wrong.status, 401);
    const none = await fetch(`${ctx.server.url}/action/trigger`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
  });
});

describe('POST /action/trigger, hostile requests', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${ctx.server.url}/action/trigger`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'connection-id': 'alice', 'provider-config-key': 'fake', ...headers },
    });
  const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string; details?: { errors?: unknown[] } } }).error;

  it('missing headers, a body that is not JSON or not the right shape: 400 saying what to send', async () => {
    const noConnection = await fetch(`${ctx.server.url}/action/trigger`, { method: 'POST', body: '{"action_name":"get-issue"}', headers: { authorization: `Bearer ${SECRET}`, 'provider-config-key': 'fake' } });
    assert.equal(noConnection.status, 400);
    assert.match((await errorOf(noConnection)).message, /Connection-Id/);
    const notJson = await post('{"action_name": ');
    assert.equal(notJson.status, 400);
    assert.match((await errorOf(notJson)).message, /must be JSON/);
    const shape = await post('{"action_name": 7, "input": {}}');
    assert.equal(shape.status, 400);
    const error = await errorOf(shape);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /action_name/);
    assert.ok(Array.isArray(error.details?.errors));
  });

  it('a body past the limit is 413; another method is 405; the server keeps answering', async () => {
    const big = await post(JSON.stringify({ action_name: 'create-issue', input: { title: 'x'.repeat(5 * 1024 * 1024) } }));
    assert.equal(big.status, 413);
    const get = await fetch(`${ctx.server.url}/action/trigger`, { headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const ok = await post(JSON.stringify({ action_name: 'get-issue', input: { id: '1' } }));
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { id: string }).id, '1');
  });

  it('a client that hangs up cancels the action and its upstream request', async () => {
    const closedBefore = ctx.api.state.closedEarly;
    const controller = new AbortController();
    const aborted = fetch(`${ctx.server.url}/action/trigger`, {
      method: 'POST',
      signal: controller.signal,
      body: JSON.stringify({ action_name: 'slow-call', input: { ms: 30_000 } }),
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'connection-id': 'bob', 'provider-config-key': 'fake' },
    }).catch(() => undefined);
    const slowSeen = () => ctx.api.requests.filter((r) => r.path === '/slow').length;
    const before = slowSeen();
    for (let i = 0; i < 400 && slowSeen() < before + 1; i++) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    await aborted;
    for (let i = 0; i < 400 && ctx.api.state.closedEarly < closedBefore + 1; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ctx.api.state.closedEarly >= closedBefore + 1, 'the upstream request of the abandoned call was closed');
  });
});
