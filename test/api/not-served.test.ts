/**
 * Nango routes patchbay does not serve answer 501 with what to do instead (never a bare 404),
 * behind the same key check as the rest; Nango's older `/connection` names work; a path Nango
 * does not have either is still 404.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { SECRET } from '../mcp/helpers.ts';
import { startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
before(async () => {
  ctx = await startApiServer();
});
after(() => ctx.close());

const call = (method: string, path: string, key = SECRET) =>
  fetch(`${ctx.server.url}${path}`, { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) });

it('each route Nango has and patchbay does not answers 501 with what to do instead', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['PATCH', '/connections/alice?provider_config_key=fake', /metadata/],
    ['POST', '/connect/sessions', /GET \/connect\/<integration>/],
    ['POST', '/auth/tba/fake', /connection add/],
    ['POST', '/api-auth/api-key/fake', /connection add/],
    ['GET', '/scripts/config', /GET \/integrations/],
    ['GET', '/environment-variables', /getEnvironmentVariables/],
    ['DELETE', '/sync/issues/variant/eu', /variants/],
    ['POST', '/sync/deploy', /patchbay compile/],
    ['POST', '/webhook/env/fake', /webhooks/],
    ['GET', '/environments', /key create/],
  ];
  for (const [method, path, instead] of cases) {
    const response = await call(method, path);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, 501, `${method} ${path}`);
    assert.equal(body.error.code, 'NOT_IMPLEMENTED');
    assert.match(body.error.message, instead, `${method} ${path}`);
  }
});

it('they still need a key; a path Nango lacks too is 404; the older /connection names work', async () => {
  assert.equal((await call('POST', '/connect/sessions', '')).status, 401);
  assert.equal((await call('GET', '/no/such/route')).status, 404);
  const list = (await (await call('GET', '/connection')).json()) as { connections: Array<{ connection_id: string }> };
  assert.deepEqual(list.connections.map((c) => c.connection_id), ['alice']);
  const one = (await (await call('GET', '/connection/alice?provider_config_key=fake')).json()) as { connection_id: string };
  assert.equal(one.connection_id, 'alice');
  assert.equal((await call('PUT', '/connection')).status, 405);
});
