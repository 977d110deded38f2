/**
 * The attack of issue #11 over real HTTP: a key scoped to one end user opens
 * `/connect/workday?connection_config[hostname]=<attacker>`; without a check the callback would
 * POST the OAuth client secret to the attacker. Workday's catalog entry (hostname under
 * workday.com / myworkday.com) on our connect routes; a test "DNS" transport sends the provider's
 * hosts to the fake API and attacker.example to a second local server that records whatever it
 * receives. A scoped key is refused outside the declared suffixes, a full-access key may choose
 * another valid host, and hostile values are refused for both; the token request re-checks.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { resolvePaths } from '../../src/config/paths.ts';
import { exchangeCode } from '../../src/connections/oauth/oauth2.ts';
import { createCredentialManager } from '../../src/connections/refresh.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import type { ConnectionService } from '../../src/connections/types.ts';
import { PatchbayError } from '../../src/errors.ts';
import { loadIntegrationConfig } from '../../src/providers/index.ts';
import type { IntegrationConfig } from '../../src/providers/types.ts';
import type { ApiKeyRow, Store } from '../../src/store/types.ts';
import { fetchTransport, type Transport } from '../../src/upstream/transport.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { serveHttpApp } from '../http/helpers.ts';
import { tempHome } from './helpers.ts';

const CLIENT_SECRET = 'test-client-secret';
const home = tempHome('patchbay-cfg-shape-');
const paths = resolvePaths({ cwd: home.dir, home: home.dir });
const integrations = (id: string): Promise<IntegrationConfig> => loadIntegrationConfig(paths, id, {});
let api: FakeApi;
let attacker: { server: Server; url: string; requests: Array<{ method: string; url: string; body: string }> };
let store: Store;
let connections: ConnectionService;
let server: Awaited<ReturnType<typeof serveHttpApp>>;
let base: string;
let transport: Transport;
const sealingKey = randomBytes(32);

/** Plays DNS: the provider's hosts reach the fake API (Workday's token path mapped onto its tenant path), attacker.example the attacker. */
function routes(): Record<string, string> {
  return {
    'wd2-impl-services1.workday.com': api.url,
    'wd5.example.net': api.url,
    'accounts.zoho.com': api.url,
    'attacker.example': attacker.url,
    'accounts.zoho.attacker.example': attacker.url,
    '169.254.169.254': attacker.url,
  };
}

async function startAttacker(): Promise<typeof attacker> {
  const requests: Array<{ method: string; url: string; body: string }> = [];
  const read = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const http = createServer((req, res) => {
    void read(req).then((body) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'stolen', refresh_token: 'stolen', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { server: http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, requests };
}

function writeIntegration(id: string, body: Record<string, unknown>): void {
  mkdirSync(path.join(paths.integrationsDir, id), { recursive: true });
  writeFileSync(path.join(paths.integrationsDir, id, 'integration.json'), JSON.stringify(body));
}

before(async () => {
  api = await startFakeApi();
  attacker = await startAttacker();
  const oauth = { client_id: 'test-client-id', client_secret: CLIENT_SECRET };
  writeIntegration('workday', { provider: 'workday', oauth });
  writeIntegration('zoho-crm', { provider: 'zoho-crm', oauth });
  transport = async (request) => {
    const target = routes()[request.url.hostname];
    if (!target) throw new Error(`no route to ${request.url.hostname} in this test`);
    const pathname = request.url.pathname.replace(/^\/ccx\/oauth2\/([\w-]+)\/token$/, '/tenants/$1/oauth/token').replace(/^\/oauth\/v2\/token$/, '/oauth/token');
    return fetchTransport({ ...request, url: new URL(`${pathname}${request.url.search}`, target) });
  };
  store = await home.open();
  connections = createConnectionService({ store, key: sealingKey, integrations });
  const key = (id: string, scoped: string[] | null): ApiKeyRow => ({ id, name: id, hash: '', connections: scoped, tools: null, created_at: '', last_used_at: null, revoked_at: null });
  const keys: Record<string, ApiKeyRow> = {
    'scoped-key': key('scoped', ['workday:alice', 'workday:bob', 'workday:mallory', 'zoho-crm:alice']),
    'full-key': key('full', null),
  };
  server = await serveHttpApp((url) => ({
    verifyKey: async (secret) => keys[secret],
    connect: { kv: store.kv, connections, integrations, publicUrl: url, tokenOptions: { transport } },
  }));
  base = server.base;
});
after(async () => {
  await server.close();
  await new Promise<void>((resolve) => attacker.server.close(() => resolve()));
  await api.close();
  await store.close();
  home.cleanup();
});
beforeEach(() => {
  api.reset();
  attacker.requests.length = 0;
});

type ConnectAnswer = { status: number; body: { url?: string; state?: string; error?: { code: string; message: string } } };

async function connect(key: 'scoped-key' | 'full-key', integration: string, connectionId: string, config: Record<string, string>): Promise<ConnectAnswer> {
  const query = new URLSearchParams({ connection_id: connectionId });
  for (const [field, value] of Object.entries(config)) query.set(`connection_config[${field}]`, value);
  const res = await fetch(`${base}/connect/${integration}?${query}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as ConnectAnswer['body'] };
}

/** Plays the browser at the provider: the fake API's consent, reached with the authorization URL's own query. */
async function consent(authorizationUrl: string): Promise<Response> {
  const res = await fetch(`${api.url}/oauth/authorize${new URL(authorizationUrl).search}`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  return fetch(res.headers.get('location')!);
}

const leaked = (): string[] => attacker.requests.filter((r) => r.body.includes(CLIENT_SECRET)).map((r) => `${r.method} ${r.url}`);

describe('connection config shape at /connect (workday: hostname under workday.com or myworkday.com)', () => {
  it('a scoped key pointing hostname at an attacker gets 400, and the attacker never hears from us', async () => {
    const started = await connect('scoped-key', 'workday', 'mallory', { hostname: 'attacker.example', tenant: 'acme' });
    if (started.body.state) {
      // What the attacker does next: their "authorization page" sends the browser back with any code.
      await fetch(`${base}/oauth/callback?code=anything&state=${encodeURIComponent(started.body.state)}`);
    }
    assert.deepEqual(leaked(), [], 'the client secret reached the attacker');
    assert.equal(attacker.requests.length, 0);
    assert.equal(started.status, 400, JSON.stringify(started.body));
    assert.equal(started.body.error?.code, 'INVALID_ARGUMENT');
    assert.match(started.body.error!.message, /field "hostname" of workday is not under workday\.com or myworkday\.com: expected a host name under workday\.com or myworkday\.com/);
    assert.match(started.body.error!.message, /full-access/);
    assert.equal(await connections.find('workday', 'mallory'), undefined);
  });

  it('a scoped key with a host under workday.com connects; the code exchange reaches the provider', async () => {
    const started = await connect('scoped-key', 'workday', 'alice', { hostname: 'wd2-impl-services1.workday.com', tenant: 'acme' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(new URL(started.body.url!).origin + new URL(started.body.url!).pathname, 'https://wd2-impl-services1.workday.com/acme/authorize');
    const callback = await consent(started.body.url!);
    assert.equal(callback.status, 200, await callback.text());
    assert.deepEqual(api.requests.filter((r) => r.method === 'POST').map((r) => r.path), ['/tenants/acme/oauth/token']);
    assert.deepEqual((await connections.get('workday', 'alice')).connection_config, { hostname: 'wd2-impl-services1.workday.com', tenant: 'acme' });
  });

  it('a full-access key may choose a valid host outside the suffixes; the exchange and later refreshes go there', async () => {
    const started = await connect('full-key', 'workday', 'vanity', { hostname: 'wd5.example.net', tenant: 'acme' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(new URL(started.body.url!).host, 'wd5.example.net');
    const callback = await consent(started.body.url!);
    assert.equal(callback.status, 200, await callback.text());
    const manager = createCredentialManager({ connections, locks: store.locks, http: transport, pollMs: 10, cacheMs: 0 });
    const fresh = await manager.forConnection(await integrations('workday'), 'vanity').refresh('unauthorized');
    assert.equal(fresh.type, 'OAUTH2');
    assert.deepEqual(api.state.tokenRequests.map((r) => r.grant_type), ['authorization_code', 'refresh_token']);
  });

  const hostile: Array<[string, string, RegExp]> = [
    ['a URL', 'https://attacker.example', /is a URL, not a bare host name/],
    ['a path', 'attacker.example/x', /has a path, query or fragment/],
    ['a fragment', 'attacker.example#.workday.com', /has a path, query or fragment/],
    ['a backslash', 'attacker.example\\.workday.com', /has a path, query or fragment/],
    ['user info', 'attacker.example@wd2.workday.com', /has user info \(@\)/],
    ['an empty label', 'wd2..workday.com', /has an empty label/],
    ['a trailing dot', 'wd2.workday.com.', /ends with a dot/],
    ['a port', 'wd2.workday.com:8443', /has a port/],
    ['an IPv4 literal', '127.0.0.1', /is an IP address/],
    ['a decimal IPv4', '2130706433', /is an IP address/],
    ['a hex IPv4', '0x7f.0x1', /is an IP address/],
    ['an IPv6 literal', '[::1]', /is an IP address/],
    ['localhost', 'localhost', /is localhost/],
    ['a .localhost name', 'wd2.workday.com.localhost', /is localhost/],
    ['a long value', `${'a'.repeat(250)}.workday.com`, /longer than 253/],
    ['an IDN homograph', 'wd2.w\u043erkday.com', /non-ASCII/],
    ['percent-encoding', 'attacker.example%2f.workday.com', /percent-encoded/],
    ['a newline', 'wd2.workday.com\r\nx-evil: 1', /control characters/],
  ];
  for (const key of ['scoped-key', 'full-key'] as const) {
    it(`${key}: hostile host names are refused with the field and the expected shape`, async () => {
      for (const [what, hostname, problem] of hostile) {
        const started = await connect(key, 'workday', 'bob', { hostname, tenant: 'acme' });
        assert.equal(started.status, 400, `${what}: ${JSON.stringify(started.body)}`);
        assert.equal(started.body.error?.code, 'INVALID_ARGUMENT', what);
        assert.match(started.body.error!.message, /^Connection config field "hostname" of workday /, what);
        assert.match(started.body.error!.message, problem, what);
        assert.match(started.body.error!.message, /expected a host name under workday\.com or myworkday\.com, without scheme, path, user info or port \(e\.g\. wd2-impl-services1\.workday\.com\)/, what);
      }
      for (const tenant of ['../admin', '%2e%2e', 'acme?x=1']) {
        const started = await connect(key, 'workday', 'bob', { hostname: 'wd2-impl-services1.workday.com', tenant });
        assert.equal(started.status, 400, `tenant ${tenant}: ${JSON.stringify(started.body)}`);
        assert.match(started.body.error!.message, /field "tenant" of workday/);
      }
      assert.equal(attacker.requests.length + api.requests.length, 0);
    });
  }

  it('zoho: a scoped key may pick a data centre, not a domain; a full-access key may', async () => {
    const refused = await connect('scoped-key', 'zoho-crm', 'alice', { extension: 'attacker.example' });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error!.message, /field "extension" of zoho-crm is not one of com, eu, in, com\.au, jp, com\.cn, sa or uk/);
    const ok = await connect('scoped-key', 'zoho-crm', 'alice', { extension: 'eu' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(new URL(ok.body.url!).host, 'accounts.zoho.eu');
    const operator = await connect('full-key', 'zoho-crm', 'lab', { extension: 'attacker.example' });
    assert.equal(operator.status, 200, JSON.stringify(operator.body));
    assert.equal(new URL(operator.body.url!).host, 'accounts.zoho.attacker.example');
    const bad = await connect('full-key', 'zoho-crm', 'lab2', { extension: 'com.' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error!.message, /would make the host accounts\.zoho\.com\., which ends with a dot/);
  });
});

describe('the token request re-checks the config that fills its URL', () => {
  it('the code exchange refuses a config outside the shape unless it came with full access; nothing is sent', async () => {
    const workday = await integrations('workday');
    const input = { code: 'c', redirectUri: `${base}/oauth/callback` };
    const scoped = await exchangeCode(workday, input, { transport, connectionConfig: { hostname: 'attacker.example', tenant: 'acme' } }).catch((e: unknown) => e);
    assert.ok(scoped instanceof PatchbayError && scoped.code === 'INVALID_CONFIG', String(scoped));
    assert.match(scoped.message, /field "hostname" of workday is not under workday\.com/);
    const ip = await exchangeCode(workday, input, { transport, fullAccess: true, connectionConfig: { hostname: '169.254.169.254', tenant: 'acme' } }).catch((e: unknown) => e);
    assert.ok(ip instanceof PatchbayError && ip.code === 'INVALID_CONFIG', String(ip));
    assert.match(ip.message, /field "hostname" of workday is an IP address/);
    assert.equal(attacker.requests.length, 0);
  });

  it('a refresh of a stored connection whose host is not a host name is refused before the client secret leaves', async () => {
    // Stored without any check (a service with no integrations, as an older version would have).
    const unchecked = createConnectionService({ store, key: sealingKey });
    const seeded = api.seedTokens();
    await unchecked.add({
      integrationId: 'workday',
      connectionId: 'legacy',
      credentials: { type: 'OAUTH2', access_token: seeded.access_token, refresh_token: seeded.refresh_token, raw: {} },
      connectionConfig: { hostname: '169.254.169.254', tenant: 'acme' },
    });
    const manager = createCredentialManager({ connections, locks: store.locks, http: transport, pollMs: 10, cacheMs: 0 });
    const err = await manager.forConnection(await integrations('workday'), 'legacy').refresh('unauthorized').catch((e: unknown) => e);
    assert.ok(err instanceof PatchbayError && err.code === 'INVALID_CONFIG', String(err));
    assert.match(err.message, /field "hostname" of workday is an IP address/);
    assert.equal(attacker.requests.length, 0);
  });

  it('the connection service refuses to store a config outside the shape unless told it has full access', async () => {
    const add = (connectionId: string, hostname: string, fullAccess?: boolean) =>
      connections.add({
        integrationId: 'workday',
        connectionId,
        credentials: { type: 'OAUTH2', access_token: 't', raw: {} },
        connectionConfig: { hostname, tenant: 'acme' },
        ...(fullAccess === undefined ? {} : { fullAccess }),
      });
    await assert.rejects(add('s1', 'attacker.example'), (e: unknown) => e instanceof PatchbayError && e.code === 'INVALID_ARGUMENT' && /not under workday\.com/.test(e.message));
    await assert.rejects(add('s2', 'a@b.example', true), (e: unknown) => e instanceof PatchbayError && e.code === 'INVALID_ARGUMENT' && /user info/.test(e.message));
    assert.equal((await add('s3', 'wd5.example.net', true)).connection_id, 's3');
  });
});
