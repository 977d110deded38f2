/**
 * Catalog mode, `--tools` filtering, result capping and the connection_id choice, end to end over
 * stdio (`serve --stdio --catalog`) with two connections on the fake integration.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, type McpProject } from './helpers.ts';

let api: FakeApi;
let project: McpProject;
const clients: Client[] = [];

async function serve(args: string[]): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--stdio', '--no-scheduler', ...args], cwd: project.root, env: project.env as Record<string, string>, stderr: 'ignore' });
  const client = new Client({ name: 'catalog-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url, { extraConnections: ['bob'] });
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await api?.close();
  project?.cleanup();
});

test('catalog mode: three meta-tools; search, describe and call an action', async () => {
  const client = await serve(['--catalog', '--tools', 'fake_*', '--max-result-bytes', '2000']);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ['call_action', 'describe_action', 'query_records', 'search_actions']);

  const search = await client.callTool({ name: 'search_actions', arguments: { query: 'create issue' } });
  const hits = (JSON.parse(text(search)) as { actions: Array<{ name: string; description: string }> }).actions;
  assert.equal(hits[0]!.name, 'fake_create-issue');
  assert.ok(!hits.some((hit) => hit.name.startsWith('other_')), '--tools filtered other_*');

  const described = await client.callTool({ name: 'describe_action', arguments: { name: 'fake_create-issue' } });
  const definition = JSON.parse(text(described)) as { inputSchema: { required: string[]; properties: Record<string, { enum?: string[] }> } };
  // Two connections: the action needs connection_id, with both listed.
  assert.deepEqual(definition.inputSchema.required, ['title', 'connection_id']);
  assert.deepEqual(definition.inputSchema.properties['connection_id']!.enum, ['alice', 'bob']);

  const missing = await client.callTool({ name: 'call_action', arguments: { name: 'fake_get-issue', arguments: { id: '1' } } });
  assert.equal(missing.isError, true);
  assert.match(text(missing), /`connection_id`: Required; one of alice, bob/);

  const called = await client.callTool({ name: 'call_action', arguments: { name: 'fake_shout', arguments: { input: 'ok' }, connection_id: 'bob' } });
  assert.equal(called.isError, undefined);
  assert.deepEqual(called.structuredContent, { result: 'OK' });

  const unknown = await client.callTool({ name: 'describe_action', arguments: { name: 'fake_create-isue' } });
  assert.equal(unknown.isError, true);
  assert.match(text(unknown), /Did you mean fake_create-issue/);

  // --max-result-bytes 2000: a 3 KB issue is cut with a note.
  await client.callTool({ name: 'call_action', arguments: { name: 'fake_create-issue', arguments: { title: 'x'.repeat(3000) }, connection_id: 'alice' } });
  const big = await client.callTool({ name: 'call_action', arguments: { name: 'fake_get-issue', arguments: { id: '6' }, connection_id: 'alice' } });
  assert.equal(big.isError, true);
  assert.match(text(big), /truncated: .*--max-result-bytes/);
});

test('direct mode with two connections: connection_id enum, and --connection removes it', async () => {
  const choose = await serve([]);
  const tool = (await choose.listTools()).tools.find((candidate) => candidate.name === 'fake_get-issue')!;
  assert.deepEqual((tool.inputSchema.properties as Record<string, { enum?: string[] }>)['connection_id']!.enum, ['alice', 'bob']);
  const viaBob = await choose.callTool({ name: 'fake_get-issue', arguments: { id: '1', connection_id: 'bob' } });
  assert.equal((viaBob.structuredContent as { id: string }).id, '1');

  const fixed = await serve(['--connection', 'alice']);
  const fixedTool = (await fixed.listTools()).tools.find((candidate) => candidate.name === 'fake_get-issue')!;
  assert.equal('connection_id' in (fixedTool.inputSchema.properties ?? {}), false);
  const result = await fixed.callTool({ name: 'fake_get-issue', arguments: { id: '2' } });
  assert.equal((result.structuredContent as { id: string }).id, '2');
});
