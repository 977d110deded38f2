/**
 * `patchbay proxy` from the terminal: the provider's body on stdout with the connection's
 * credentials injected, the status on stderr, an error status exits 1 after printing the body,
 * and bad flags are one clear line with exit 2.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { CLI, createMcpProject, type McpProject } from '../mcp/helpers.ts';

let api: FakeApi;
let project: McpProject;

before(async () => {
  api = await startFakeApi();
  project = await createMcpProject(api.url, { keys: false });
});
after(async () => {
  await api.close();
  project.cleanup();
});

// Async: the fake API lives in this process, so the CLI must not block its event loop.
async function proxy(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'proxy', ...args], { cwd: project.root, env: project.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stdout, stderr };
}

it('GET prints the provider’s body; the connection’s credentials were injected', async () => {
  const run = await proxy('GET', '/issues/3', '--connection', 'alice');
  assert.equal(run.status, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { id: string }).id, '3');
  assert.match(run.stderr, /^200 from fake in \d+ ms/m);
  assert.equal(api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
});

it('POST with --data, --header and --query', async () => {
  const run = await proxy('post', '/echo', '--connection', 'alice', '--integration', 'fake', '--data', '{"title":"x"}', '--header', 'X-Trace: 7', '--query', 'a=1');
  assert.equal(run.status, 0, run.stderr);
  const echo = JSON.parse(run.stdout) as { method: string; body: unknown; headers: Record<string, string>; query: Record<string, string> };
  assert.equal(echo.method, 'POST');
  assert.deepEqual(echo.body, { title: 'x' });
  assert.equal(echo.headers['x-trace'], '7');
  assert.equal(echo.query['a'], '1');
});

it('an error from the provider prints its body and exits 1; bad flags are one line and exit 2', async () => {
  const missing = await proxy('GET', '/issues/999', '--connection', 'alice');
  assert.equal(missing.status, 1);
  assert.match(missing.stdout, /not_found|not found/i);
  assert.match(missing.stderr, /error \[UPSTREAM_HTTP_ERROR\]: The provider answered 404/);
  const method = await proxy('FETCH', '/x', '--connection', 'alice');
  assert.equal(method.status, 2);
  assert.match(method.stderr, /^error \[INVALID_ARGUMENT\]: Unknown method "FETCH"/);
  const header = await proxy('GET', '/x', '--connection', 'alice', '--header', 'nocolon');
  assert.equal(header.status, 2);
  const nobody = await proxy('GET', '/x', '--connection', 'nobody');
  assert.equal(nobody.status, 3);
  assert.match(nobody.stderr, /connection list/);
});
