/**
 * OAuth endpoints with `${connectionConfig.<field>}` and `${clientId}` placeholders (Zendesk,
 * Okta, Microsoft app-only, Checkr…): an inline provider in a temp project whose URLs carry a
 * tenant path segment on the fake API. The connect route takes connection_config[tenant], the code
 * exchange and a refresh hit the filled token URL, the connection stores its config, and a
 * missing field or a host-moving value is a clear INVALID_CONFIG.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { resolvePaths } from '../../src/config/paths.ts';
import { startOAuthFlow } from '../../src/connections/oauth/flow.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import type { ConnectionService } from '../../src/connections/types.ts';
import { PatchbayError } from '../../src/errors.ts';
import { connectionConfigFromQuery } from '../../src/http/routes/connect.ts';
import { loadIntegrationConfig } from '../../src/providers/index.ts';
import type { IntegrationConfig } from '../../src/providers/types.ts';
import { authorizationUrl, createPkce } from '../../src/connections/oauth/authorize.ts';
import { createCredentialManager } from '../../src/connections/refresh.ts';
import { clientCredentialsToken } from '../../src/connections/oauth/oauth2.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { serveHttpApp } from '../http/helpers.ts';
import { fakeIntegration } from '../upstream/helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-oauth-tpl-'));
const paths = resolvePaths({ cwd: dir, home: dir });
let api: FakeApi;
let store: Store;
let connections: ConnectionService;
let server: Awaited<ReturnType<typeof serveHttpApp>>;
let base: string;
let env: NodeJS.ProcessEnv;
const integrations = (id: string): Promise<IntegrationConfig> => loadIntegrationConfig(paths, id, env);

before(async () => {
  api = await startFakeApi();
  env = { FAKE: api.url, FAKE_CLIENT_ID: 'test-client-id', FAKE_CLIENT_SECRET: 'test-client-secret' };
  mkdirSync(path.join(paths.integrationsDir, 'tenanted'), { recursive: true });
  writeFileSync(
    path.join(paths.integrationsDir, 'tenanted', 'integration.json'),
    JSON.stringify({
      provider: {
        auth_mode: 'OAUTH2',
        base_url: '${FAKE}',
        authorization_url: '${FAKE}/tenants/${connectionConfig.tenant}/oauth/authorize',
        token_url: '${FAKE}/tenants/${connectionConfig.tenant}/oauth/token',
        authorization_params: { app: '${clientId}' },
        token_params: { resource: 'urn:tenant:${connectionConfig.tenant}' },
        connection_config: { tenant: { type: 'string', example: 'contoso' } },
      },
      oauth: { client_id: '${FAKE_CLIENT_ID}', client_secret: '${FAKE_CLIENT_SECRET}', scopes: [] },
    }),
  );
  store = await openStore({ kind: 'sqlite', file: path.join(dir, 'patchbay.db') });
  connections = createConnectionService({ store, key: randomBytes(32), integrations });
  // No key check (as `--no-auth` on loopback): these tests are about the flow.
  server = await serveHttpApp((url) => ({ connect: { kv: store.kv, connections, integrations, publicUrl: url } }));
  base = server.base;
});
after(async () => {
  await server.close();
  await api.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => api.reset());

const tokenPaths = (): string[] => api.requests.filter((r) => r.method === 'POST').map((r) => r.path);

test('connect route with connection_config[tenant]: authorize, exchange and refresh use the filled URLs', async () => {
  const started = await fetch(`${base}/connect/tenanted?connection_id=alice&connection_config[tenant]=acme`);
  assert.equal(started.status, 200, await started.clone().text());
  const { url } = (await started.json()) as { url: string };
  const authorize = new URL(url);
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${api.url}/tenants/acme/oauth/authorize`);
  assert.equal(authorize.searchParams.get('app'), 'test-client-id', '${clientId} filled in authorization_params');

  const consent = await fetch(url, { redirect: 'manual' });
  assert.equal(consent.status, 302);
  const callback = await fetch(consent.headers.get('location')!);
  assert.equal(callback.status, 200, await callback.text());
  assert.deepEqual(tokenPaths(), ['/tenants/acme/oauth/token']);
  assert.equal(api.state.tokenRequests[0]!.grant_type, 'authorization_code');
  assert.equal(api.state.tokenRequests[0]!.params['resource'], 'urn:tenant:acme');

  const stored = await connections.get('tenanted', 'alice');
  assert.deepEqual(stored.connection_config, { tenant: 'acme' });
  const before = stored.credentials.type === 'OAUTH2' ? stored.credentials.access_token : '';

  const manager = createCredentialManager({ connections, locks: store.locks, pollMs: 10, cacheMs: 0 });
  const fresh = await manager.forConnection(await integrations('tenanted'), 'alice').refresh('unauthorized');
  assert.equal(fresh.type, 'OAUTH2');
  assert.notEqual(fresh.type === 'OAUTH2' && fresh.access_token, before);
  assert.deepEqual(tokenPaths(), ['/tenants/acme/oauth/token', '/tenants/acme/oauth/token']);
  assert.equal(api.state.tokenRequests[1]!.grant_type, 'refresh_token');
});

test('a missing connection config field is INVALID_CONFIG naming the --config to pass; nothing is stored', async () => {
  const err = await startOAuthFlow({ kv: store.kv, connections, integrations }, { integrationId: 'tenanted', connectionId: 'bob', redirectUri: `${base}/oauth/callback` }).catch(
    (e: unknown) => e,
  );
  assert.ok(err instanceof PatchbayError);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /authorization_url of "tenanted" needs the connection config field tenant/);
  assert.ok(err.message.includes(`patchbay connect tenanted bob --config '{"tenant":"contoso"}'`), err.message);
  assert.ok(err.message.includes('connection_config[tenant]=contoso'), err.message);

  const res = await fetch(`${base}/connect/tenanted?connection_id=bob`);
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'INVALID_CONFIG');
  assert.equal(await connections.find('tenanted', 'bob'), undefined);
  assert.equal(api.requests.length, 0);
});

test('a refresh for a connection stored without the field fails with INVALID_CONFIG and does not mark it', async () => {
  const seeded = api.seedTokens();
  await connections.add({ integrationId: 'tenanted', connectionId: 'legacy', credentials: { type: 'OAUTH2', access_token: seeded.access_token, refresh_token: seeded.refresh_token, raw: {} } });
  const manager = createCredentialManager({ connections, locks: store.locks, pollMs: 10, cacheMs: 0 });
  const err = await manager.forConnection(await integrations('tenanted'), 'legacy').refresh('unauthorized').catch((e: unknown) => e);
  assert.ok(err instanceof PatchbayError);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /token_url of "tenanted" needs the connection config field tenant/);
  assert.equal((await connections.get('tenanted', 'legacy')).refresh_status, null);
  assert.equal(tokenPaths().length, 0);
});

test('a connection config value may not move the host or climb the path', () => {
  const hosted = fakeIntegration('https://api.example.com', 'OAUTH2', { authorization_url: 'https://${connectionConfig.subdomain}.example.com/oauth/authorize' }, 'hosted');
  const pkce = createPkce();
  const url = (connectionConfig: Record<string, unknown>): URL => authorizationUrl(hosted, { redirectUri: 'http://127.0.0.1/cb', state: 's', pkce, connectionConfig });
  assert.equal(url({ subdomain: 'acme' }).host, 'acme.example.com');
  for (const subdomain of ['evil.io/x', 'a@b', 'evil.io#']) {
    assert.throws(
      () => url({ subdomain }),
      (e: unknown) => e instanceof PatchbayError && e.code === 'INVALID_CONFIG' && /field subdomain .*host name of hosted's authorization_url/.test(e.message),
      subdomain,
    );
  }
  const tenanted = fakeIntegration(api.url, 'OAUTH2', { token_url: `${api.url}/tenants/\${connectionConfig.tenant}/oauth/token` }, 'tenanted2');
  return clientCredentialsToken(tenanted, { connectionConfig: { tenant: '../../admin' } }).then(
    () => assert.fail('a path-climbing tenant was accepted'),
    (e: unknown) => {
      assert.ok(e instanceof PatchbayError && e.code === 'INVALID_CONFIG', String(e));
      assert.match(e.message, /field tenant .*URL path of tenanted2's token_url/);
      assert.equal(api.requests.length, 0);
    },
  );
});

test('OAUTH2_CC: the client-credentials token comes from the filled token_url; a missing field says connection add', async () => {
  const tenanted = fakeIntegration(api.url, 'OAUTH2_CC', { token_url: `${api.url}/tenants/\${connectionConfig.tenant}/oauth/token` }, 'app');
  const credentials = await clientCredentialsToken(tenanted, { connectionConfig: { tenant: 'acme' } });
  assert.equal(credentials.type, 'OAUTH2_CC');
  assert.deepEqual(tokenPaths(), ['/tenants/acme/oauth/token']);
  const err = await clientCredentialsToken(tenanted, { connectionId: 'svc' }).catch((e: unknown) => e);
  assert.ok(err instanceof PatchbayError && err.code === 'INVALID_CONFIG');
  assert.ok(err.message.includes(`patchbay connection add app svc --config '{"tenant":"<tenant>"}'`), err.message);
});

test('connection_config[<field>] query parameters parse; a malformed one is refused', () => {
  assert.deepEqual(connectionConfigFromQuery(new URLSearchParams('connection_id=a&connection_config[subdomain]=acme&connection_config[region]=eu')), { subdomain: 'acme', region: 'eu' });
  assert.equal(connectionConfigFromQuery(new URLSearchParams('connection_id=a')), undefined);
  assert.throws(() => connectionConfigFromQuery(new URLSearchParams('connection_config=acme')), /connection_config\[<field>\]=<value>/);
});
