/**
 * The runner boundary as a hostile function meets it, through `patchbay serve` and the MCP SDK's
 * own Client: reading the key file, the database and the environment, spawning a process,
 * killing the server, writing into the stdio MCP stream, leaving a global for the next caller,
 * returning 200 MB, and hanging on a slow upstream beside healthy calls. Each is refused or
 * contained, and the server keeps answering.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp } from '../../src/app.ts';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, SECRET, startHttpServe, stopChild, type McpProject } from '../mcp/helpers.ts';

const HOSTILE = fileURLToPath(new URL('../fixtures/hostile/integrations', import.meta.url));
let api: FakeApi;
let project: McpProject;
let server: { url: string; child: ChildProcess; stderr: () => string };
let otherKey: string;
const clients: Client[] = [];

async function connect(secret = SECRET): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}`, 'connection-id': 'mallory' } } });
  const client = new Client({ name: 'boundary-test', version: '1' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function probe(client: Client, args: Record<string, unknown>): Promise<{ result: CallToolResult; value: Record<string, unknown> }> {
  const result = (await client.callTool({ name: 'hostile_probe', arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  // An `any` output is wrapped as { result } in structuredContent (MCP wants an object there).
  const content = (result.structuredContent ?? {}) as { result?: Record<string, unknown> };
  return { result, value: content.result ?? {} };
}

const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url, { alsoIntegrations: HOSTILE });
  const app = await createApp({ paths: project.paths, env: project.env, logger: silentLogger() });
  try {
    for (const id of ['mallory', 'trent']) await app.connections.add({ integrationId: 'hostile', connectionId: id, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
    otherKey = (await createApiKey(app.store, { name: 'other-caller' })).secret;
  } finally {
    await app.close();
  }
  server = await startHttpServe(project, ['--no-scheduler']);
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  if (server) await stopChild(server.child);
  await api?.close();
  project?.cleanup();
});

test('the key file, the database and /proc/self/environ are unreadable; the environment holds no server variable', async () => {
  const client = await connect();
  for (const file of [project.paths.keyFile, project.paths.databaseFile, path.join(project.paths.home, 'patchbay.db-wal')]) {
    const { value } = await probe(client, { mode: 'read-file', path: file });
    assert.equal(value['done'], false, `${file} was read: ${JSON.stringify(value)}`);
    assert.equal(value['code'], 'ERR_ACCESS_DENIED');
  }
  const { value } = await probe(client, { mode: 'environ' });
  assert.deepEqual((value['env'] as string[]).filter((name) => !['NODE_ENV', 'TZ', 'LANG', 'LC_ALL'].includes(name)), []);
  assert.equal((value['proc'] as { code: string }).code, 'ERR_ACCESS_DENIED');
});

test('spawning a process is refused; killing the server is refused and the server answers', async () => {
  const client = await connect();
  const spawned = await probe(client, { mode: 'spawn' });
  assert.equal(spawned.value['done'], false);
  assert.equal(spawned.value['code'], 'ERR_ACCESS_DENIED');
  const killed = await probe(client, { mode: 'kill-server' });
  assert.equal((killed.value['parent'] as { done: boolean }).done, false, 'process.kill(server) refused');
  assert.match((killed.value['parent'] as { message: string }).message, /not available to function code/);
  assert.equal(server.child.exitCode, null, 'the server still runs');
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});

test('a global one caller plants is gone for another key or another connection', async () => {
  const mallory = await connect();
  await probe(mallory, { mode: 'plant', value: 'from-mallory' });
  assert.equal((await probe(mallory, { mode: 'read-plant' })).value['planted'], 'from-mallory', 'the same scope keeps its runner');
  const otherCaller = await connect(otherKey);
  assert.equal((await probe(otherCaller, { mode: 'read-plant' })).value['planted'], null, 'another key never shares the runner');
  const trent = new Client({ name: 'boundary-test', version: '1' });
  await trent.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${SECRET}`, 'connection-id': 'trent' } } }));
  clients.push(trent);
  assert.equal((await probe(trent, { mode: 'read-plant' })).value['planted'], null, 'another connection never shares the runner');
});

test('a 200 MB result is refused before it reaches the server, which keeps answering', async () => {
  const client = await connect();
  const { result } = await probe(client, { mode: 'huge', mb: 200 });
  assert.equal(result.isError, true);
  assert.match(text(result), /MEMORY_LIMIT|INVALID_OUTPUT/);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.equal((await probe(client, { mode: 'ok' })).value['ok'], true);
});

test('eight calls hanging on a slow upstream leave a quick call of another caller answering at once', { timeout: 120_000 }, async () => {
  const client = await connect();
  const hanging = Array.from({ length: 8 }, () => probe(client, { mode: 'hang', ms: 20_000 }).catch(() => undefined));
  const slowSeen = () => api.requests.filter((request) => request.path === '/slow').length;
  for (let i = 0; i < 400 && slowSeen() < 8; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(slowSeen() >= 8, 'all eight are waiting upstream');
  const other = await connect(otherKey);
  const started = Date.now();
  const quick = await probe(other, { mode: 'ok' });
  assert.equal(quick.value['ok'], true);
  assert.ok(Date.now() - started < 15_000, 'the quick call did not wait for the hanging ones');
  await Promise.all(hanging);
});

test('stdio: a function writing to fd 1 does not reach the MCP stream', async () => {
  const env = { ...project.env, PATCHBAY_CONNECTION: 'mallory' } as Record<string, string>;
  const client = new Client({ name: 'boundary-stdio', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--stdio', '--no-scheduler'], cwd: project.root, env, stderr: 'pipe' }));
  clients.push(client);
  const { value } = await probe(client, { mode: 'write-fd1' });
  assert.equal(value['wrote'], true);
  // The session still speaks clean JSON-RPC: the next call answers normally.
  assert.equal((await probe(client, { mode: 'ok' })).value['ok'], true);
  const tools = await client.listTools();
  assert.ok(tools.tools.some((tool) => tool.name === 'hostile_probe'));
});
