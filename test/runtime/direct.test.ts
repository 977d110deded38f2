/**
 * Runners call the execution's own connection themselves (no round trip to the server per
 * request), while token refreshes stay on the server, single-flight. Real runner processes, the
 * fake API over HTTP, the real credential manager and SQLite.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiScope } from '../../src/access/scope.ts';
import type { App } from '../../src/app.ts';
import { runnerIntegration } from '../../src/runtime/live-capabilities.ts';
import type { IntegrationConfig } from '../../src/providers/types.ts';
import { startFakeApi } from '../fake-api/server.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

let project: RuntimeProject;
let runtime: App;
/** Requests the server's own HTTP client was asked to send (the fallback path). */
let serverRequests = 0;

before(async () => {
  project = await runtimeProject();
  runtime = await project.open();
  const request = runtime.http.request.bind(runtime.http);
  runtime.http.request = (ctx, config) => {
    serverRequests++;
    return request(ctx, config);
  };
  for (const id of ['c1', 'c2']) await runtime.connections.add({ integrationId: 'fake', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
});
after(() => project.cleanup());

test('the own connection is called from the runner: the server sends nothing, the result still lists the call', async () => {
  const before = serverRequests;
  const seen = project.api.requests.length;
  const result = await runtime.executor.run({ integrationId: 'fake', name: 'get-issue', connectionId: 'c1', input: { id: '3' } });
  assert.equal((result.output as { id: string }).id, '3');
  assert.equal(serverRequests, before, 'the server’s HTTP client was not used');
  assert.equal(project.api.requests.length, seen + 1, 'the fake API saw the request');
  assert.equal(project.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key', 'credentials injected in the runner');
  assert.equal(result.http.length, 1);
  assert.equal(result.http[0]?.status, 200);
  assert.doesNotMatch(JSON.stringify(result.http), /test-api-key/);
});

test('a redirect to another origin from the runner arrives without the credentials; the same origin keeps them', async () => {
  const foreign = await startFakeApi();
  try {
    const away = await runtime.executor.run({ integrationId: 'fake', name: 'follow', connectionId: 'c1', input: { endpoint: '/redirect', params: { to: `${foreign.url}/echo` } } });
    const echoed = (away.output as { data: { headers: Record<string, string> } }).data.headers;
    assert.equal(echoed['x-api-key'], undefined, 'the foreign origin got no API key');
    assert.equal(foreign.requests.at(-1)?.headers['x-api-key'], undefined);
    assert.equal(away.http.length, 2, 'both hops are in the result');
    const home = await runtime.executor.run({ integrationId: 'fake', name: 'follow', connectionId: 'c1', input: { endpoint: '/redirect', params: { to: '/echo' } } });
    assert.equal((home.output as { data: { headers: Record<string, string> } }).data.headers['x-api-key'], 'test-api-key');
  } finally {
    await foreign.close();
  }
});

test('another connection is reached through the server, under the caller’s scope', async () => {
  const before = serverRequests;
  const result = await runtime.executor.run({ integrationId: 'fake', name: 'other-connection', connectionId: 'c1', input: { id: '2', connectionId: 'c2' } });
  assert.equal((result.output as { id: string }).id, '2');
  assert.equal(serverRequests, before + 1, 'the other connection went through the server');
  const scoped: ApiScope = { keyId: 'k1', connections: ['c1'], tools: null };
  await assert.rejects(
    runtime.executor.run({ integrationId: 'fake', name: 'other-connection', connectionId: 'c1', input: { id: '2', connectionId: 'c2' }, scope: scoped }),
    (error: { code: string }) => error.code === 'FORBIDDEN',
  );
});

test('a 401 in the runner refreshes once on the server for five concurrent requests, and they all succeed', async () => {
  const tokens = project.api.seedTokens(3600);
  await runtime.connections.add({
    integrationId: 'oauthy',
    connectionId: 'r401',
    credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3600_000).toISOString(), raw: {} },
  });
  const refreshes = () => project.api.state.tokenCounts['refresh_token'] ?? 0;
  const before = refreshes();
  project.api.state.revokeAccessTokens();
  const result = await runtime.executor.run({ integrationId: 'oauthy', name: 'whoami-many', connectionId: 'r401', input: { count: 5, waitMs: 0 } });
  const out = result.output as { logins: string[]; token: string };
  assert.deepEqual(out.logins, Array(5).fill('octo'));
  assert.equal(refreshes(), before + 1, 'one refresh for five 401s');
  assert.notEqual(out.token, tokens.access_token);
  const stored = await runtime.connections.get('oauthy', 'r401');
  assert.equal((stored.credentials as { access_token: string }).access_token, out.token, 'the refreshed token was stored by the server');
  assert.equal(result.http.filter((c) => c.status === 401).length, 5);
  assert.equal(result.http.filter((c) => c.status === 200).length, 5);
  assert.doesNotMatch(JSON.stringify([result.http, result.logs]), new RegExp(`${tokens.refresh_token}|${out.token}|test-client-secret`.replace(/-/g, '\\-')));
});

test('a token that comes due during a run is renewed through the server before the next request', async () => {
  const tokens = project.api.seedTokens(3600);
  // Due 2 s after the run starts: the 300 s refresh buffer is crossed while the action waits.
  await runtime.connections.add({
    integrationId: 'oauthy',
    connectionId: 'due',
    credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 302_000).toISOString(), raw: {} },
  });
  const before = project.api.state.tokenCounts['refresh_token'] ?? 0;
  const result = await runtime.executor.run({ integrationId: 'oauthy', name: 'whoami-many', connectionId: 'due', input: { count: 3, waitMs: 2500 } });
  const out = result.output as { token: string };
  assert.equal(project.api.state.tokenCounts['refresh_token'], before + 1, 'renewed once, ahead of expiry');
  assert.notEqual(out.token, tokens.access_token);
  assert.equal(result.http.length, 3);
  assert.ok(result.http.every((c) => c.status === 200), 'no request went out with the old token');
});

test('the integration a runner receives carries no OAuth client secret, token parameters, webhook secret or environment', () => {
  const full = {
    id: 'x',
    provider: { name: 'x', auth_mode: 'OAUTH2', token_params: { audience: 'a' }, refresh_params: { k: 'v' }, authorization_params: { p: 'q' }, proxy: { base_url: 'https://api.example.com' } },
    oauth: { client_id: 'cid', client_secret: 'very-secret', scopes: ['read'], unresolved: { client_secret: 'needs X' } },
    environment: { API_TOKEN: 'env-secret' },
    webhooks: { urls: ['https://hooks.example.com'], secret: 'hook-secret' },
  } as unknown as IntegrationConfig;
  const seen = JSON.stringify(runnerIntegration(full));
  for (const secret of ['very-secret', 'env-secret', 'hook-secret', 'audience', 'refresh_params', 'authorization_params', 'unresolved']) assert.ok(!seen.includes(secret), secret);
  assert.match(seen, /api\.example\.com/);
  assert.match(seen, /"client_id":"cid"/);
});
