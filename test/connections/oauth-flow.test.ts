/**
 * The OAuth connect flow end to end over real HTTP: our connect routes on 127.0.0.1, the fake
 * provider's /oauth/authorize and /oauth/token, redirects followed by hand like a browser would.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loadKeyRing } from '../../src/connections/key-file.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import type { ConnectionService } from '../../src/connections/types.ts';
import { resolvePaths } from '../../src/config/paths.ts';
import { loadIntegrationConfig } from '../../src/providers/index.ts';
import type { Store } from '../../src/store/types.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { serveHttpApp } from '../http/helpers.ts';
import type { ApiKeyRow } from '../../src/store/types.ts';
import { tempHome } from './helpers.ts';

const home = tempHome();
const paths = resolvePaths({ cwd: home.dir, home: home.dir });
let api: FakeApi;
let store: Store;
let connections: ConnectionService;
let server: Awaited<ReturnType<typeof serveHttpApp>>;
let base: string;
let crashOnTokens = false;
const created: string[] = [];

function writeIntegration(id: string, provider: Record<string, unknown>, oauth?: Record<string, unknown>): void {
  mkdirSync(path.join(paths.integrationsDir, id), { recursive: true });
  writeFileSync(path.join(paths.integrationsDir, id, 'integration.json'), JSON.stringify({ provider, ...(oauth ? { oauth } : {}) }));
}

before(async () => {
  api = await startFakeApi();
  writeIntegration(
    'fake',
    { auth_mode: 'OAUTH2', base_url: api.url, authorization_url: `${api.url}/oauth/authorize`, token_url: `${api.url}/oauth/token` },
    { client_id: 'test-client-id', client_secret: 'test-client-secret', scopes: ['read'] },
  );
  writeIntegration('keyed', { auth_mode: 'API_KEY', base_url: api.url });
  store = await home.open();
  connections = createConnectionService({
    store,
    key: await loadKeyRing({ keyFile: home.keyFile, store, env: {} }),
    integrations: (id) => loadIntegrationConfig(paths, id, {}),
    onEvent: async (event, connection) => {
      if (event === 'post-connection-creation') created.push(connection.connection_id);
    },
  });
  // Two keys: one for every connection, one scoped to another connection than the tests use.
  const key = (id: string, connections: string[] | null): ApiKeyRow => ({ id, name: id, hash: '', connections, tools: null, created_at: '', last_used_at: null, revoked_at: null });
  const keys: Record<string, ApiKeyRow> = { 'backend-key': key('backend', null), 'narrow-key': key('narrow', ['fake:somebody-else']) };
  server = await serveHttpApp((url) => ({
    verifyKey: async (secret) => keys[secret],
    connect: {
      kv: store.kv,
      connections,
      integrations: (id) => loadIntegrationConfig(paths, id, {}),
      publicUrl: url,
      onTokens: () => {
        if (crashOnTokens) throw new Error('crashed after receiving tokens');
      },
    },
  }));
  base = server.base;
});
after(async () => {
  await server.close();
  await api.close();
  await store.close();
  home.cleanup();
});
beforeEach(() => {
  api.reset();
  crashOnTokens = false;
});

const auth = { authorization: 'Bearer backend-key' };

async function start(connectionId: string): Promise<{ url: string; state: string }> {
  const res = await fetch(`${base}/connect/fake?connection_id=${connectionId}`, { headers: auth });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { url: string; state: string };
}

/** Plays the browser: the provider's consent redirects to our callback; returns the callback's answer. */
async function consent(url: string): Promise<{ status: number; page: string; callback: string }> {
  const provider = await fetch(url, { redirect: 'manual' });
  assert.equal(provider.status, 302);
  const callback = provider.headers.get('location')!;
  assert.ok(callback.startsWith(`${base}/oauth/callback?`), callback);
  const res = await fetch(callback);
  return { status: res.status, page: await res.text(), callback };
}

describe('OAuth connect flow (HTTP routes)', () => {
  it('authorizes with PKCE and state, stores the tokens sealed, runs post-connection-creation', async () => {
    const { url, state } = await start('alice');
    const authorize = new URL(url);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('state'), state);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${base}/oauth/callback`);
    const { status, page, callback } = await consent(url);
    assert.equal(status, 200, page);
    assert.match(page, /Connected/);
    const stored = await connections.get('fake', 'alice');
    assert.equal(stored.credentials.type, 'OAUTH2');
    assert.ok(stored.credentials.type === 'OAUTH2' && api.state.accessTokens.has(stored.credentials.access_token));
    assert.ok(stored.credentials.type === 'OAUTH2' && stored.credentials.refresh_token);
    assert.ok(api.state.tokenRequests.some((r) => r.grant_type === 'authorization_code' && r.params['code_verifier']));
    assert.deepEqual(created, ['alice']);
    const replay = await fetch(callback);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /unknown, used or expired state/);
  });

  it('refuses a callback with a wrong state and stores nothing', async () => {
    await start('wrong-state');
    const res = await fetch(`${base}/oauth/callback?code=forged&state=not-the-state`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /does not belong to a connect attempt/);
    assert.equal(await connections.find('fake', 'wrong-state'), undefined);
    assert.equal(api.state.tokenRequests.length, 0, 'no code was exchanged');
  });

  it('reports a denied consent and stores nothing', async () => {
    api.state.oauth.deny = true;
    const { url } = await start('denied');
    const { status, page } = await consent(url);
    assert.equal(status, 400);
    assert.match(page, /access_denied.*declined/s);
    assert.equal(await connections.find('fake', 'denied'), undefined);
  });

  for (const failure of ['error', 'garbage', 'server'] as const) {
    it(`reports a token endpoint answering ${failure} and stores nothing`, async () => {
      api.state.oauth.tokenFailure = failure;
      const { url } = await start(`token-${failure}`);
      const { status, page } = await consent(url);
      assert.ok(status === 400 || status === 502, String(status));
      assert.match(page, /Connection failed/);
      assert.match(page, /token/i);
      assert.equal(await connections.find('fake', `token-${failure}`), undefined);
    });
  }

  it('a crash between receiving tokens and storing them leaves nothing; trying again works', async () => {
    crashOnTokens = true;
    const first = await start('crashy');
    const failed = await consent(first.url);
    assert.equal(failed.status, 400);
    assert.equal(await connections.find('fake', 'crashy'), undefined);
    crashOnTokens = false;
    const second = await start('crashy');
    assert.equal((await consent(second.url)).status, 200);
    assert.equal((await connections.get('fake', 'crashy')).connection_id, 'crashy');
  });

  it('answers /connect errors as JSON: no key, no connection_id, not OAuth2, id taken', async () => {
    assert.equal((await fetch(`${base}/connect/fake?connection_id=x`)).status, 401);
    assert.equal((await fetch(`${base}/connect/fake?connection_id=x`, { headers: { authorization: 'Bearer narrow-key' } })).status, 403);
    const missing = await fetch(`${base}/connect/fake`, { headers: auth });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /connection_id/);
    const keyed = await fetch(`${base}/connect/keyed?connection_id=x`, { headers: auth });
    assert.equal(keyed.status, 400);
    assert.match(((await keyed.json()) as { error: { message: string } }).error.message, /API_KEY auth, not OAuth2/);
    await connections.add({ integrationId: 'fake', connectionId: 'taken', credentials: { type: 'OAUTH2', access_token: 'a', raw: {} } });
    const taken = await fetch(`${base}/connect/fake?connection_id=taken`, { headers: auth });
    assert.equal(taken.status, 409);
    assert.equal(((await taken.json()) as { error: { code: string } }).error.code, 'CONNECTION_EXISTS');
  });
});
