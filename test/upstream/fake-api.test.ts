/** The fake API itself: the double every HTTP test relies on must behave as documented. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startFakeApi } from '../fake-api/server.ts';

const api = await startFakeApi({ accessTokenTtl: 60 });
after(() => api.close());

const form = (params: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(params).toString(),
});

test('resources need credentials and accept each auth mode', async () => {
  assert.equal((await fetch(`${api.url}/issues`)).status, 401);
  assert.equal((await fetch(`${api.url}/issues`, { headers: { 'x-api-key': 'test-api-key' } })).status, 200);
  assert.equal((await fetch(`${api.url}/issues?api_key=test-api-key`)).status, 200);
  assert.equal((await fetch(`${api.url}/me`, { headers: { authorization: 'Bearer test-bearer-token' } })).status, 200);
  const basic = Buffer.from('test-user:test-pass').toString('base64');
  const me = await (await fetch(`${api.url}/me`, { headers: { authorization: `Basic ${basic}` } })).json() as { authenticated_by: string };
  assert.equal(me.authenticated_by, 'basic');
});

test('authorization_code with PKCE, then rotating refresh', async () => {
  const verifier = 'v'.repeat(50);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(`${api.url}/oauth/authorize`);
  auth.search = new URLSearchParams({
    client_id: 'test-client-id', redirect_uri: 'http://localhost/cb', state: 's1', code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  const redirect = await fetch(auth, { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') ?? '');
  assert.equal(location.searchParams.get('state'), 's1');
  const code = location.searchParams.get('code') ?? '';

  const bad = await fetch(`${api.url}/oauth/token`, form({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost/cb', client_id: 'test-client-id', code_verifier: 'wrong' }));
  assert.equal(bad.status, 400); // and the code is burnt

  const again = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location') ?? '');
  const ok = await fetch(`${api.url}/oauth/token`, form({
    grant_type: 'authorization_code', code: again.searchParams.get('code') ?? '', redirect_uri: 'http://localhost/cb', client_id: 'test-client-id', code_verifier: verifier,
  }));
  const tokens = (await ok.json()) as { access_token: string; refresh_token: string };
  assert.equal(ok.status, 200);
  assert.equal((await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 200);

  const basic = Buffer.from('test-client-id:test-client-secret').toString('base64');
  const refreshed = await (await fetch(`${api.url}/oauth/token`, { ...form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` } })).json() as { refresh_token: string };
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  const reused = await fetch(`${api.url}/oauth/token`, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'test-client-id', client_secret: 'test-client-secret' }));
  assert.equal(reused.status, 400, 'a rotated refresh token is revoked');
  assert.equal(api.state.tokenRequests.find((r) => r.grant_type === 'refresh_token')?.client_auth, 'basic');
});

test('deny switch and garbage token responses', async () => {
  api.state.oauth.deny = true;
  const res = await fetch(`${api.url}/oauth/authorize?client_id=test-client-id&redirect_uri=http://localhost/cb&state=x`, { redirect: 'manual' });
  assert.equal(new URL(res.headers.get('location') ?? '').searchParams.get('error'), 'access_denied');
  api.state.oauth.deny = false;
  api.state.oauth.tokenFailure = 'garbage';
  const garbage = await fetch(`${api.url}/oauth/token`, form({ grant_type: 'client_credentials', client_id: 'test-client-id', client_secret: 'test-client-secret' }));
  await assert.rejects(garbage.json());
  api.state.oauth.tokenFailure = null;
});

test('failure injection is keyed and counted', async () => {
  const urls = ['/flaky?key=a&fail=2', '/flaky?key=a&fail=2', '/flaky?key=a&fail=2'];
  const statuses = [];
  for (const u of urls) statuses.push((await fetch(api.url + u)).status);
  assert.deepEqual(statuses, [503, 503, 200]);
  const limited = await fetch(`${api.url}/ratelimit/reset?key=b&seconds=30`);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(limited.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
  const dated = await fetch(`${api.url}/ratelimit/retry-after?key=c&date=1`);
  assert.ok(!Number.isNaN(Date.parse(dated.headers.get('retry-after') ?? '')));
});

test('cursor pagination walks every item once', async () => {
  const seen: string[] = [];
  let cursor = '';
  for (;;) {
    const page = await (await fetch(`${api.url}/paged/cursor?limit=10&cursor=${cursor}`, { headers: { 'x-api-key': 'test-api-key' } })).json() as { items: Array<{ id: string }>; next_cursor: string | null };
    seen.push(...page.items.map((i: { id: string }) => i.id));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  assert.equal(seen.length, 23);
  assert.equal(new Set(seen).size, 23);
});

test('reset restores the seeded state', async () => {
  await fetch(`${api.url}/issues/1`, { method: 'DELETE', headers: { 'x-api-key': 'test-api-key' } });
  assert.equal(api.state.issues.has('1'), false);
  api.reset();
  assert.equal(api.state.issues.has('1'), true);
  assert.equal(api.requests.length, 0);
  assert.equal(api.state.hits.size, 0);
});
