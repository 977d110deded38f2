/**
 * A provider that echoes the request's credentials in an error body must not leak them through
 * the excerpt: the fake API's /reflect pads its answer so the 300-character excerpt is cut inside
 * the secret, leaving all but its last three characters. Checked in the error, its JSON, the MCP
 * error result and the call log.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Credentials, ProxyConfiguration } from '../../src/define/context.ts';
import { PatchbayError } from '../../src/errors.ts';
import { errorResult } from '../../src/mcp/result.ts';
import type { IntegrationConfig } from '../../src/providers/types.ts';
import { createHttpClient } from '../../src/upstream/client.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { assertNoLeak, connect, fakeIntegration, FAST_RETRY, openStack, randomSecret, type Stack } from './helpers.ts';

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

/** Where the excerpt of an upstream body is cut (errors.ts). */
const EXCERPT = 300;

/**
 * Calls /reflect twice: once answered 200 to find where `secret` sits in the body, then failing
 * with a padding that puts the excerpt's cut three characters before the secret's end.
 */
async function failCutInside(integration: IntegrationConfig, credentials: Credentials, secret: string, call: { echo: string; type?: 'text'; headers?: Record<string, string> }) {
  const ctx = await connect(stack, integration, `leak-${++n}`, credentials);
  const config = (params: Record<string, string | number>): ProxyConfiguration => ({
    endpoint: '/reflect',
    params: { echo: call.echo, ...(call.type ? { type: call.type } : {}), ...params },
    ...(call.headers ? { headers: call.headers } : {}),
  });
  const probe = await http.request(ctx, config({ status: 200 }));
  const body = typeof probe.data === 'string' ? probe.data : JSON.stringify(probe.data);
  const at = body.indexOf(secret);
  assert.ok(at >= 0, `the fake API echoed the secret: ${body}`);
  const pad = EXCERPT - at - (secret.length - 3);
  const error = await http.request(ctx, config({ status: 403, pad })).then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PatchbayError && error.code === 'UPSTREAM_HTTP_ERROR', String(error));
  const last = api.requests.at(-1)!;
  assert.equal(last.query['pad'], String(pad), 'the failing request is the padded one');
  return { error, ctx };
}

function assertNowhere(secret: string, { error, ctx }: Awaited<ReturnType<typeof failCutInside>>): void {
  assertNoLeak(error.message, secret, 'the error message');
  assertNoLeak(error.excerpt ?? '', secret, 'the excerpt');
  assertNoLeak(JSON.stringify(error.toJSON()), secret, 'the error JSON');
  assertNoLeak(JSON.stringify(errorResult(error, { integrationId: 'fake', connectionId: 'c' })), secret, 'the MCP error result');
  assertNoLeak(JSON.stringify({ calls: ctx.calls, logs: ctx.logs }), secret, 'the call log');
  assert.match(error.excerpt ?? '', /\[REDACTED\]/, 'the secret is replaced, not silently dropped');
}

test('a bearer token echoed in an Authorization header is redacted before the excerpt is cut', async () => {
  const token = randomSecret('tok_');
  const failure = await failCutInside(fakeIntegration(api.url, 'BEARER'), { type: 'BEARER', token }, token, { echo: 'authorization' });
  assertNowhere(token, failure);
});

test('an API key echoed from its header (text body) or its query parameter (JSON body) is redacted', async () => {
  const key = randomSecret();
  const header = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-api-key': '${apiKey}' } } });
  assertNowhere(key, await failCutInside(header, { type: 'API_KEY', api_key: key }, key, { echo: 'x-api-key', type: 'text' }));
  const query = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, query: { api_key: '${apiKey}' } } });
  assertNowhere(key, await failCutInside(query, { type: 'API_KEY', api_key: key }, key, { echo: 'query:api_key' }));
});

test('an OAuth access token echoed back is redacted', async () => {
  const token = randomSecret('at_');
  const failure = await failCutInside(fakeIntegration(api.url, 'OAUTH2'), { type: 'OAUTH2', access_token: token, raw: {} }, token, { echo: 'authorization' });
  assertNowhere(token, failure);
});

test('basic credentials echoed as the base64 header value are redacted', async () => {
  const password = randomSecret('pw_');
  const encoded = Buffer.from(`someone:${password}`).toString('base64');
  const failure = await failCutInside(fakeIntegration(api.url, 'BASIC'), { type: 'BASIC', username: 'someone', password }, encoded, { echo: 'authorization' });
  assertNowhere(encoded, failure);
  assertNowhere(password, failure);
});

test('secret request headers the function set itself (Cookie, X-Api-Key, Proxy-Authorization) are redacted when echoed', async () => {
  const bearer = fakeIntegration(api.url, 'BEARER');
  const cookie = randomSecret('sess_');
  assertNowhere(cookie, await failCutInside(bearer, { type: 'BEARER', token: randomSecret() }, cookie, { echo: 'cookie', headers: { Cookie: `theme=dark; session=${cookie}` } }));
  const key = randomSecret('k_');
  assertNowhere(key, await failCutInside(bearer, { type: 'BEARER', token: randomSecret() }, key, { echo: 'x-api-key', type: 'text', headers: { 'X-Api-Key': key } }));
  const proxy = randomSecret('px_');
  assertNowhere(proxy, await failCutInside(bearer, { type: 'BEARER', token: randomSecret() }, proxy, { echo: 'proxy-authorization', headers: { 'Proxy-Authorization': `Bearer ${proxy}` } }));
});

test('any header the provider injects a credential into is redacted when echoed', async () => {
  const key = randomSecret('ws_');
  const integration = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-workspace-token': 'Token ${apiKey}' } } });
  assertNowhere(key, await failCutInside(integration, { type: 'API_KEY', api_key: key }, key, { echo: 'x-workspace-token' }));
});
