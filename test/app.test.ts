/**
 * The composition root: what every front end gets from `createApp`, and the store choice it
 * owns (PATCHBAY_DATABASE_URL is refused, never silently ignored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createApp, openProjectStore } from '../src/app.ts';
import type { Manifest } from '../src/build/manifest.ts';
import { resolvePaths } from '../src/config/paths.ts';
import { PatchbayError } from '../src/errors.ts';
import { silentLogger } from '../src/observability/logger.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const EMPTY_MANIFEST: Manifest = { schemaVersion: 1, builtAt: new Date(0).toISOString(), sourceHash: '', integrationsDir: '', integrations: [], functions: [] };

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-app-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('PATCHBAY_DATABASE_URL is refused with what to do, and nothing is written to SQLite instead', async (t) => {
  const dir = tempDir(t);
  const paths = resolvePaths({ cwd: dir });
  const env = { PATCHBAY_DATABASE_URL: 'postgres://patchbay@127.0.0.1:5432/patchbay' };
  await assert.rejects(openProjectStore(paths, env), (error: unknown) => {
    assert.ok(error instanceof PatchbayError);
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, /PATCHBAY_DATABASE_URL is set.*no Postgres store yet.*Unset it/);
    return true;
  });
  await assert.rejects(createApp({ paths, env, manifest: EMPTY_MANIFEST, logger: silentLogger(), isolation: 'inline' }), /PATCHBAY_DATABASE_URL/);
  assert.equal(existsSync(paths.databaseFile), false, 'no SQLite file was created');

  const cli = spawnSync(process.execPath, [MAIN, 'key', 'list', '--home', path.join(dir, '.patchbay')], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /^error \[INVALID_CONFIG\]: PATCHBAY_DATABASE_URL is set/);
  assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
  assert.equal(existsSync(paths.databaseFile), false);
});

test('an empty PATCHBAY_DATABASE_URL means the embedded default', async (t) => {
  const dir = tempDir(t);
  const paths = resolvePaths({ cwd: dir });
  const store = await openProjectStore(paths, { PATCHBAY_DATABASE_URL: '' });
  assert.equal(store.kind, 'sqlite');
  await store.close();
});

test('createApp wires one executor for every caller and closes everything once', async (t) => {
  const dir = tempDir(t);
  const paths = resolvePaths({ cwd: dir });
  const app = await createApp({ paths, env: {}, manifest: EMPTY_MANIFEST, logger: silentLogger(), isolation: 'inline' });
  assert.equal(app.executor, app.executor, 'the same executor on every read');
  await assert.rejects(app.executor.run({ integrationId: 'nope', name: 'nothing', connectionId: 'c' }), (error: unknown) => error instanceof PatchbayError && error.code === 'INTEGRATION_NOT_FOUND');
  await app.close();
  await app.close();
  await assert.rejects(app.store.kv.get('x'), 'the store is closed');
});
