/**
 * A 2xx answer whose Content-Type says JSON but whose body does not parse is an error
 * (UPSTREAM_HTTP_ERROR, details.reason 'invalid_json'), logged in the execution's logs and its
 * HTTP call log, never handed to the function as a string. Empty JSON bodies, other content
 * types and explicit `responseType`s keep their axios behaviour.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PatchbayError } from '../../src/errors.ts';
import { decodeBody, isJsonContentType } from '../../src/upstream/build.ts';
import { createHttpClient } from '../../src/upstream/client.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { connect, FAST_RETRY, fakeIntegration, openStack, type Stack } from './helpers.ts';

let api: FakeApi;
let stack: Stack;
const http = createHttpClient({ retry: FAST_RETRY });
let n = 0;

before(async () => {
  api = await startFakeApi();
  stack = await openStack();
});
after(async () => {
  await http.close();
  await api.close();
  await stack.close();
});

const context = () =>
  connect(stack, fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-api-key': '${apiKey}' } } }), `json-${++n}`, { type: 'API_KEY', api_key: 'test-api-key' });
const raw = (body: string, type?: string, status = 200) => ({ endpoint: '/raw', params: { body, status, ...(type ? { type } : {}) } });
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

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

test('JSON content types: application/json and application/*+json, any case, parameters ignored', () => {
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/vnd.api+json', 'application/problem+json; charset=utf-8']) {
    assert.equal(isJsonContentType(type), true, type);
  }
  for (const type of [undefined, '', 'text/html', 'text/plain', 'application/x-ndjson', 'application/jsonl', 'application/octet-stream', 'application/json-seq']) {
    assert.equal(isJsonContentType(type), false, String(type));
  }
});

test('decodeBody: a JSON type that does not parse throws; empty, BOM and non-JSON types keep axios behaviour', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };
  assert.throws(() => decodeBody(bytes('<html>oops</html>'), json, undefined), /not valid JSON/);
  assert.throws(() => decodeBody(bytes('{"items": ['), json, 'json'), /not valid JSON/);
  assert.equal(decodeBody(bytes(''), json, undefined), '', 'an empty body is axios’s empty string');
  assert.deepEqual(decodeBody(bytes('\uFEFF{"a":1}'), json, undefined), { a: 1 }, 'a byte-order mark is stripped as axios does');
  assert.equal(decodeBody(bytes('<html>oops</html>'), { 'content-type': 'text/html' }, undefined), '<html>oops</html>');
  assert.deepEqual(decodeBody(bytes('{"a":1}'), { 'content-type': 'text/plain' }, undefined), { a: 1 }, 'other types: JSON when it parses');
  assert.deepEqual(decodeBody(bytes('{"a":1}'), {}, undefined), { a: 1 });
  assert.equal(decodeBody(bytes('nope'), {}, undefined), 'nope');
  assert.equal(decodeBody(bytes('<html>oops</html>'), json, 'text'), '<html>oops</html>');
  assert.ok(Buffer.isBuffer(decodeBody(bytes('<html>'), json, 'arraybuffer')));
  assert.ok(decodeBody(bytes('<html>'), json, 'stream') instanceof Readable);
});

test('a 200 with a JSON content type and an HTML body fails UPSTREAM_HTTP_ERROR invalid_json, logged and redacted', async () => {
  const ctx = await context();
  const err = await rejectsWith(http.request(ctx, raw('<html>oops test-api-key</html>', 'application/json')), 'UPSTREAM_HTTP_ERROR');
  assert.equal(err.status, 200);
  assert.equal((err.details as { reason?: string }).reason, 'invalid_json');
  assert.match(err.message, /FakeAPI answered 200 to GET http:\/\/127\.0\.0\.1:\d+\/raw with a body that is not valid JSON/);
  assert.match(err.message, /<html>oops \[REDACTED\]<\/html>/, 'says what came back');
  assert.match(err.message, /responseType: 'text'/, 'says what to do');
  assert.equal(err.excerpt, '<html>oops [REDACTED]</html>');
  assert.equal(api.requests.filter((r) => r.path === '/raw').length, 1, 'not retried: the answer arrived');
  const logged = ctx.logs.find((l) => l.level === 'error');
  assert.ok(logged, 'an error entry in the execution log');
  assert.match(logged.message, /not valid JSON/);
  const call = ctx.calls.at(-1)!;
  assert.equal(call.status, 200);
  assert.match(call.error ?? '', /invalid JSON/);
  const everything = JSON.stringify({ err: err.toJSON(), message: err.message, logs: ctx.logs, calls: ctx.calls });
  assert.ok(!everything.includes('test-api-key'), everything);
});

test('every JSON content type is checked; empty bodies, other types and explicit responseTypes are not', async () => {
  const ctx = await context();
  for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json', 'APPLICATION/JSON']) {
    const err = await rejectsWith(http.request(ctx, raw('{"items": [', type)), 'UPSTREAM_HTTP_ERROR');
    assert.equal((err.details as { reason?: string }).reason, 'invalid_json', type);
  }
  assert.equal((await http.request(ctx, raw('', 'application/json'))).data, '', '204-like empty JSON body');
  assert.equal((await http.request(ctx, { ...raw('', 'application/json', 204) })).status, 204);
  assert.equal((await http.request(ctx, raw('<html>oops</html>', 'text/html'))).data, '<html>oops</html>');
  assert.deepEqual((await http.request(ctx, raw('{"ok":true}', 'application/json'))).data, { ok: true });
  assert.equal((await http.request(ctx, { ...raw('<html>oops</html>', 'application/json'), responseType: 'text' })).data, '<html>oops</html>');
  const buffer = (await http.request(ctx, { ...raw('<html>oops</html>', 'application/json'), responseType: 'arraybuffer' })).data as Buffer;
  assert.equal(buffer.toString('utf8'), '<html>oops</html>');
  const stream = (await http.request(ctx, { ...raw('<html>oops</html>', 'application/json'), responseType: 'stream' })).data as Readable;
  assert.equal(Buffer.concat(await stream.toArray()).toString('utf8'), '<html>oops</html>');
  assert.ok(!ctx.calls.slice(-5).some((c) => c.error), 'nothing logged as an error for the accepted answers');
});

test('a 4xx with a JSON content type and an HTML body stays a plain HTTP error with the text as excerpt', async () => {
  const ctx = await context();
  const err = await rejectsWith(http.request(ctx, raw('<html>bad request</html>', 'application/json', 400)), 'UPSTREAM_HTTP_ERROR');
  assert.equal(err.status, 400);
  assert.equal(err.excerpt, '<html>bad request</html>');
  assert.notEqual((err.details as { reason?: string }).reason, 'invalid_json');
});
