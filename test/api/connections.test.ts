/**
 * Nango's connection API (`listConnections`, `getConnection`, `getMetadata`, `setMetadata`,
 * `updateMetadata`, `deleteConnection`) with `@nangohq/node` against `patchbay serve`: Nango's
 * shapes, a forced token refresh through the credential manager, scoped keys kept to their
 * connections and away from credentials, and the errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Nango } from '@nangohq/node';
import { SECRET } from '../mcp/helpers.ts';
import { BOB_ONLY, failure, startApiServer, type ApiServer } from './helpers.ts';

const OAUTHY = fileURLToPath(new URL('../fixtures/runtime/integrations/oauthy', import.meta.url));

let ctx: ApiServer;
let extra: string;
let tokens: { access_token: string; refresh_token: string };

before(async () => {
  extra = mkdtempSync(path.join(os.tmpdir(), 'patchbay-api-'));
  cpSync(OAUTHY, path.join(extra, 'oauthy'), { recursive: true });
  ctx = await startApiServer({
    extraConnections: ['bob', 'carol'],
    alsoIntegrations: extra,
    bobOnly: true,
    prepare: async (runtime, api) => {
      tokens = api.seedTokens(3600);
      await runtime.connections.add({
        integrationId: 'oauthy',
        connectionId: 'o1',
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3600_000).toISOString(), raw: {} },
        metadata: { plan: 'pro' },
      });
    },
  });
});
after(async () => {
  await ctx.close();
  rmSync(extra, { recursive: true, force: true });
});

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });

describe('connections with @nangohq/node', () => {
  it('listConnections: Nango’s shape, filtered by integration, id and search', async () => {
    const { connections } = await nango().listConnections();
    const ids = connections.map((c) => `${c.provider_config_key}/${c.connection_id}`).sort();
    assert.deepEqual(ids, ['fake/alice', 'fake/bob', 'fake/carol', 'oauthy/o1']);
    const o1 = connections.find((c) => c.connection_id === 'o1')!;
    assert.deepEqual(o1.metadata, { plan: 'pro' });
    assert.deepEqual(o1.errors, []);
    assert.equal(o1.end_user, null);
    assert.match(o1.created, /^\d{4}-\d\d-\d\dT/);
    assert.doesNotMatch(JSON.stringify(connections), new RegExp(`${tokens.access_token}|test-api-key`), 'no credentials in a list');
    assert.deepEqual((await nango().listConnections({ integrationId: 'oauthy' })).connections.map((c) => c.connection_id), ['o1']);
    assert.deepEqual((await nango().listConnections('bob')).connections.map((c) => c.connection_id), ['bob']);
    assert.deepEqual((await nango().listConnections(undefined, 'CAR')).connections.map((c) => c.connection_id), ['carol']);
    assert.equal((await nango().listConnections(undefined, undefined, { limit: 2, page: 1 })).connections.length, 2);
    assert.equal((await nango().listConnections(undefined, undefined, { limit: 3, page: 1 })).connections.length, 1);
  });

  it('getConnection: credentials in Nango’s names; the refresh token only when asked; force_refresh renews once', async () => {
    const apiKey = await nango().getConnection('fake', 'alice');
    assert.deepEqual(apiKey.credentials, { type: 'API_KEY', apiKey: 'test-api-key' });
    assert.equal(apiKey.provider_config_key, 'fake');
    const oauth = await nango().getConnection('oauthy', 'o1');
    assert.equal((oauth.credentials as { access_token: string }).access_token, tokens.access_token);
    assert.equal((oauth.credentials as { refresh_token?: string }).refresh_token, undefined);
    assert.equal(((await nango().getConnection('oauthy', 'o1', false, true)).credentials as { refresh_token?: string }).refresh_token, tokens.refresh_token);
    const before = ctx.api.state.tokenCounts['refresh_token'] ?? 0;
    const renewed = await nango().getConnection('oauthy', 'o1', true);
    assert.equal(ctx.api.state.tokenCounts['refresh_token'], before + 1);
    assert.notEqual((renewed.credentials as { access_token: string }).access_token, tokens.access_token);
    assert.equal(await nango().getToken('oauthy', 'o1'), (renewed.credentials as { access_token: string }).access_token, 'the renewed token was stored');
  });

  it('setMetadata replaces, updateMetadata merges, for one connection or several; getMetadata reads it', async () => {
    await nango().setMetadata('fake', 'alice', { team: 'core', size: 3 });
    assert.deepEqual(await nango().getMetadata('fake', 'alice'), { team: 'core', size: 3 });
    await nango().updateMetadata('fake', ['alice', 'bob'], { size: 4 });
    assert.deepEqual(await nango().getMetadata('fake', 'alice'), { team: 'core', size: 4 });
    assert.deepEqual(await nango().getMetadata('fake', 'bob'), { size: 4 });
    const missing = await failure(nango().setMetadata('fake', ['alice', 'nobody'], { x: 1 }));
    assert.equal(missing.status, 404);
    assert.deepEqual(await nango().getMetadata('fake', 'alice'), { team: 'core', size: 4 }, 'nothing written when one connection is missing');
  });

  it('deleteConnection removes it; a second delete and a read are 404', async () => {
    await nango().deleteConnection('fake', 'carol');
    assert.equal((await failure(nango().deleteConnection('fake', 'carol'))).status, 404);
    const gone = await failure(nango().getConnection('fake', 'carol'));
    assert.equal(gone.status, 404);
    assert.equal(gone.error.code, 'CONNECTION_NOT_FOUND');
  });

  it('a scoped key lists and changes only its connections and never reads credentials', async () => {
    const bob = nango(BOB_ONLY);
    assert.deepEqual((await bob.listConnections()).connections.map((c) => c.connection_id), ['bob']);
    const creds = await failure(bob.getConnection('fake', 'bob'));
    assert.equal(creds.status, 403);
    assert.match(creds.error.message, /full-access/);
    assert.equal((await failure(bob.setMetadata('fake', 'alice', { x: 1 }))).status, 403);
    assert.equal((await failure(bob.updateMetadata('fake', ['bob', 'alice'], { x: 1 }))).status, 403);
    assert.deepEqual(await nango().getMetadata('fake', 'bob'), { size: 4 }, 'a refused batch writes nothing');
    await bob.setMetadata('fake', 'bob', { mine: true });
    assert.equal((await failure(bob.deleteConnection('fake', 'alice'))).status, 403);
  });
});

describe('POST /connections: importing credentials', () => {
  const post = (body: unknown, key = SECRET) =>
    fetch(`${ctx.server.url}/connections`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

  it('an API key in Nango’s shape is sealed, used by actions, and read back in Nango’s shape', async () => {
    const created = await post({ provider_config_key: 'fake', connection_id: 'imported', credentials: { type: 'API_KEY', apiKey: 'test-api-key' }, metadata: { from: 'import' } });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { connection_id: string; credentials: unknown; metadata: unknown; provider_config_key: string };
    assert.equal(body.connection_id, 'imported');
    assert.equal(body.provider_config_key, 'fake');
    assert.deepEqual(body.credentials, { type: 'API_KEY', apiKey: 'test-api-key' });
    assert.deepEqual(body.metadata, { from: 'import' });
    const issue = (await nango().triggerAction('fake', 'imported', 'get-issue', { id: '1' })) as { id: string };
    assert.equal(issue.id, '1');
    assert.equal(ctx.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
    assert.deepEqual((await nango().getConnection('fake', 'imported')).credentials, { type: 'API_KEY', apiKey: 'test-api-key' });
  });

  it('OAuth tokens with a refresh token and an expiry; no connection_id makes one', async () => {
    const expires = new Date(Date.now() + 3600_000).toISOString();
    const created = await post({ provider_config_key: 'oauthy', credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: expires } });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { connection_id: string; credentials: { access_token: string; refresh_token: string; expires_at: string } };
    assert.match(body.connection_id, /^[0-9a-f-]{36}$/);
    assert.equal(body.credentials.access_token, tokens.access_token);
    assert.equal(body.credentials.refresh_token, tokens.refresh_token);
    assert.equal(body.credentials.expires_at, expires);
    await nango().deleteConnection('oauthy', body.connection_id);
  });

  it('refused: an existing id (409, unchanged), credentials of the wrong shape or mode (400/424), an unknown integration (404), a scoped key (403), end users (501)', async () => {
    const exists = await post({ provider_config_key: 'fake', connection_id: 'alice', credentials: { type: 'API_KEY', apiKey: 'other' } });
    assert.equal(exists.status, 409);
    assert.deepEqual((await nango().getConnection('fake', 'alice')).credentials, { type: 'API_KEY', apiKey: 'test-api-key' });
    const empty = await post({ provider_config_key: 'fake', connection_id: 'x1', credentials: { type: 'API_KEY', apiKey: '' } });
    assert.equal(((await empty.json()) as { error: { code: string } }).error.code, 'INVALID_CREDENTIALS');
    const wrongMode = await post({ provider_config_key: 'fake', connection_id: 'x2', credentials: { type: 'BASIC', username: 'u', password: 'p' } });
    assert.match(((await wrongMode.json()) as { error: { message: string } }).error.message, /uses API_KEY auth/);
    const noType = await post({ provider_config_key: 'fake', connection_id: 'x3', credentials: { apiKey: 'k' } });
    assert.equal(noType.status, 400);
    const nowhere = await post({ provider_config_key: 'nope', connection_id: 'x4', credentials: { type: 'API_KEY', apiKey: 'k' } });
    assert.equal(nowhere.status, 404);
    const scoped = await post({ provider_config_key: 'fake', connection_id: 'bob2', credentials: { type: 'API_KEY', apiKey: 'k' } }, BOB_ONLY);
    assert.equal(scoped.status, 403);
    const endUser = await post({ provider_config_key: 'fake', connection_id: 'x5', credentials: { type: 'API_KEY', apiKey: 'k' }, end_user: { id: 'u' } });
    assert.equal(endUser.status, 501);
    const ids = (await nango().listConnections()).connections.map((c) => c.connection_id);
    for (const id of ['x1', 'x2', 'x3', 'x4', 'x5', 'bob2']) assert.ok(!ids.includes(id), `${id} was not stored`);
  });
});

describe('connections, hostile requests', () => {
  const get = (pathAndQuery: string, key = SECRET) => fetch(`${ctx.server.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${key}` } });

  it('missing or bad parameters are 400; end-user filters are 501; other methods 405', async () => {
    const noKey = await get('/connections/alice');
    assert.equal(noKey.status, 400);
    assert.match(await noKey.text(), /provider_config_key/);
    assert.equal((await get('/connections?limit=0')).status, 400);
    assert.equal((await get('/connections?bogus=1')).status, 400);
    assert.equal((await get('/connections/alice?provider_config_key=fake&force_refresh=maybe')).status, 400);
    const endUser = await get('/connections?endUserId=u1');
    assert.equal(endUser.status, 501);
    assert.match(await endUser.text(), /no end users/);
    assert.equal((await get('/connections/metadata')).status, 405);
    const put = await fetch(`${ctx.server.url}/connections`, { method: 'PUT', headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST');
  });

  it('a metadata body that is not JSON or not the right shape is 400 naming the field', async () => {
    const post = (body: string) => fetch(`${ctx.server.url}/connections/metadata`, { method: 'POST', body, headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' } });
    assert.equal((await post('{')).status, 400);
    const shape = await post(JSON.stringify({ connection_id: 'alice', provider_config_key: 'fake', metadata: [1, 2] }));
    assert.equal(shape.status, 400);
    assert.match(await shape.text(), /metadata/);
  });
});
