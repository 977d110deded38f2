/**
 * A temporary patchbay project for the MCP end-to-end tests: the fixture integrations under
 * test/fixtures/mcp, compiled once, a connection to the fake API, API keys and a few synced
 * records — all written through the real runtime, store and connection service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createApp } from '../../src/app.ts';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/mcp/integrations', import.meta.url));
export const SECRET = 'pb_sk_test_main_key_0123456789';

export interface McpProject {
  root: string;
  paths: ProjectPaths;
  env: NodeJS.ProcessEnv;
  /** Secret of a key scoped to `fake_get-*` tools. */
  scopedSecret: string;
  cleanup(): void;
}

/** Creates, compiles and seeds a project pointing at the fake API. */
export async function createMcpProject(fakeApiUrl: string, options: { extraConnections?: string[]; keys?: boolean; alsoIntegrations?: string } = {}): Promise<McpProject> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-mcp-'));
  cpSync(FIXTURE, path.join(root, 'integrations'), { recursive: true });
  // More integrations beside the MCP fixtures (the hostile probes of the boundary tests).
  if (options.alsoIntegrations) cpSync(options.alsoIntegrations, path.join(root, 'integrations'), { recursive: true });
  const paths = resolvePaths({ cwd: root });
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_API_URL: fakeApiUrl, PATCHBAY_HOME: paths.home, PATCHBAY_LOG_LEVEL: 'warn' };
  delete env['PATCHBAY_CONNECTION'];
  delete env['PATCHBAY_SECRET_KEY'];
  const runtime = await createApp({ paths, env, logger: silentLogger() });
  let scopedSecret: string;
  try {
    await runtime.connections.add({ integrationId: 'fake', connectionId: 'alice', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
    for (const connectionId of options.extraConnections ?? []) {
      await runtime.connections.add({ integrationId: 'fake', connectionId, credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
    }
    if (options.keys === false) scopedSecret = '';
    else {
      await createApiKey(runtime.store, { name: 'main', secret: SECRET });
      scopedSecret = (await createApiKey(runtime.store, { name: 'scoped', tools: ['fake_get-*'] })).secret;
    }
    await runtime.store.records.save({ integrationId: 'fake', connectionId: 'alice', model: 'Issue' }, [
      { id: 'r1', data: { id: 'r1', title: 'first', state: 'open', updated_at: '2025-01-01T00:00:00Z' } },
      { id: 'r2', data: { id: 'r2', title: 'second', state: 'closed', updated_at: '2025-01-02T00:00:00Z' } },
    ]);
  } finally {
    await runtime.close();
  }
  return { root, paths, env, scopedSecret, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Starts `serve` over HTTP on a free port; resolves with its URL once it prints it. */
export function startHttpServe(project: McpProject, args: string[] = ['--no-scheduler']): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd: project.root, env: project.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ url: match[1]!, child, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/** Kills a child and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Waits until `check()` holds (polling), failing after a generous deadline. */
export async function waitFor(check: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
