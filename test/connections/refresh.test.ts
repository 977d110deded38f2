/** OAuth refresh through the real stack (memory store, connection service, credential manager) against the fake API's token endpoint. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { PatchbayError } from '../../src/errors.ts';
import type { OAuth2Credentials } from '../../src/define/context.ts';
import { createCredentialManager } from '../../src/connections/refresh.ts';
import { createHttpClient } from '../../src/upstream/client.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { connect, FAST_RETRY, fakeIntegration, openStack, type Stack } from '../upstream/helpers.ts';

let api: FakeApi;
let stack: Stack;
const http = createHttpClient({ retry: FAST_RETRY });
let n = 0;
const id = () => `oauth-${++n}`;

before(async () => {
  api = await startFakeApi({ accessTokenTtl: 3600 });
  stack = await openStack();
});
after(async () => {
  await http.close();
  await api.close();
  await stack.close();
});

const past = () => new Date(Date.now() - 60_000).toISOString();
const future = () => new Date(Date.now() + 3_600_000).toISOString();

/** A stored OAuth2 connection whose tokens the fake API knows; `expired` makes its stored expiry past. */
function oauthCredentials(expired: boolean): OAuth2Credentials {
  const tokens = api.seedTokens(expired ? -60 : 3600);
  return { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: expired ? past() : future(), raw: {} };
}

test('an expired token is refreshed before the call, and the rotated refresh token is persisted', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2');
  const connectionId = id();
  const initial = oauthCredentials(true);
  const ctx = await connect(stack, integration, connectionId, initial);
  const refreshesBefore = api.state.tokenCounts['refresh_token'] ?? 0;
  const res = await http.request(ctx, { endpoint: '/me' });
  assert.equal(res.data.authenticated_by, 'oauth');
  assert.equal(api.state.tokenCounts['refresh_token'], refreshesBefore + 1);
  const stored = (await stack.connections.get(integration.id, connectionId)).credentials as OAuth2Credentials;
  assert.notEqual(stored.refresh_token, initial.refresh_token);
  assert.ok(api.state.refreshTokens.has(stored.refresh_token!), 'the stored refresh token is the one the provider now accepts');
  assert.ok(!api.state.refreshTokens.has(initial.refresh_token!));
  assert.ok(Date.parse(stored.expires_at!) > Date.now());
  assert.equal(api.state.tokenRequests.at(-1)?.client_auth, 'body');
});

test('a token inside the expiry buffer is refreshed ahead of time', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2', { token_expiration_buffer: 600 });
  const creds = oauthCredentials(false);
  creds.expires_at = new Date(Date.now() + 120_000).toISOString();
  const ctx = await connect(stack, integration, id(), creds);
  const before = api.state.tokenCounts['refresh_token'] ?? 0;
  await http.request(ctx, { endpoint: '/me' });
  assert.equal(api.state.tokenCounts['refresh_token'], before + 1);
});

test('a 401 refreshes once and retries once', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2', { token_request_auth_method: 'basic' });
  const ctx = await connect(stack, integration, id(), oauthCredentials(false));
  api.state.revokeAccessTokens();
  const before = api.state.tokenCounts['refresh_token'] ?? 0;
  const res = await http.request(ctx, { endpoint: '/me' });
  assert.equal(res.status, 200);
  assert.equal(api.state.tokenCounts['refresh_token'], before + 1);
  assert.equal(api.state.tokenRequests.at(-1)?.client_auth, 'basic');
  assert.deepEqual(ctx.calls.map((c) => [c.status, c.attempt]), [[401, 1], [200, 2]]);

  // A token the provider keeps refusing: one refresh, then the 401 is the answer.
  const stubborn = await connect(stack, fakeIntegration(api.url, 'OAUTH2'), id(), oauthCredentials(false));
  const server = api.state;
  const issue = server.issueTokens;
  server.issueTokens = function (this: typeof server) {
    const t = issue.call(this);
    this.accessTokens.delete(t.access_token);
    return t;
  };
  try {
    server.revokeAccessTokens();
    const err = await http.request(stubborn, { endpoint: '/me' }).catch((e: unknown) => e);
    assert.ok(err instanceof PatchbayError && err.code === 'UPSTREAM_HTTP_ERROR' && err.status === 401);
    assert.deepEqual(stubborn.calls.map((c) => c.status), [401, 401]);
  } finally {
    server.issueTokens = issue;
  }
});

test('50 concurrent calls with an expired token cause exactly one token request', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2');
  const ctx = await connect(stack, integration, id(), oauthCredentials(true));
  api.state.oauth.tokenDelayMs = 50;
  const before = api.state.tokenCounts['refresh_token'] ?? 0;
  try {
    const results = await Promise.all(Array.from({ length: 50 }, () => http.request(ctx, { endpoint: '/me' })));
    assert.ok(results.every((r) => r.status === 200));
  } finally {
    api.state.oauth.tokenDelayMs = 0;
  }
  assert.equal(api.state.tokenCounts['refresh_token'], before + 1);
});

test('two managers sharing a store (two processes) refresh once through the lock', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2');
  const connectionId = id();
  await connect(stack, integration, connectionId, oauthCredentials(true));
  const a = createCredentialManager({ connections: stack.connections, locks: stack.store.locks, pollMs: 10 }).forConnection(integration, connectionId);
  const b = createCredentialManager({ connections: stack.connections, locks: stack.store.locks, pollMs: 10 }).forConnection(integration, connectionId);
  api.state.oauth.tokenDelayMs = 100;
  const before = api.state.tokenCounts['refresh_token'] ?? 0;
  try {
    const [ca, cb] = await Promise.all([a.get(), b.get()]);
    assert.equal((ca as OAuth2Credentials).access_token, (cb as OAuth2Credentials).access_token);
  } finally {
    api.state.oauth.tokenDelayMs = 0;
  }
  assert.equal(api.state.tokenCounts['refresh_token'], before + 1);
});

test('a refused refresh marks the connection and says how to reconnect; garbage is explained', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2');
  const connectionId = id();
  const ctx = await connect(stack, integration, connectionId, oauthCredentials(true));
  api.state.oauth.tokenFailure = 'error';
  try {
    const err = await http.request(ctx, { endpoint: '/me' }).catch((e: unknown) => e);
    assert.ok(err instanceof PatchbayError);
    assert.equal(err.code, 'NEEDS_REAUTH');
    assert.match(err.message, new RegExp(`connection ${connectionId} of fake needs re-authorisation: run \`patchbay connect fake ${connectionId}\``));
    assert.match(err.message, /invalid_grant/);
    const stored = await stack.connections.get(integration.id, connectionId);
    assert.equal(stored.refresh_status, 'failed');
    assert.ok(ctx.calls.length === 0, 'no request went out with a dead token');

    api.state.oauth.tokenFailure = 'garbage';
    const garbage = await http.request(ctx, { endpoint: '/me' }).catch((e: unknown) => e);
    assert.ok(garbage instanceof PatchbayError);
    assert.match(garbage.message, /without an access_token \(got: <html>surprise/);

    api.state.oauth.tokenFailure = 'server';
    const outage = await http.request(ctx, { endpoint: '/me' }).catch((e: unknown) => e);
    assert.ok(outage instanceof PatchbayError);
    assert.equal(outage.code, 'AUTH_REFRESH_FAILED');
    assert.match(outage.message, /try again later/);
  } finally {
    api.state.oauth.tokenFailure = null;
  }
  // Once the provider answers again, the refresh succeeds and clears the failure.
  await http.request(ctx, { endpoint: '/me' });
  assert.equal((await stack.connections.get(integration.id, connectionId)).refresh_status, 'ok');
});

test('OAUTH2_CC acquires a token with the client credentials and reuses it until expiry', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2_CC');
  integration.oauth.scopes = ['read', 'write'];
  const ctx = await connect(stack, integration, id(), { type: 'OAUTH2_CC', access_token: 'placeholder', expires_at: past(), raw: {} });
  const before = api.state.tokenCounts['client_credentials'] ?? 0;
  for (let i = 0; i < 3; i++) assert.equal((await http.request(ctx, { endpoint: '/me' })).data.authenticated_by, 'oauth');
  assert.equal(api.state.tokenCounts['client_credentials'], before + 1);
  assert.equal(api.state.tokenRequests.at(-1)?.params['scope'], 'read write');
});

test('a cached token that another process rotated heals on 401 without a second token request', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2');
  const connectionId = id();
  const initial = oauthCredentials(false);
  const ctx = await connect(stack, integration, connectionId, initial);
  ctx.credentials = createCredentialManager({ connections: stack.connections, locks: stack.store.locks, cacheMs: 60_000 }).forConnection(integration, connectionId);
  await http.request(ctx, { endpoint: '/me' }); // caches the initial token
  const other = createCredentialManager({ connections: stack.connections, locks: stack.store.locks }).forConnection(integration, connectionId);
  await other.refresh('expired');
  api.state.accessTokens.delete(initial.access_token); // the provider revoked the old one
  const before = api.state.tokenCounts['refresh_token'] ?? 0;
  const res = await http.request(ctx, { endpoint: '/me' });
  assert.equal(res.status, 200);
  assert.equal(api.state.tokenCounts['refresh_token'] ?? 0, before, 'the stored newer token was used, not a new refresh');
  assert.deepEqual(ctx.calls.slice(-2).map((c) => c.status), [401, 200]);
});

test('two real processes on one SQLite file: one token request, both get the same token', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const { openStore } = await import('../../src/store/open.ts');
  const { createConnectionService } = await import('../../src/connections/service.ts');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-refresh-'));
  const file = path.join(dir, 'pb.db');
  const key = randomBytes(32);
  const store = await openStore({ kind: 'sqlite', file });
  const children: Array<ReturnType<typeof spawn>> = [];
  try {
    const connections = createConnectionService({ store, key });
    await connections.add({ integrationId: 'fake', connectionId: 'shared', credentials: oauthCredentials(true) });
    api.state.oauth.tokenDelayMs = 300;
    const before = api.state.tokenCounts['refresh_token'] ?? 0;
    const child = new URL('./fixtures/refresh-child.ts', import.meta.url).pathname;
    const outputs = [0, 1].map(() => {
      const proc = spawn(process.execPath, [child, file, key.toString('hex'), api.url, 'shared'], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(proc);
      let out = '';
      const ready = new Promise<void>((resolve) => proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      }));
      const done = new Promise<string>((resolve, reject) => {
        proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${out}`))));
      });
      return { proc, ready, done };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const o of outputs) o.proc.stdin!.write('go\n');
    const tokens = (await Promise.all(outputs.map((o) => o.done))).map((out) => JSON.parse(out.split('\n')[1]!).token as string);
    assert.equal(api.state.tokenCounts['refresh_token'], before + 1);
    assert.equal(tokens[0], tokens[1]);
    const stored = (await connections.get('fake', 'shared')).credentials as OAuth2Credentials;
    assert.equal(stored.access_token, tokens[0]);
  } finally {
    api.state.oauth.tokenDelayMs = 0;
    for (const c of children) if (c.exitCode === null) c.kill();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
