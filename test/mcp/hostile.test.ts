/**
 * A hostile or sloppy client against a running `patchbay serve`: malformed tools/call params and
 * absurd tool names must come back as clear, bounded JSON-RPC errors, garbage lines on
 * `serve --stdio` are answered rather than silently dropped, and the server stays up.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, SECRET, startHttpServe, stopChild, waitFor, type McpProject } from './helpers.ts';

let api: FakeApi;
let project: McpProject;
let server: { url: string; child: ChildProcess; stderr: () => string };

interface RpcAnswer {
  id?: unknown;
  error?: { code: number; message: string };
  result?: unknown;
}

async function call(params: unknown): Promise<{ status: number; text: string; body: RpcAnswer }> {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${SECRET}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as RpcAnswer };
}

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url);
  server = await startHttpServe(project);
});

after(async () => {
  if (server) await stopChild(server.child);
  await api?.close();
  project?.cleanup();
});

test('non-object arguments and a missing or non-string name are invalid params, not internal errors', async () => {
  const cases: [unknown, RegExp][] = [
    [{ name: 'fake_get-issue', arguments: 'x' }, /params\.arguments: .*expected record, received string/],
    [{ name: 'fake_get-issue', arguments: [1] }, /params\.arguments: .*received array/],
    [{ name: 'fake_get-issue', arguments: null }, /params\.arguments: .*received null/],
    [{ arguments: {} }, /params\.name: .*expected string, received undefined/],
    [{ name: 5 }, /params\.name: .*received number/],
  ];
  for (const [params, message] of cases) {
    const { status, body } = await call(params);
    assert.equal(status, 200);
    assert.equal(body.id, 7);
    assert.equal(body.error?.code, -32602, JSON.stringify(params));
    assert.match(body.error!.message, message);
    assert.match(body.error!.message, /Send \{"name": "<tool>", "arguments": \{\.\.\.\}\}/);
    assert.doesNotMatch(body.error!.message, /"code": "invalid_type"|\n/, 'no raw zod dump');
  }
});

test('an unknown tool name is echoed bounded and escaped: no megabyte answers, no raw control or bidi characters', async () => {
  const huge = await call({ name: 'a'.repeat(1_000_000), arguments: {} });
  assert.equal(huge.body.error?.code, -32602);
  assert.ok(huge.text.length < 1000, `answer is ${huge.text.length} characters`);
  assert.match(huge.body.error!.message, /Unknown tool: "a{80}…"/);

  const odd = await call({ name: 'fake_get\u0000issue\u202e', arguments: {} });
  assert.equal(odd.body.error?.code, -32602);
  assert.doesNotMatch(odd.body.error!.message, /[\u0000\u202e]/);
  assert.match(odd.body.error!.message, /Unknown tool: "fake_get\\u0000issue\\u202e"/);
  assert.match(odd.body.error!.message, /Did you mean fake_get-issue/);
});

test('the server is still healthy after the hostile calls', async () => {
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(server.child.exitCode, null);
  assert.doesNotMatch(server.stderr(), /\n\s+at /, 'no stack trace on stderr');
});

test('serve --stdio answers garbage lines with JSON-RPC errors and keeps serving', async () => {
  const child = spawn(process.execPath, [CLI, 'serve', '--stdio', '--no-scheduler'], { cwd: project.root, env: project.env, stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => (out += chunk));
    const lines = ['garbage', '{', '42', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}', '{"jsonrpc":"2.0","id":2,"method":"ping"}'];
    child.stdin!.write(lines.map((line) => `${line}\n`).join(''));
    await waitFor(() => out.includes('"id":2'), 'the ping answer');
    const answers = out.trim().split('\n').map((line) => JSON.parse(line) as RpcAnswer);
    const codes = answers.filter((answer) => answer.id === null).map((answer) => answer.error?.code);
    assert.deepEqual(codes, [-32700, -32700, -32600, -32600]);
    assert.ok(answers.every((answer) => answer.id !== null || /Send one JSON-RPC object per line/.test(answer.error!.message)));
    assert.deepEqual(answers.at(-1), { result: {}, jsonrpc: '2.0', id: 2 });
    assert.equal(child.exitCode, null);
  } finally {
    await stopChild(child);
  }
});

test('a key revoked while the server runs is refused at once with 401 and no secret in the answer', async () => {
  const list = (secret: string) =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
  assert.equal((await list(project.scopedSecret)).status, 200);
  const revoke = spawn(process.execPath, [CLI, 'key', 'revoke', 'scoped'], { cwd: project.root, env: project.env, stdio: 'ignore' });
  assert.equal(await new Promise((resolve) => revoke.once('exit', resolve)), 0);
  const refused = await list(project.scopedSecret);
  const text = await refused.text();
  assert.equal(refused.status, 401);
  assert.match(text, /unknown or revoked/);
  assert.ok(!text.includes(project.scopedSecret));
});

test('an Authorization header with another scheme than Bearer gets a 401 that names the scheme to use', async () => {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Basic ${Buffer.from(`x:${SECRET}`).toString('base64')}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  const text = await response.text();
  assert.equal(response.status, 401);
  assert.match(text, /Bearer scheme/);
  assert.ok(!text.includes(SECRET));
});
