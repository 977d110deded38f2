/**
 * End to end over Streamable HTTP: `patchbay serve --port 0` as a child process, the MCP SDK's
 * own StreamableHTTPClientTransport, raw fetches for the transport's security rules.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { createMcpProject, SECRET, startHttpServe, stopChild, waitFor, type McpProject } from './helpers.ts';

let api: FakeApi;
let project: McpProject;
let server: { url: string; child: ChildProcess; stderr: () => string };
const clients: Client[] = [];

async function connect(secret: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const all = { ...headers, ...(secret ? { authorization: `Bearer ${secret}` } : {}) };
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: all } });
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${SECRET}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url);
  server = await startHttpServe(project);
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  if (server) await stopChild(server.child);
  await api?.close();
  project?.cleanup();
});

test('the bound URL is loopback and /health answers without a key', async () => {
  assert.match(server.url, /^http:\/\/localhost:\d+$/);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  const v4 = await fetch(server.url.replace('localhost', '127.0.0.1') + '/health');
  assert.equal(v4.status, 200);
});

test('missing or wrong key is 401 with WWW-Authenticate', async () => {
  const missing = await post(INIT, { authorization: '' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  const wrong = await post(INIT, { authorization: 'Bearer pb_sk_nope' });
  assert.equal(wrong.status, 401);
  await assert.rejects(connect(undefined));
});

test('transport security: foreign Origin 403, rebinding Host 403, bad protocol version 400, GET 405, huge body 413', async () => {
  assert.equal((await post(INIT, { origin: 'https://evil.example' })).status, 403);
  assert.equal((await post(INIT, { origin: 'http://localhost:5173' })).status, 200);
  const { request } = await import('node:http');
  const rebinding = await new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}/mcp`, { method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify(INIT));
  });
  assert.equal(rebinding, 403);
  const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
  assert.equal((await post(list, { 'mcp-protocol-version': '1999-01-01' })).status, 400);
  assert.equal((await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${SECRET}`, accept: 'text/event-stream' } })).status, 405);
  const huge = await post(JSON.stringify({ ...list, params: { pad: 'x'.repeat(5 * 1024 * 1024) } }));
  assert.equal(huge.status, 413);
  assert.equal((await post('{not json')).status, 400);
});

test('stateless: a tools/list without any session id works', async () => {
  const response = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }, { 'mcp-protocol-version': '2025-11-25' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('mcp-session-id'), null);
  const body = (await response.json()) as { result: { tools: Array<{ name: string }> } };
  assert.ok(body.result.tools.some((tool) => tool.name === 'fake_get-issue'));
});

test('SDK client: list and call with the main key', async () => {
  const client = await connect(SECRET);
  const { tools } = await client.listTools();
  assert.ok(tools.some((tool) => tool.name === 'fake_create-issue'));
  const result = await client.callTool({ name: 'fake_get-issue', arguments: { id: '2' } });
  assert.equal((result.structuredContent as { id: string }).id, '2');
  const bad = (await client.callTool({ name: 'fake_create-issue', arguments: {} })) as CallToolResult;
  assert.equal(bad.isError, true);
  assert.match((bad.content[0] as { text: string }).text, /`title`/);
});

test('a scoped key sees only its tools and cannot call others', async () => {
  const client = await connect(project.scopedSecret);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), ['fake_get-issue']);
  await assert.rejects(client.callTool({ name: 'fake_create-issue', arguments: { title: 'x' } }), (error: unknown) => error instanceof McpError);
  const ok = await client.callTool({ name: 'fake_get-issue', arguments: { id: '1' } });
  assert.equal(ok.isError, undefined);
});

test("Nango's headers: provider-config-key names tools as Nango does, connection-id picks the connection", async () => {
  const client = await connect(SECRET, { 'connection-id': 'bob', 'provider-config-key': 'fake' });
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  assert.ok(names.includes('get-issue') && names.includes('create-issue'), names.join(', '));
  assert.ok(!names.some((name) => name.startsWith('other_') || name === 'whoami'));
  const result = (await client.callTool({ name: 'get-issue', arguments: { id: '1' } })) as CallToolResult;
  assert.equal(result.isError, true);
  assert.match((result.content[0] as { text: string }).text, /bob/);
  const alice = await connect(SECRET, { 'connection-id': 'alice', 'provider-config-key': 'fake' });
  const ok = await alice.callTool({ name: 'get-issue', arguments: { id: '3' } });
  assert.equal((ok.structuredContent as { id: string }).id, '3');
  const namespaced = await alice.callTool({ name: 'fake_get-issue', arguments: { id: '3' } });
  assert.equal(namespaced.isError, undefined);
});

test('progress streams over SSE and cancellation aborts the upstream request', async () => {
  const client = await connect(SECRET);
  const before = api.state.closedEarly;
  const progress: number[] = [];
  const controller = new AbortController();
  const call = client.callTool({ name: 'fake_slow-call', arguments: { ms: 60_000 } }, undefined, {
    signal: controller.signal,
    onprogress: (update) => progress.push(update.progress),
  });
  call.catch(() => {});
  await waitFor(() => progress.length > 0, 'a progress notification');
  await waitFor(() => api.requests.some((request) => request.path === '/slow'), 'the slow request');
  controller.abort();
  await assert.rejects(call);
  await waitFor(() => api.state.closedEarly > before, 'the fake API to see the socket close');
});

test('cancelling a plain JSON call (no progress token) aborts it through notifications/cancelled', async () => {
  const client = await connect(SECRET);
  const before = api.state.closedEarly;
  const slowBefore = api.requests.filter((request) => request.path === '/slow').length;
  const controller = new AbortController();
  const call = client.callTool({ name: 'fake_slow-call', arguments: { ms: 60_000 } }, undefined, { signal: controller.signal });
  call.catch(() => {});
  await waitFor(() => api.requests.filter((request) => request.path === '/slow').length > slowBefore, 'the slow request');
  controller.abort();
  await assert.rejects(call);
  await waitFor(() => api.state.closedEarly > before, 'the fake API to see the socket close');
  const health = (await (await fetch(`${server.url}/health`)).json()) as { inFlight: number };
  assert.equal(health.inFlight, 0);
});

test('two clients sharing a key and a JSON-RPC id: cancelling one leaves the other running; /health counts both', async () => {
  const a = await connect(SECRET);
  const b = await connect(SECRET);
  const slow = () => api.requests.filter((request) => request.path === '/slow').length;
  const slowBefore = slow();
  const cancel = new AbortController();
  // Both clients' first call after initialize has JSON-RPC id 1.
  const callA = a.callTool({ name: 'fake_slow-call', arguments: { ms: 60_000 } }, undefined, { signal: cancel.signal });
  callA.catch(() => {});
  const callB = b.callTool({ name: 'fake_slow-call', arguments: { ms: 4000 } });
  await waitFor(() => slow() >= slowBefore + 2, 'both slow requests');
  const health = (await (await fetch(`${server.url}/health`)).json()) as { inFlight: number; executions: number };
  assert.ok(health.inFlight >= 2, `inFlight ${health.inFlight}`);
  assert.ok(health.executions >= 2, `executions ${health.executions}`);
  cancel.abort();
  await assert.rejects(callA);
  const result = (await callB) as CallToolResult;
  assert.notEqual(result.isError, true, JSON.stringify(result.content));
  assert.deepEqual(result.structuredContent, { waited: 4000 });
});

test('the connect routes are mounted: /connect needs a key, /oauth/callback is public', async () => {
  assert.equal((await fetch(`${server.url}/connect/fake?connection_id=zed`)).status, 401);
  const withKey = await fetch(`${server.url}/connect/fake?connection_id=zed`, { headers: { authorization: `Bearer ${SECRET}` } });
  assert.notEqual(withKey.status, 401);
  assert.notEqual(withKey.status, 404);
  const callback = await fetch(`${server.url}/oauth/callback?code=x&state=unknown`);
  assert.equal(callback.status, 400);
  assert.match(callback.headers.get('content-type') ?? '', /text\/html/);
  assert.equal((await fetch(`${server.url}/nope`, { headers: { authorization: `Bearer ${SECRET}` } })).status, 404);
});

test('SIGTERM shuts down cleanly (exit 0) and the port stops answering', async () => {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await assert.rejects(fetch(`${server.url}/health`));
});
