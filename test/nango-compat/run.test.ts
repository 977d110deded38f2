/**
 * The replayer in-process (src/nango-test/run.ts): replay goes through the executor with its own
 * time limit, while the frozen clock and instant sleeps last exactly as long as each run; expected
 * failures reach the verdict as the function threw them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { FunctionManifest, Manifest } from '../../src/build/manifest.ts';
import { resolvePaths } from '../../src/config/paths.ts';
import { fixtureFromUnified, type UnifiedFixtureFile } from '../../src/nango-test/fixture.ts';
import { createReplayer, type Replayer } from '../../src/nango-test/run.ts';

const SDK = pathToFileURL(path.resolve('src/index.ts')).href;

/** Bundles written as the compiler would leave them: one default-exported definition each. */
const BUNDLES: Record<string, string> = {
  sleepy: `export default createAction({ description: 'sleeps ten minutes, then tells the time',
    exec: async () => { await new Promise((resolve) => setTimeout(resolve, 600_000)); return { at: new Date().toISOString(), now: Date.now() }; } });`,
  stuck: `export default createAction({ description: 'waits for an answer that never comes',
    exec: () => new Promise(() => {}) });`,
  refuse: `export default createAction({ description: 'turns an upstream 404 into an ActionError',
    exec: async (nango) => {
      try { await nango.get({ endpoint: '/tickets/9' }); }
      catch (error) { throw new nango.ActionError({ message: 'gone', status: error.response.status, body: error.response.data }); }
    } });`,
  crash: `export default createAction({ description: 'lets an upstream 500 through',
    exec: async (nango) => (await nango.get({ endpoint: '/tickets/9' })).data });`,
};

describe('createReplayer', () => {
  let dir: string;
  let manifest: Manifest;
  let replayer: Replayer;
  const fn = (name: string): FunctionManifest => manifest.functions.find((f) => f.name === name)!;
  const fixture = (file: UnifiedFixtureFile) => fixtureFromUnified({ httpErrors: 'throw', nango: {}, ...file }, 'inline fixture');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pb-replayer-'));
    const functions: FunctionManifest[] = [];
    for (const [name, body] of Object.entries(BUNDLES)) {
      const bundle = path.join(dir, `${name}.mjs`);
      await writeFile(bundle, `import { createAction } from '${SDK}';\n${body}\n`);
      functions.push({ integrationId: 'fake', name, type: 'action', source: `fake/${name}.ts`, bundle, description: name });
    }
    manifest = { schemaVersion: 1, builtAt: new Date().toISOString(), sourceHash: 'test', integrationsDir: dir, integrations: [{ id: 'fake', dir, hasConfig: false }], functions };
    replayer = createReplayer(manifest, { paths: resolvePaths({ cwd: dir, env: {} }), timeoutMs: 400 });
  });
  after(async () => {
    await replayer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes sleeps instant and freezes the clock during the run, and restores both after it', async () => {
    const realSetTimeout = globalThis.setTimeout;
    const RealDate = globalThis.Date;
    const now = '2026-03-10T12:00:00.000Z';
    const result = await replayer.replay(fn('sleepy'), fixture({ now, output: { at: now, now: RealDate.parse(now) } }));
    assert.deepEqual(result.failures, []);
    assert.equal(result.status, 'passed');
    assert.equal(globalThis.setTimeout, realSetTimeout);
    assert.equal(globalThis.Date, RealDate);
  });

  it('stops a run at the time limit, not before, rewords the timeout for replay and restores the globals', async () => {
    const realSetTimeout = globalThis.setTimeout;
    const started = performance.now();
    const result = await replayer.replay(fn('stuck'), fixture({ now: '2026-03-10T12:00:00Z', output: null }));
    assert.ok(performance.now() - started >= 350, 'the executor timer keeps its real delay');
    assert.equal(result.status, 'failed');
    assert.match(result.failures[0]!.message, /^TIMEOUT: fake\/stuck did not finish within 400 ms of replay; it may wait for a response the fixture does not hold\.$/);
    assert.equal(globalThis.setTimeout, realSetTimeout);
  });

  it('judges an ActionError built from the upstream error\'s response by code, message and payload', async () => {
    const api = { get: { '/tickets/9': { response: { message: 'Not Found' }, status: 404 } } };
    const expected = { code: 'ACTION_ERROR', message: 'gone', payload: { status: 404, body: { message: 'Not Found' } } };
    const pass = await replayer.replay(fn('refuse'), fixture({ api, error: expected }));
    assert.deepEqual(pass.failures, []);
    assert.equal(pass.requests, 1);
    const wrong = await replayer.replay(fn('refuse'), fixture({ api, error: { ...expected, payload: { status: 410 } } }));
    assert.match(wrong.failures[0]!.message, /error payload differs:\n.*status: expected 410, received 404/);
  });

  it('hands an upstream error through unchanged, with its status in the message', async () => {
    const api = { get: { '/tickets/9': { response: 'boom', status: 500 } } };
    const result = await replayer.replay(fn('crash'), fixture({ api, error: { code: 'UPSTREAM_HTTP_ERROR', message: 'GET /tickets/9 failed with status 500: boom' } }));
    assert.deepEqual(result.failures, []);
  });
});
