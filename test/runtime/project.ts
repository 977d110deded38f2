/**
 * A temp project for runtime tests: the build fixture's integration (test/fixtures/fake-integration)
 * plus this folder's extra functions (test/fixtures/runtime/integrations), a running fake API and
 * a connection "c1" holding its API key.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';
import { createApp, type App, type AppOptions } from '../../src/app.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';

const BASE = fileURLToPath(new URL('../fixtures/fake-integration/integrations', import.meta.url));
const EXTRA = fileURLToPath(new URL('../fixtures/runtime/integrations', import.meta.url));

export interface RuntimeProject {
  root: string;
  paths: ProjectPaths;
  api: FakeApi;
  env: NodeJS.ProcessEnv;
  open(options?: Partial<AppOptions>): Promise<App>;
  cleanup(): Promise<void>;
}

/** Copies the fixtures into a temp folder and starts the fake API. */
export async function runtimeProject(): Promise<RuntimeProject> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-runtime-'));
  cpSync(BASE, path.join(root, 'integrations'), { recursive: true });
  cpSync(EXTRA, path.join(root, 'integrations'), { recursive: true });
  const api = await startFakeApi();
  const env = { FAKE_API_URL: api.url };
  const paths = resolvePaths({ cwd: root, env: {} });
  const runtimes: App[] = [];
  return {
    root,
    paths,
    api,
    env,
    async open(options = {}) {
      const runtime = await createApp({ paths, env, logger: silentLogger(), ...options });
      runtimes.push(runtime);
      return runtime;
    },
    async cleanup() {
      for (const runtime of runtimes) await runtime.close();
      await api.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
