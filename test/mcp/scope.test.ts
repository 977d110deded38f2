/**
 * A scoped key's scope holds inside function code: `patchbay serve` over HTTP, the MCP SDK's
 * Client with a key scoped to connection alice, calling an action that reaches for a connection
 * the caller names (bob) through getConnection, proxy, triggerAction and triggerSync. Each is
 * refused with FORBIDDEN; the same calls with the full key go through (so the test can fail).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp } from '../../src/app.ts';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { createMcpProject, SECRET, startHttpServe, stopChild, type McpProject } from './helpers.ts';

let api: FakeApi;
let project: McpProject;
let server: { url: string; child: ChildProcess };
let aliceKey: string;
const clients: Client[] = [];

async function connect(secret: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${secret}` } } });
  const client = new Client({ name: 'scope-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url, { extraConnections: ['bob'] });
  const app = await createApp({ paths: project.paths, env: project.env, logger: silentLogger() });
  try {
    await app.connections.add({ integrationId: 'other', connectionId: 'bob', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
    aliceKey = (await createApiKey(app.store, { name: 'alice-only', connections: ['fake:alice'] })).secret;
  } finally {
    await app.close();
  }
  server = await startHttpServe(project);
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  if (server) await stopChild(server.child);
  await api?.close();
  project?.cleanup();
});

const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

for (const via of ['getConnection', 'proxy', 'triggerAction', 'startSync'] as const) {
  test(`${via}: a key scoped to alice cannot reach bob from inside a function; the full key can`, async () => {
    const scoped = await connect(aliceKey);
    const refused = (await scoped.callTool({ name: 'fake_peek', arguments: { connection: 'bob', via } })) as CallToolResult;
    assert.equal(refused.isError, true, text(refused));
    assert.match(text(refused), /FORBIDDEN/);
    assert.match(text(refused), /may not use connection "bob"/);
    assert.doesNotMatch(text(refused), /test-api-key/);

    const own = (await scoped.callTool({ name: 'fake_peek', arguments: { connection: 'alice', via: via === 'triggerAction' ? 'getConnection' : via } })) as CallToolResult;
    assert.notEqual(own.isError, true, text(own));

    const full = await connect(SECRET);
    const allowed = (await full.callTool({ name: 'fake_peek', arguments: { connection: 'bob', via, connection_id: 'alice' } })) as CallToolResult;
    assert.notEqual(allowed.isError, true, text(allowed));
  });
}
