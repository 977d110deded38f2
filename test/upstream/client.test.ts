/** The HTTP client against the fake API: auth injection, retries, rate limits, aborts, redirects, host rules, redaction. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchbayError } from '../../src/errors.ts';
import { createHttpClient } from '../../src/upstream/client.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { connect, FAST_RETRY, fakeIntegration, openStack, type Stack } from './helpers.ts';

let api: FakeApi;
let other: FakeApi;
let stack: Stack;
const http = createHttpClient({ retry: FAST_RETRY });
let n = 0;
const id = () => `conn-${++n}`;

before(async () => {
  api = await startFakeApi();
  other = await startFakeApi();
  stack = await openStack();
});
after(async () => {
  await http.close();
  await api.close();
  await other.close();
  await stack.close();
});

const apiKeyHeader = () => fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-api-key': '${apiKey}' } } });
const apiKeyQuery = () => fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, query: { api_key: '${apiKey}' } } });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PatchbayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PatchbayError, `expected a PatchbayError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

test('each auth mode is injected from the connection', async () => {
  const cases = [
    { integration: apiKeyHeader(), credentials: { type: 'API_KEY' as const, api_key: 'test-api-key' }, expect: 'api_key' },
    { integration: apiKeyQuery(), credentials: { type: 'API_KEY' as const, api_key: 'test-api-key' }, expect: 'api_key' },
    { integration: fakeIntegration(api.url, 'BASIC'), credentials: { type: 'BASIC' as const, username: 'test-user', password: 'test-pass' }, expect: 'basic' },
    { integration: fakeIntegration(api.url, 'BEARER'), credentials: { type: 'BEARER' as const, token: 'test-bearer-token' }, expect: 'bearer' },
    { integration: fakeIntegration(api.url, 'OAUTH2'), credentials: { type: 'OAUTH2' as const, access_token: api.seedTokens().access_token, raw: {} }, expect: 'oauth' },
  ];
  for (const c of cases) {
    const ctx = await connect(stack, c.integration, id(), c.credentials);
    const res = await http.request(ctx, { endpoint: '/me' });
    assert.equal(res.status, 200);
    assert.equal(res.data.authenticated_by, c.expect);
  }
  const none = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  const err = await rejectsWith(http.request(none, { endpoint: '/me' }), 'UPSTREAM_HTTP_ERROR');
  assert.equal(err.status, 401);
  assert.match(err.message, /FakeAPI answered 401 to GET .*\/me/);
});

test('params, bodies and response headers follow Nango/axios conventions', async () => {
  const ctx = await connect(stack, apiKeyHeader(), id(), { type: 'API_KEY', api_key: 'test-api-key' });
  const res = await http.request(ctx, { endpoint: 'echo', method: 'post', params: { state: ['open', 'closed'], page: 2, skip: undefined }, data: { title: 'x' }, headers: { 'X-Custom': 'yes' } });
  assert.deepEqual(res.data.query, { state: 'open,closed', page: '2' });
  assert.deepEqual(res.data.body, { title: 'x' });
  assert.equal(res.data.headers['content-type'], 'application/json');
  assert.equal(res.data.headers['x-custom'], 'yes');
  assert.equal(res.headers['content-type'], 'application/json');
  const form = await http.request(ctx, { endpoint: '/echo', method: 'POST', params: 'a=1&b=2', data: new URLSearchParams({ grant: 'yes' }) });
  assert.deepEqual(form.data.query, { a: '1', b: '2' });
  assert.deepEqual(form.data.body, { grant: 'yes' });
  const text = await http.request(ctx, { endpoint: '/echo', responseType: 'text' });
  assert.equal(typeof text.data, 'string');
  const created = await http.request(ctx, { endpoint: '/issues', method: 'POST', data: { title: 'New' } });
  assert.equal(created.status, 201);
  const removed = await http.request(ctx, { endpoint: `/issues/${created.data.id}`, method: 'DELETE' });
  assert.equal(removed.status, 204);
});

test('429 with Retry-After (seconds, then HTTP date) is waited out and retried', async () => {
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  const res = await http.request(ctx, { endpoint: '/ratelimit/retry-after', params: { key: 'ra-seconds', seconds: 1 } });
  assert.equal(res.status, 200);
  assert.deepEqual(ctx.calls.map((c) => [c.status, c.attempt]), [[429, 1], [200, 2]]);
  const dated = await http.request(ctx, { endpoint: '/ratelimit/retry-after', params: { key: 'ra-date', seconds: 1, date: 1 } });
  assert.equal(dated.data.attempts, 2);
});

test('429 with x-ratelimit-reset and x-ratelimit-remaining: 0 waits until the reset', async () => {
  const integration = fakeIntegration(api.url, 'NONE', { proxy: { base_url: api.url, retry: { at: 'x-ratelimit-reset', remaining: 'x-ratelimit-remaining' } } });
  const ctx = await connect(stack, integration, id(), { type: 'NONE' });
  const res = await http.request(ctx, { endpoint: '/ratelimit/reset', params: { key: 'reset-1', seconds: 1 } });
  assert.equal(res.data.attempts, 2);
});

test('a wait longer than the cap or past the deadline fails RATE_LIMITED with retryAfter', async () => {
  const capped = createHttpClient({ retry: { ...FAST_RETRY, maxWaitMs: 5_000 } });
  try {
    const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
    const err = await rejectsWith(capped.request(ctx, { endpoint: '/ratelimit/reset', params: { key: 'long', seconds: 40 } }), 'RATE_LIMITED');
    assert.ok(err.retryAfter !== undefined && err.retryAfter >= 39 && err.retryAfter <= 41, `retryAfter ${err.retryAfter}`);
    // The exact wait travels too: a reset time is precise to the millisecond, retryAfter is whole seconds.
    const waitMs = (err.details as { waitMs: number }).waitMs;
    assert.ok(waitMs > 38_000 && waitMs <= 41_000 && waitMs <= err.retryAfter! * 1000, `waitMs ${waitMs}`);
    assert.match(err.message, /rate limited by FakeAPI .*retry after \d+ s/);
    assert.equal(ctx.calls.length, 1, 'no second attempt');
  } finally {
    await capped.close();
  }
  const unavailable = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  const down = await rejectsWith(http.request(unavailable, { endpoint: '/ratelimit/retry-after', params: { key: 'down', seconds: 3600, status: 503 } }), 'UPSTREAM_HTTP_ERROR');
  assert.equal(down.status, 503);
  assert.equal(unavailable.calls.length, 1, 'an hour-long Retry-After on a 503 is not waited');
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' }, { deadline: Date.now() + 500 });
  const err = await rejectsWith(http.request(ctx, { endpoint: '/ratelimit/retry-after', params: { key: 'deadline', seconds: 3 } }), 'RATE_LIMITED');
  assert.equal(err.retryAfter, 3);
});

test('5xx then success; give up after N with the status and an excerpt', async () => {
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  const ok = await http.request(ctx, { endpoint: '/flaky', params: { key: 'f1', fail: 2 } });
  assert.equal(ok.data.attempts, 3);
  const err = await rejectsWith(http.request(ctx, { endpoint: '/status/503', params: { key: 'gives-up' }, retries: 2 }), 'UPSTREAM_HTTP_ERROR');
  assert.equal(err.status, 503);
  assert.match(err.excerpt ?? '', /answered 503/);
  assert.match(err.message, /after 3 attempts/);
  assert.equal(api.state.hits.get('status:503:gives-up'), 3);
  await rejectsWith(http.request(ctx, { endpoint: '/status/404', params: { key: 'no-retry' } }), 'UPSTREAM_HTTP_ERROR');
  assert.equal(api.state.hits.get('status:404:no-retry'), 1);
});

test('POST is not retried unless the call asks', async () => {
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  await rejectsWith(http.request(ctx, { endpoint: '/flaky', method: 'POST', params: { key: 'post-1', fail: 1 } }), 'UPSTREAM_HTTP_ERROR');
  assert.equal(api.state.hits.get('flaky:post-1'), 1);
  const res = await http.request(ctx, { endpoint: '/flaky', method: 'POST', params: { key: 'post-2', fail: 1 }, retries: 1 });
  assert.equal(res.status, 201);
  const retryOn = await http.request(ctx, { endpoint: '/flaky', method: 'POST', params: { key: 'post-3', fail: 1, status: 409 }, retryOn: [409] });
  assert.equal(retryOn.data.attempts, 2);
});

test('network errors are retried, then UPSTREAM_NETWORK_ERROR', async () => {
  const dead = await startFakeApi();
  const url = dead.url;
  await dead.close();
  const ctx = await connect(stack, fakeIntegration(url, 'NONE'), id(), { type: 'NONE' });
  const err = await rejectsWith(http.request(ctx, { endpoint: '/me', retries: 2 }), 'UPSTREAM_NETWORK_ERROR');
  assert.match(err.message, /ECONNREFUSED/);
  assert.equal(ctx.calls.length, 3);
  assert.ok(ctx.calls.every((c) => c.status === null && c.error));
});

test('aborting the execution aborts the in-flight request at once (the server sees the socket close)', async () => {
  const controller = new AbortController();
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' }, { signal: controller.signal });
  const before = api.state.closedEarly;
  const pending = http.request(ctx, { endpoint: '/slow', params: { ms: 30_000 } });
  while (!api.requests.some((r) => r.path === '/slow')) await sleep(5);
  controller.abort();
  await rejectsWith(pending, 'ABORTED');
  for (let i = 0; i < 200 && api.state.closedEarly === before; i++) await sleep(10);
  assert.equal(api.state.closedEarly, before + 1);
  const timed = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' }, { signal: AbortSignal.timeout(50) });
  await rejectsWith(http.request(timed, { endpoint: '/slow', params: { ms: 30_000 } }), 'TIMEOUT');
});

test('transport timeouts end a hung request; oversized bodies fail; gzip bodies are decompressed unless asked not to', async () => {
  const impatient = createHttpClient({ retry: FAST_RETRY, timeouts: { headers: 100 } });
  try {
    const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
    const err = await rejectsWith(impatient.request(ctx, { endpoint: '/slow', params: { ms: 3000 }, retries: 0 }), 'UPSTREAM_NETWORK_ERROR');
    assert.match(err.message, /UND_ERR_HEADERS_TIMEOUT/);
  } finally {
    await impatient.close();
  }
  const small = createHttpClient({ maxResponseBytes: 1000 });
  try {
    const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
    const err = await rejectsWith(small.request(ctx, { endpoint: '/echo', method: 'POST', data: { big: 'x'.repeat(5000) } }), 'UPSTREAM_HTTP_ERROR');
    assert.match(err.message, /larger than/);
  } finally {
    await small.close();
  }
  const ctx = await connect(stack, fakeIntegration(api.url, 'NONE'), id(), { type: 'NONE' });
  const res = await http.request(ctx, { endpoint: '/echo', params: { gzip: 1 } });
  assert.equal(res.data.path, '/echo');
  assert.equal(res.headers['content-encoding'], undefined);
  const raw = await http.request(ctx, { endpoint: '/echo', params: { gzip: 1 }, decompress: false, responseType: 'arraybuffer' });
  assert.equal(raw.headers['content-encoding'], 'gzip');
  assert.deepEqual([...(raw.data as Buffer).subarray(0, 2)], [0x1f, 0x8b]);
});

test('a redirect to another origin strips credentials; a same-origin redirect keeps them', async () => {
  const integration = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-api-key': '${apiKey}' }, query: { api_key: '${apiKey}' } } });
  const ctx = await connect(stack, integration, id(), { type: 'API_KEY', api_key: 'test-api-key' });
  const res = await http.request(ctx, { endpoint: '/redirect', params: { to: `${other.url}/echo?api_key=test-api-key&x=1` }, headers: { cookie: 'session=abc' } });
  assert.equal(res.status, 200);
  const seen = other.requests.at(-1)!;
  assert.equal(seen.path, '/echo');
  assert.equal(seen.headers['x-api-key'], undefined);
  assert.equal(seen.headers['authorization'], undefined);
  assert.equal(seen.headers['cookie'], undefined);
  assert.deepEqual(seen.query, { x: '1' });
  const same = await http.request(ctx, { endpoint: '/redirect', params: { to: '/me' } });
  assert.equal(same.data.authenticated_by, 'api_key');

  const oauth = await connect(stack, fakeIntegration(api.url, 'OAUTH2'), id(), { type: 'OAUTH2', access_token: api.seedTokens().access_token, raw: {} });
  await http.request(oauth, { endpoint: '/redirect', params: { to: `${other.url}/echo` } });
  assert.equal(other.requests.at(-1)!.headers['authorization'], undefined);
});

test('baseUrlOverride or an absolute endpoint to a foreign host gets no credentials (warned), unless allowed', async () => {
  const ctx = await connect(stack, fakeIntegration(api.url, 'BEARER'), id(), { type: 'BEARER', token: 'test-bearer-token' });
  await http.request(ctx, { endpoint: '/echo', baseUrlOverride: other.url });
  assert.equal(other.requests.at(-1)!.headers['authorization'], undefined);
  await http.request(ctx, { endpoint: `${other.url}/echo` });
  assert.equal(other.requests.at(-1)!.headers['authorization'], undefined);
  assert.equal(ctx.logs.filter((l) => l.level === 'warn').length, 2);
  assert.match(ctx.logs[0]!.message, /were not sent to http:\/\/127\.0\.0\.1/);

  const host = new URL(other.url).host;
  const allowed = fakeIntegration(api.url, 'BEARER', { proxy: { base_url: api.url, allowed_hosts: [host] } });
  const ctx2 = await connect(stack, allowed, id(), { type: 'BEARER', token: 'test-bearer-token' });
  await http.request(ctx2, { endpoint: '/echo', baseUrlOverride: other.url });
  assert.equal(other.requests.at(-1)!.headers['authorization'], 'Bearer test-bearer-token');
});

test('nothing logged or thrown contains a secret', async () => {
  const secrets = ['test-api-key', 'test-bearer-token'];
  const integration = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, query: { api_key: '${apiKey}' }, headers: { authorization: 'Token ${apiKey}' } } });
  const ctx = await connect(stack, integration, id(), { type: 'API_KEY', api_key: 'test-api-key' });
  const bearer = await connect(stack, fakeIntegration(api.url, 'BEARER'), id(), { type: 'BEARER', token: 'test-bearer-token' });
  const errors: string[] = [];
  for (const c of [ctx, bearer]) {
    await http.request(c, { endpoint: '/me' }).catch(() => undefined);
    await http.request(c, { endpoint: '/echo', params: { status: 400 } }).catch((e: PatchbayError) => errors.push(JSON.stringify(e.toJSON()), e.message));
    await http.request(c, { endpoint: '/status/500', retries: 1 }).catch((e: PatchbayError) => errors.push(JSON.stringify(e.toJSON())));
  }
  assert.ok(errors.length >= 4);
  assert.ok(ctx.calls.some((c) => c.url.includes('api_key=[REDACTED]')));
  const everything = JSON.stringify({ calls: [...ctx.calls, ...bearer.calls], logs: [...ctx.logs, ...bearer.logs], errors });
  for (const secret of secrets) assert.ok(!everything.includes(secret), `found ${secret} in ${everything.slice(0, 2000)}`);
  // The echo really did carry the secret, so the check above could have failed.
  assert.equal(api.requests.filter((r) => r.path === '/echo').at(-1)!.headers['authorization'], 'Bearer test-bearer-token');
});
