/**
 * The HTTP app on a real socket: every failure goes through the one error handler with its own
 * code and status, middleware runs before routes, and `GET /records` honours a key's scope.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { McpRoute } from '../../src/http/routes/mcp.ts';
import type { ApiKeyRow } from '../../src/store/types.ts';
import { createMemoryRecordStore } from '../../src/store/memory/records.ts';
import { serveHttpApp } from './helpers.ts';

const key = (id: string, connections: string[] | null): ApiKeyRow => ({ id, name: id, hash: '', connections, tools: null, created_at: '', last_used_at: null, revoked_at: null });
const KEYS: Record<string, ApiKeyRow> = { full: key('full', null), alice: key('alice', ['github:alice']) };
const records = createMemoryRecordStore();
/** An /mcp route that echoes, or throws a non-PatchbayError to play a handler bug. */
const mcp: McpRoute = {
  handle: async (c) => {
    const body = await c.req.text();
    if (body.includes('crash')) throw new TypeError('boom');
    return c.json({ jsonrpc: '2.0', id: 1, result: { length: body.length } });
  },
  abortAll: () => {},
  inFlight: () => 0,
};
let server: Awaited<ReturnType<typeof serveHttpApp>>;

before(async () => {
  await records.save({ integrationId: 'github', connectionId: 'alice', model: 'Issue' }, [{ id: '1', data: { id: '1', title: 'first' } }]);
  server = await serveHttpApp(() => ({ verifyKey: async (secret) => KEYS[secret], mcp, records, health: () => ({ tools: 0 }) }));
});
after(() => server.close());

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });

test('an unknown path is 404 NOT_FOUND, a wrong method 405 METHOD_NOT_ALLOWED with Allow', async () => {
  const missing = await fetch(`${server.base}/nothing/here`, { headers: auth('full') });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  const wrong = await fetch(`${server.base}/records`, { method: 'DELETE', headers: auth('full') });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET');
  assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
  const mcpGet = await fetch(`${server.base}/mcp`, { headers: auth('full') });
  assert.equal(mcpGet.status, 405);
  assert.equal(mcpGet.headers.get('allow'), 'POST');
  const rpc = (await mcpGet.json()) as { jsonrpc: string; error: { code: number; message: string } };
  assert.equal(rpc.jsonrpc, '2.0');
  assert.equal(rpc.error.code, -32000);
  assert.match(rpc.error.message, /stateless; send JSON-RPC with POST/);
});

test('HEAD and a CORS preflight are answered; /health needs no key', async () => {
  assert.equal((await fetch(`${server.base}/health`, { method: 'HEAD' })).status, 200);
  const health = await fetch(`${server.base}/health`);
  assert.deepEqual(await health.json(), { status: 'ok', tools: 0 });
  const preflight = await fetch(`${server.base}/mcp`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  const foreign = await fetch(`${server.base}/health`, { headers: { origin: 'https://evil.example' } });
  assert.equal(foreign.status, 403);
});

test('a chunked body past the limit is 413 PAYLOAD_TOO_LARGE while streaming, as JSON-RPC on /mcp', async () => {
  const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${server.base}/mcp`, { method: 'POST', headers: { ...auth('full'), 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = 'x'.repeat(64 * 1024);
    for (let sent = 0; sent < 5 * 1024 * 1024; sent += chunk.length) req.write(chunk);
    req.end();
  });
  assert.equal(status.status, 413);
  assert.match(status.body, /"code":-32000/);
  assert.match(status.body, /exceeds 4194304 bytes/);
});

test('a handler that throws answers 500 INTERNAL, and the server keeps serving', async () => {
  const crash = await fetch(`${server.base}/mcp`, { method: 'POST', headers: { ...auth('full'), 'content-type': 'application/json' }, body: '"crash"' });
  assert.equal(crash.status, 500);
  assert.match(await crash.text(), /INTERNAL|-32000/);
  const next = await fetch(`${server.base}/mcp`, { method: 'POST', headers: { ...auth('full'), 'content-type': 'application/json' }, body: '{}' });
  assert.equal(next.status, 200);
});

test('GET /records: a key reads its own connections, 403 for others, 401 without a key', async () => {
  const url = `${server.base}/records?model=Issue`;
  const alice = { ...auth('alice'), 'connection-id': 'alice', 'provider-config-key': 'github' };
  const page = await fetch(url, { headers: alice });
  assert.equal(page.status, 200);
  const body = (await page.json()) as { records: Array<{ id: string; _nango_metadata: { last_action: string } }>; next_cursor: string | null };
  assert.deepEqual(body.records.map((r) => [r.id, r._nango_metadata.last_action]), [['1', 'ADDED']]);
  const bob = await fetch(url, { headers: { ...alice, 'connection-id': 'bob' } });
  assert.equal(bob.status, 403);
  assert.equal(((await bob.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
  const none = await fetch(url, { headers: { 'connection-id': 'alice', 'provider-config-key': 'github' } });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  const bad = await fetch(`${server.base}/records`, { headers: alice });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Missing query parameter model/);
});
