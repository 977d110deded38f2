/**
 * `serve` and `mcp-config` as a user meets them: the first start prints a working key once,
 * `--no-auth` is refused off loopback and warns on it, mcp-config prints ready entries.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, startHttpServe, stopChild, waitFor, type McpProject } from './helpers.ts';

const run = promisify(execFile);
let api: FakeApi;
let project: McpProject;

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url, { keys: false });
});

after(async () => {
  await api?.close();
  project?.cleanup();
});

test('first start creates a key, prints it once on stderr, and it opens /mcp (scheduler on)', async () => {
  const first = await startHttpServe(project, []);
  try {
    const key = /(pb_sk_[A-Za-z0-9_-]+)/.exec(first.stderr())?.[1];
    assert.ok(key, `no key in: ${first.stderr()}`);
    assert.equal((await fetch(`${first.url}/mcp`, { method: 'POST', headers: HEADERS, body: LIST })).status, 401);
    const ok = await fetch(`${first.url}/mcp`, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${key}` }, body: LIST });
    assert.equal(ok.status, 200);
  } finally {
    await stopChild(first.child);
  }
  const second = await startHttpServe(project, ['--no-scheduler']);
  try {
    assert.doesNotMatch(second.stderr(), /pb_sk_/);
  } finally {
    await stopChild(second.child);
  }
});

test('--no-auth: refused on a public host, warns and serves without a key on loopback', async () => {
  await assert.rejects(run(process.execPath, [CLI, 'serve', '--no-auth', '--host', '0.0.0.0', '--port', '0', '--no-scheduler'], { cwd: project.root, env: project.env }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /--no-auth is only allowed on a loopback host/);
    return true;
  });
  const open = await startHttpServe(project, ['--no-auth', '--no-scheduler']);
  try {
    assert.match(open.stderr(), /warning: --no-auth/);
    assert.equal((await fetch(`${open.url}/mcp`, { method: 'POST', headers: HEADERS, body: LIST })).status, 200);
  } finally {
    await stopChild(open.child);
  }
});

test('mcp-config prints absolute, ready entries', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'mcp-config', '--client', 'claude-desktop', '--connection', 'alice'], { cwd: project.root, env: project.env });
  const entry = (JSON.parse(stdout) as { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> }).mcpServers['patchbay']!;
  assert.equal(entry.command, process.execPath);
  assert.equal(entry.args[0], CLI);
  assert.deepEqual(entry.args.slice(-4), ['serve', '--stdio', '--connection', 'alice']);
  assert.equal(entry.env['PATCHBAY_HOME'], project.paths.home);
  const code = await run(process.execPath, [CLI, 'mcp-config', '--client', 'claude-code'], { cwd: project.root, env: project.env });
  assert.match(code.stdout, /^claude mcp add patchbay --scope project -e PATCHBAY_HOME=\S+ -- \S+ \S+ --integrations \S+ --home \S+ serve --stdio\n$/);
  await assert.rejects(run(process.execPath, [CLI, 'mcp-config', '--client', 'vim'], { cwd: project.root, env: project.env }));
});

test('stdio: console output of an action run inline never reaches stdout', async () => {
  const child = spawn(process.execPath, [CLI, 'serve', '--stdio', '--no-scheduler', '--isolation', 'inline'], { cwd: project.root, env: project.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fake_noisy', arguments: {} } });
    await waitFor(() => stdout.includes('"id":2'), 'the tools/call answer');
    const lines = stdout.trim().split('\n');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON-RPC on stdout: ${line}`);
    const answer = JSON.parse(lines.find((line) => line.includes('"id":2'))!) as { result: { structuredContent: unknown } };
    assert.deepEqual(answer.result.structuredContent, { ok: true });
    assert.match(stderr, /noisy output from an action/);
  } finally {
    child.stdin.end();
    await stopChild(child);
  }
});

test('dryrun says plainly when the provider side was real (a POST reached it), and not for a read', async () => {
  const write = await run(process.execPath, [CLI, 'dryrun', 'create-issue', 'alice', '--input', '{"title":"from a dry run"}'], { cwd: project.root, env: project.env });
  assert.match(write.stdout, /nothing was saved in patchbay/);
  assert.match(write.stdout, /note: the provider's side was real: 1 request\(s\) that can change data \(POST\) reached it\..*--save-responses/);
  const read = await run(process.execPath, [CLI, 'dryrun', 'get-issue', 'alice', '--input', '{"id":"1"}'], { cwd: project.root, env: project.env });
  assert.doesNotMatch(read.stdout, /provider's side was real/);
});
