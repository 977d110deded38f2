/**
 * End to end over stdio: the MCP SDK's own Client spawns `patchbay serve --stdio` in a temp
 * project whose actions call the fake API.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, waitFor, type McpProject } from './helpers.ts';

let api: FakeApi;
let project: McpProject;
let client: Client;
let stderr = '';

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', '--no-scheduler'],
    cwd: project.root,
    env: project.env as Record<string, string>,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await api?.close();
  project?.cleanup();
});

test('tools/list: namespaced tools, flat schemas, hints from HTTP methods, records tool', async () => {
  const { tools } = await client.listTools();
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  for (const name of ['fake_get-issue', 'fake_create-issue', 'fake_delete-issue', 'fake_shout', 'fake_slow-call', 'other_whoami', 'query_records']) {
    assert.ok(byName.has(name), `missing ${name}`);
  }
  for (const tool of tools) {
    assert.match(tool.name, /^[a-zA-Z0-9_-]{1,64}$/);
    assert.equal(tool.inputSchema.type, 'object');
    assert.equal(JSON.stringify(tool.inputSchema).includes('$schema'), false);
    assert.equal('anyOf' in tool.inputSchema, false);
  }
  assert.equal(byName.get('fake_get-issue')!.annotations?.readOnlyHint, true);
  assert.equal(byName.get('fake_delete-issue')!.annotations?.destructiveHint, true);
  assert.equal(byName.get('fake_create-issue')!.annotations?.readOnlyHint, false);
  assert.deepEqual(byName.get('fake_shout')!.inputSchema.required, ['input']);
  assert.equal(byName.get('fake_get-issue')!.description, 'Fetch one issue by id. Read-only.');
  // One connection for "fake": no connection argument.
  assert.equal('connection_id' in (byName.get('fake_get-issue')!.inputSchema.properties ?? {}), false);
});

test('tools/call: structured content from the fake API; scalar output wrapped', async () => {
  const result = await client.callTool({ name: 'fake_get-issue', arguments: { id: '1' } });
  assert.equal(result.isError, undefined);
  assert.equal((result.structuredContent as { id: string }).id, '1');
  assert.equal(JSON.parse(text(result)).id, '1');
  assert.equal(api.requests.at(-1)?.path, '/issues/1');
  const shout = await client.callTool({ name: 'fake_shout', arguments: { input: 'hi' } });
  assert.deepEqual(shout.structuredContent, { result: 'HI' });
});

test('bad arguments: isError naming the field and the rule', async () => {
  const result = await client.callTool({ name: 'fake_create-issue', arguments: { title: '' } });
  assert.equal(result.isError, true);
  assert.match(text(result), /Invalid arguments for fake_create-issue: `title`:/);
  assert.match(text(result), /INVALID_INPUT/);
  // The executor logged the failure as a pino line: it went to stderr, stdout carries only JSON-RPC.
  await waitFor(() => /"level":40/.test(stderr), 'the warning on stderr');
  assert.equal(stderr.includes('"jsonrpc"'), false);
});

test('no connection: the tool is listed and its call says how to add one', async () => {
  const result = await client.callTool({ name: 'other_whoami', arguments: {} });
  assert.equal(result.isError, true);
  assert.match(text(result), /patchbay connection add other/);
});

test('unknown tool is a protocol error', async () => {
  await assert.rejects(client.callTool({ name: 'fake_nope', arguments: {} }), (error: unknown) => {
    assert.ok(error instanceof McpError);
    // The client adds "MCP error -32602: " once; the server's message must not carry it too.
    assert.match(error.message, /^MCP error -32602: Unknown tool: "fake_nope"/);
    assert.doesNotMatch(error.message, /MCP error -32602: MCP error/);
    return true;
  });
});

test('query_records reads synced records with Nango metadata and a cursor', async () => {
  const first = await client.callTool({ name: 'query_records', arguments: { integration: 'fake', model: 'Issue', limit: 1 } });
  const page = first.structuredContent as { records: Array<{ id: string; _nango_metadata: { last_action: string } }>; next_cursor: string };
  assert.equal(page.records.length, 1);
  assert.equal(page.records[0]!._nango_metadata.last_action, 'ADDED');
  const second = await client.callTool({ name: 'query_records', arguments: { integration: 'fake', model: 'Issue', cursor: page.next_cursor } });
  assert.deepEqual((second.structuredContent as { records: Array<{ id: string }> }).records.map((r) => r.id), ['r2']);
  const bad = await client.callTool({ name: 'query_records', arguments: { integration: 'fake', model: 'Nope' } });
  assert.equal(bad.isError, true);
});

test('progress arrives and cancellation aborts the upstream request', async () => {
  const before = api.state.closedEarly;
  const progress: number[] = [];
  const controller = new AbortController();
  const call = client.callTool({ name: 'fake_slow-call', arguments: { ms: 60_000 } }, undefined, {
    signal: controller.signal,
    onprogress: (update) => progress.push(update.progress),
  });
  call.catch(() => {});
  await waitFor(() => api.requests.some((request) => request.path === '/slow'), 'the slow request to reach the fake API');
  await waitFor(() => progress.length > 0, 'a progress notification');
  controller.abort();
  await assert.rejects(call);
  await waitFor(() => api.state.closedEarly > before, 'the fake API to see the socket close');
  assert.deepEqual(progress, [1]);
});
