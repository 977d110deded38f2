/**
 * Asynchronous actions (`X-Async: true`) against `patchbay serve` started as a user starts it, with
 * `@nangohq/node` where it has the method: the 202 and the poll (404 while pending, 200, 500),
 * retries (`X-Max-Retries`), idempotent retriggers, scoped keys, a kill -9 mid-queue, and a burst
 * of 1,000 triggers against a provider that answers 429 past its rate limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Nango } from '@nangohq/node';
import { SECRET, startHttpServe, stopChild, waitFor } from '../mcp/helpers.ts';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { failure, startApiServer, type ApiServer } from './helpers.ts';

/** A key that may use only connections named `bob` (of any integration). */
const BOB_ONLY = 'pb_sk_test_bob_any_integration_0123';

const QUEUE_FIXTURE = fileURLToPath(new URL('../fixtures/async/integrations', import.meta.url));

/** The fixtures' `queue` integration with connections alice and bob (the fake API's key). */
async function startQueueServer(env: Record<string, string> = {}): Promise<ApiServer> {
  return startApiServer({
    env,
    extraConnections: ['bob'],
    alsoIntegrations: QUEUE_FIXTURE,
    prepare: async (runtime) => {
      await createApiKey(runtime.store, { name: 'bob-only', connections: ['bob'], secret: BOB_ONLY });
      for (const connectionId of ['alice', 'bob']) {
        await runtime.connections.add({ integrationId: 'queue', connectionId, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
      }
    },
  });
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(url: string, init: RequestInit & { secret?: string } = {}): Promise<Answer> {
  const { secret = SECRET, ...rest } = init;
  const response = await fetch(url, { ...rest, headers: { authorization: `Bearer ${secret}`, ...(rest.headers as Record<string, string>) } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** `POST /action/trigger` for `queue` (asynchronous unless `X-Async` is overridden in `headers`). */
function trigger(ctx: ApiServer, connection: string, action: string, input: unknown, headers: Record<string, string> = {}, secret = SECRET): Promise<Answer> {
  return call(`${ctx.server.url}/action/trigger`, {
    method: 'POST',
    secret,
    body: JSON.stringify({ action_name: action, input }),
    headers: { 'content-type': 'application/json', 'connection-id': connection, 'provider-config-key': 'queue', 'x-async': 'true', ...headers },
  });
}

/** Polls `GET /action/:id?wait=…` until it stops answering ACTION_PENDING. */
async function result(ctx: ApiServer, id: string, secret = SECRET): Promise<Answer> {
  for (;;) {
    const answer = await call(`${ctx.server.url}/action/${id}?wait=20`, { secret });
    if (!(answer.status === 404 && answer.body?.error?.code === 'ACTION_PENDING')) return answer;
  }
}

/** The backend's webhook receiver: every body it got, with its signature header. */
async function startReceiver(): Promise<{ url: string; got: Array<{ body: string; signature: string | undefined }>; close(): Promise<void> }> {
  const got: Array<{ body: string; signature: string | undefined }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      got.push({ body, signature: req.headers['x-nango-hmac-sha256'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('async actions: lifecycle, retries, idempotency, scope', () => {
  let ctx: ApiServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    ctx = await startQueueServer({ PATCHBAY_WEBHOOK_URL: receiver.url, PATCHBAY_WEBHOOK_SECRET: 'hook-secret' });
  });
  after(async () => {
    await ctx.close();
    await receiver.close();
  });
  const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });

  it('triggerActionAsync answers { id, statusUrl }; the result is 404 ACTION_PENDING while it runs, then the output', async () => {
    const started = (await nango().triggerActionAsync('queue', 'alice', 'wait-call', { ms: 1500, key: 'life' })) as { id: string; statusUrl: string };
    assert.match(started.id, /^[0-9a-f-]{36}$/);
    assert.equal(started.statusUrl, `/action/${started.id}`);
    const pending = await failure(nango().getAsyncActionResult({ id: started.id }));
    assert.equal(pending.status, 404);
    assert.equal(pending.error.code, 'ACTION_PENDING');
    assert.match(pending.error.message, /queued|running/);
    const status = await call(`${ctx.server.url}/action/${started.id}/status`);
    assert.equal(status.status, 200);
    assert.ok(['queued', 'running'].includes(status.body.status));
    assert.equal(status.body.action_name, 'wait-call');
    const done = await result(ctx, started.id);
    assert.equal(done.status, 200);
    assert.deepEqual(done.body, { waited: 1500 });
    assert.deepEqual(await nango().getAsyncActionResult({ statusUrl: started.statusUrl }), { waited: 1500 });
    const after = await call(`${ctx.server.url}/action/${started.id}/status`);
    assert.equal(after.body.status, 'succeeded');
    assert.equal(after.body.attempts, 1);
    // The backend heard of it as Nango's "async action completed" webhook, signed as Nango signs.
    await waitFor(() => receiver.got.some((hook) => hook.body.includes(started.id)), 'the completion webhook');
    const hook = receiver.got.find((h) => h.body.includes(started.id))!;
    assert.deepEqual(JSON.parse(hook.body), { from: 'patchbay', type: 'async_action', connectionId: 'alice', providerConfigKey: 'queue', payload: { id: started.id, statusUrl: started.statusUrl } });
    assert.equal(hook.signature, createHmac('sha256', 'hook-secret').update(hook.body).digest('hex'));
  });

  it('a failed action is 500 with its code; input the action refuses is not retried', async () => {
    const started = await trigger(ctx, 'alice', 'flaky-call', { key: 'bad', fail: 'two' }, { 'x-max-retries': '3' });
    assert.equal(started.status, 202);
    const done = await result(ctx, started.body.id);
    assert.equal(done.status, 500);
    assert.equal(done.body.error.code, 'INVALID_INPUT');
    assert.equal(done.body.error.attempts, 1);
  });

  it('X-Max-Retries retries a failing run with backoff; past the retries the last error stands', async () => {
    const healed = await trigger(ctx, 'alice', 'flaky-call', { key: 'heals', fail: 2 }, { 'x-max-retries': '2' });
    const healedResult = await result(ctx, healed.body.id);
    assert.equal(healedResult.status, 200);
    assert.deepEqual(healedResult.body, { attempts: 3 });
    const spent = await trigger(ctx, 'alice', 'flaky-call', { key: 'spent', fail: 5 }, { 'x-max-retries': '1' });
    const spentResult = await result(ctx, spent.body.id);
    assert.equal(spentResult.status, 500);
    assert.equal(spentResult.body.error.code, 'UPSTREAM_HTTP_ERROR');
    assert.equal(spentResult.body.error.attempts, 2);
    const noRetries = await trigger(ctx, 'alice', 'flaky-call', { key: 'once', fail: 1 });
    assert.equal((await result(ctx, noRetries.body.id)).body.error.attempts, 1, 'no X-Max-Retries: one attempt, as Nango');
  });

  it('bad headers are 400 before anything is queued; an unknown connection is 404', async () => {
    for (const value of ['6', '-1', '1.5', 'many']) {
      const answer = await trigger(ctx, 'alice', 'flaky-call', { key: 'x', fail: 0 }, { 'x-max-retries': value });
      assert.equal(answer.status, 400, value);
      assert.match(answer.body.error.message, /X-Max-Retries/);
    }
    const async = await trigger(ctx, 'alice', 'flaky-call', { key: 'x', fail: 0 }, { 'x-async': 'maybe' });
    assert.equal(async.status, 400);
    const idem = await trigger(ctx, 'alice', 'flaky-call', { key: 'x', fail: 0 }, { 'idempotency-key': 'has space' });
    assert.equal(idem.status, 400);
    const nobody = await trigger(ctx, 'carol', 'flaky-call', { key: 'x', fail: 0 });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body.error.code, 'CONNECTION_NOT_FOUND');
    const unknown = await call(`${ctx.server.url}/action/00000000-0000-4000-8000-000000000000`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    const garbage = await call(`${ctx.server.url}/action/..%2F..%2Fetc`);
    assert.equal(garbage.status, 404);
  });

  it('an Idempotency-Key makes a retried trigger run once, async or not; another request under the same key is 409', async () => {
    const ref = `idem-${Date.now()}`;
    const input = { key: 'idem', ref, per_second: 1000 };
    const first = await trigger(ctx, 'alice', 'quota-call', input, { 'idempotency-key': ref });
    const second = await trigger(ctx, 'alice', 'quota-call', input, { 'idempotency-key': ref });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual((await result(ctx, first.body.id)).body, { ref, created: 1 });
    const third = await trigger(ctx, 'alice', 'quota-call', input, { 'idempotency-key': ref });
    assert.equal(third.body.id, first.body.id, 'a retry after it finished still gets the same run');
    assert.equal(ctx.api.state.hits.get(`quota:idem:${ref}`), 1);

    const other = await trigger(ctx, 'alice', 'quota-call', { ...input, ref: 'something else' }, { 'idempotency-key': ref });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');

    // Synchronous: both answers are the one run's output.
    const syncRef = `${ref}-sync`;
    const syncInput = { key: 'idem', ref: syncRef, per_second: 1000 };
    const [a, b] = await Promise.all([
      trigger(ctx, 'alice', 'quota-call', syncInput, { 'idempotency-key': syncRef, 'x-async': 'false' }),
      trigger(ctx, 'alice', 'quota-call', syncInput, { 'idempotency-key': syncRef, 'x-async': 'false' }),
    ]);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { ref: syncRef, created: 1 });
    assert.deepEqual(b.body, a.body);
    assert.equal(ctx.api.state.hits.get(`quota:idem:${syncRef}`), 1);
    // A synchronous failure keeps the status it has without a key.
    const bad = await trigger(ctx, 'alice', 'quota-call', { key: 'idem' }, { 'idempotency-key': `${ref}-bad`, 'x-async': 'false' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_INPUT');
  });

  it('scoped keys: bob’s key neither triggers nor sees alice’s actions; a tools-limited key cannot queue other tools', async () => {
    const alice = await trigger(ctx, 'alice', 'flaky-call', { key: 'scope', fail: 0 });
    assert.equal(alice.status, 202);
    const forbidden = await trigger(ctx, 'alice', 'flaky-call', { key: 'scope', fail: 0 }, {}, BOB_ONLY);
    assert.equal(forbidden.status, 403);
    const peek = await call(`${ctx.server.url}/action/${alice.body.id}`, { secret: BOB_ONLY });
    assert.equal(peek.status, 404, 'not 403: the id’s existence is not told');
    assert.equal(peek.body.error.code, 'NOT_FOUND');
    const status = await call(`${ctx.server.url}/action/${alice.body.id}/status`, { secret: BOB_ONLY });
    assert.equal(status.status, 404);
    // The same idempotency key under another API key is another request.
    const bobs = await trigger(ctx, 'bob', 'flaky-call', { key: 'scope-bob', fail: 0 }, { 'idempotency-key': 'shared' }, BOB_ONLY);
    const mains = await trigger(ctx, 'bob', 'flaky-call', { key: 'scope-main', fail: 0 }, { 'idempotency-key': 'shared' });
    assert.notEqual(bobs.body.id, mains.body.id);
    assert.equal((await result(ctx, bobs.body.id, BOB_ONLY)).status, 200);
    const tools = await trigger(ctx, 'alice', 'flaky-call', { key: 'scope', fail: 0 }, {}, ctx.project.scopedSecret);
    assert.equal(tools.status, 403);
    assert.match(tools.body.error.message, /queue\/flaky-call/);
  });

  it('a burst of 1,000 async triggers against a 150 requests/s limit: all succeed, none runs twice, the 429s were real', async () => {
    const key = `burst-${Date.now()}`;
    const ids: string[] = [];
    const refs = Array.from({ length: 1000 }, (_, i) => `r${i}`);
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < refs.length) {
          const ref = refs[next++]!;
          const answer = await trigger(ctx, 'bob', 'quota-call', { key, ref, per_second: 150 });
          assert.equal(answer.status, 202, JSON.stringify(answer.body));
          ids.push(answer.body.id);
        }
      }),
    );
    const queuedMs = Date.now() - started;
    const outcomes = await Promise.all(ids.map((id) => result(ctx, id)));
    const failed = outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(failed.map((o) => o.body), [], 'no async action failed');
    for (const ref of refs) assert.equal(ctx.api.state.hits.get(`quota:${key}:${ref}`), 1, `${ref} was created exactly once`);
    const limited = ctx.api.state.hits.get(`quota-429:${key}`) ?? 0;
    assert.ok(limited > 0, 'the provider did answer 429: the limit was reached');
    const totalMs = Date.now() - started;
    // The limit allows 150/s: 1,000 take at least ~6 s; the queue should not be much slower.
    console.log(`burst: 1000 queued in ${queuedMs} ms, all done in ${totalMs} ms (${Math.round(1000 / (totalMs / 1000))}/s against a 150/s limit), ${limited} answers 429`);
  });
});

describe('async actions: a kill -9 mid-queue', () => {
  let ctx: ApiServer;
  before(async () => {
    ctx = await startQueueServer();
  });
  after(() => ctx.close());

  it('loses nothing: queued actions run after the restart, the one running then runs again', async () => {
    const running = await trigger(ctx, 'alice', 'wait-call', { ms: 2500, key: 'killed' });
    const key = `restart-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await trigger(ctx, 'bob', 'quota-call', { key, ref: `r${i}`, per_second: 4 })).body.id);
    const slowSeen = () => ctx.api.requests.filter((r) => r.path === '/slow' && r.query?.['key'] === 'killed').length;
    await waitFor(() => slowSeen() >= 1, 'the slow action to start');
    ctx.server.child.kill('SIGKILL');
    await new Promise((resolve) => ctx.server.child.once('exit', resolve));
    const doneBefore = [...ctx.api.state.hits.keys()].filter((k) => k.startsWith(`quota:${key}:`)).length;
    assert.ok(doneBefore < 40, 'the kill came while actions were still queued');

    ctx.server = await startHttpServe(ctx.project);
    try {
    const outcomes = await Promise.all(ids.map((id) => result(ctx, id)));
    assert.deepEqual(outcomes.filter((o) => o.status !== 200).map((o) => o.body), []);
    for (let i = 0; i < 40; i++) assert.ok((ctx.api.state.hits.get(`quota:${key}:r${i}`) ?? 0) >= 1, `r${i} ran`);
    const resumed = await result(ctx, running.body.id);
    assert.deepEqual(resumed.body, { waited: 2500 });
    assert.equal(slowSeen(), 2, 'the action cut short by the kill ran again (at least once)');
    } finally {
      await stopChild(ctx.server.child);
    }
  });
});
