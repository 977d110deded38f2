/**
 * `GET /openapi.json`: an OpenAPI 3.1 document that a validator library accepts, served without a
 * key, listing every route the app mounts (method and path), with request bodies from the zod
 * schemas the routes validate with: what the document calls invalid, the server refuses.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createHttpApp, type HttpAppDeps } from '../../src/http/app.ts';
import { policyFor } from '../../src/http/security.ts';
import { SECRET } from '../mcp/helpers.ts';
import { startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
let doc: { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: { required?: string[] } } } } }>> };

before(async () => {
  ctx = await startApiServer();
  const response = await fetch(`${ctx.server.url}/openapi.json`);
  assert.equal(response.status, 200, 'served without a key');
  doc = (await response.json()) as typeof doc;
});
after(() => ctx.close());

it('is a valid OpenAPI 3.1 document', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const result = await new Validator().validate(doc as never);
  assert.deepEqual(result.errors, undefined, JSON.stringify(result.errors));
  assert.equal(result.valid, true);
});

it('lists every route the app mounts, and nothing it does not', () => {
  // Every part mounted; the routes' handlers are never called here, so empty dependencies do.
  const parts = ['mcp', 'connect', 'records', 'actions', 'connections', 'syncs', 'catalog', 'proxy'] as const;
  const deps = Object.fromEntries(parts.map((part) => [part, {}])) as unknown as Partial<HttpAppDeps>;
  const app = createHttpApp({ policy: policyFor('localhost', { maxBodyBytes: 1024 }), ...deps });
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));
  const mounted = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue; // the 405 answers
    const path = route.path.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{endpoint}');
    // Aliases of documented routes: Nango's older /connection/… names, trailing slashes, /proxy without a path.
    if (path.startsWith('/connection/') || path === '/connection' || path.endsWith('/') || path === '/proxy') continue;
    mounted.add(`${route.method} ${path}`);
  }
  // What the not-served list answers (501) is not part of the API.
  const served = [...mounted].filter((entry) => entry !== 'PATCH /connections/{connectionId}' && !/^(GET|POST|PUT|PATCH|DELETE) \/(connect\/session|auth\/|api-auth|scripts|environment|sync\/\{name\}|sync\/deploy|functions|webhook|integrations\/\{uniqueKey\}\/functions)/.test(entry));
  const undocumented = served.filter((entry) => !documented.has(entry) && !/^(POST|PATCH|DELETE) \/integrations/.test(entry));
  assert.deepEqual(undocumented, [], 'every served route is documented');
  const missing = [...documented].filter((entry) => !mounted.has(entry));
  assert.deepEqual(missing, [], 'every documented route is served');
});

it('its request bodies are the ones the routes validate with', async () => {
  const trigger = doc.paths['/action/trigger']!['post']!.requestBody!.content['application/json'].schema;
  assert.deepEqual(trigger.required, ['action_name']);
  // A body the document calls invalid (action_name missing) is refused by the server.
  const response = await fetch(`${ctx.server.url}/action/trigger`, {
    method: 'POST',
    body: JSON.stringify({ input: {} }),
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'connection-id': 'alice', 'provider-config-key': 'fake' },
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /action_name/);
  const frequency = doc.paths['/sync/update-connection-frequency']!['put']!.requestBody!.content['application/json'].schema;
  assert.deepEqual(frequency.required?.sort(), ['connection_id', 'frequency', 'provider_config_key', 'sync_name']);
});
