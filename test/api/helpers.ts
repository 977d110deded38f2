/**
 * Shared setup of the REST API tests: the fake API, a project (test/mcp/helpers.ts) with extra
 * connections and keys, and `patchbay serve` over HTTP started as a user starts it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { createMcpProject, startHttpServe, stopChild, type McpProject } from '../mcp/helpers.ts';

/** A key that may use only connection `bob` of `fake` (made when `bobOnly` is set). */
export const BOB_ONLY = 'pb_sk_test_bob_only_key_0123456789';

export interface ApiServer {
  api: FakeApi;
  project: McpProject;
  server: { url: string; child: ChildProcess };
  close(): Promise<void>;
}

/**
 * Starts the fake API, makes the project (plus `prepare`'s rows, written before the server
 * starts) and serves it.
 *
 * @example
 * const ctx = await startApiServer({ extraConnections: ['bob'], bobOnly: true });
 */
export async function startApiServer(
  options: {
    extraConnections?: string[];
    alsoIntegrations?: string;
    bobOnly?: boolean;
    prepare?: (runtime: App, api: FakeApi) => Promise<void>;
    /** More environment for `serve`. */
    env?: Record<string, string>;
  } = {},
): Promise<ApiServer> {
  const api = await startFakeApi();
  const project = await createMcpProject(api.url, {
    ...(options.extraConnections ? { extraConnections: options.extraConnections } : {}),
    ...(options.alsoIntegrations ? { alsoIntegrations: options.alsoIntegrations } : {}),
  });
  if (options.bobOnly || options.prepare) {
    const runtime = await createApp({ paths: project.paths, env: project.env, logger: silentLogger() });
    try {
      if (options.bobOnly) await createApiKey(runtime.store, { name: 'bob-only', connections: ['fake:bob'], secret: BOB_ONLY });
      await options.prepare?.(runtime, api);
    } finally {
      await runtime.close();
    }
  }
  Object.assign(project.env, options.env);
  const server = await startHttpServe(project);
  return {
    api,
    project,
    server,
    async close() {
      await stopChild(server.child);
      await api.close();
      project.cleanup();
    },
  };
}

/** The status, error and body of a failed `@nangohq/node` call (axios errors carry `response`). */
export async function failure(call: Promise<unknown>): Promise<{ status: number; error: { code: string; message: string; details?: unknown }; data: unknown }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: { error: { code: string; message: string } } } }).response;
    assert.ok(response, `expected an HTTP error, got ${String(error)}`);
    return { status: response.status, error: response.data?.error, data: response.data };
  }
  assert.fail('the call succeeded');
}
