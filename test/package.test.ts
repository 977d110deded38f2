/**
 * patchbay as a user gets it: `npm pack` (prepare builds dist/), install the tarball into a fresh
 * folder, then `npx patchbay init` and `npx patchbay compile` there with nothing from this
 * repository on the path, and TypeScript resolves `nango` / `patchbay` types in that folder.
 * Skipped (with the reason) only when npm cannot reach the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeApi } from './fake-api/server.ts';

const execFileAsync = promisify(execFile);

const REPO = fileURLToPath(new URL('..', import.meta.url));
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network|getaddrinfo|registry/i;

/** An environment holding nothing of this repository: Node 24 first on PATH, no NODE_PATH, no PATCHBAY_*. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PATCHBAY_') && !k.startsWith('npm_') && k !== 'NODE_PATH' && k !== 'NODE_OPTIONS') env[k] = v;
  const paths = (env['PATH'] ?? '').split(path.delimiter).filter((p) => !p.startsWith(REPO));
  env['PATH'] = [path.dirname(process.execPath), ...paths].join(path.delimiter);
  return env;
}

function run(cwd: string, command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 600_000 });
}

function explain(result: SpawnSyncReturns<string>): string {
  return `exit ${result.status}\n${result.stdout}\n${result.stderr}`;
}

test('the packed package installs, inits, compiles, and gives editors the nango types', { timeout: 900_000 }, async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'patchbay-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  const pack = run(REPO, 'npm', ['pack', '--pack-destination', work, '--silent']);
  assert.equal(pack.status, 0, explain(pack));
  const tarball = path.join(work, pack.stdout.trim().split('\n').at(-1)!);
  assert.ok(existsSync(tarball), `tarball at ${tarball}`);

  const project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), '{ "name": "my-integrations", "private": true, "type": "module" }\n');
  const install = run(project, 'npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline']);
  if (install.status !== 0 && NETWORK.test(install.stderr)) {
    t.skip(`npm cannot reach the registry, so the tarball's dependencies cannot be installed: ${install.stderr.split('\n').find((l) => NETWORK.test(l))}`);
    return;
  }
  assert.equal(install.status, 0, explain(install));

  // What npm ships: the license and the docs the README links to.
  const listing = run(work, 'tar', ['tzf', tarball]);
  for (const file of ['package/LICENSE', 'package/README.md', 'package/docs/security.md', 'package/dist/cli/main.js']) assert.ok(listing.stdout.split('\n').includes(file), `${file} in the tarball`);

  const patchbayInit = run(project, 'npx', ['--no-install', 'patchbay', 'init']);
  assert.equal(patchbayInit.status, 0, explain(patchbayInit));
  assert.match(patchbayInit.stdout, /Next steps:/);
  const tsconfig = JSON.parse(readFileSync(path.join(project, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  assert.deepEqual(tsconfig.compilerOptions.paths['nango'], ['./node_modules/patchbay/dist/index.d.ts']);

  const compile = run(project, 'npx', ['--no-install', 'patchbay', 'compile']);
  assert.equal(compile.status, 0, explain(compile));
  assert.match(compile.stdout, /compiled 2 functions in 1 integration/);
  const manifest = JSON.parse(readFileSync(path.join(project, '.patchbay/build/manifest.json'), 'utf8')) as { functions: Array<{ name: string; bundle: string }> };
  const bundle = readFileSync(manifest.functions.find((f) => f.name === 'create-issue')!.bundle, 'utf8');
  assert.match(bundle, /node_modules\/patchbay\/dist\/index\.js/, 'bundles import the installed SDK, not this repository');
  assert.ok(!bundle.includes(REPO), 'nothing from this repository in the bundle');

  // The editor's view: tsc with the tsconfig init wrote resolves both names, and the REST client
  // subpath, to real (not `any`) types.
  writeFileSync(
    path.join(project, 'integrations/github/types-check.ts'),
    `import { createAction } from 'nango';
import { createSync, type NangoAction } from 'patchbay';
import { PatchbayClient } from 'patchbay/client';
import { z } from 'zod';
const action = createAction({
  description: 'check',
  input: z.object({ n: z.number() }),
  output: z.object({ n: z.number() }),
  exec: async (_nango: NangoAction, input) => ({ n: input.n + 1 }),
});
const kind: 'action' = action.type;
// @ts-expect-error -- fails to compile if 'nango' resolved to any
const wrong: number = action.type;
const client = new PatchbayClient({ host: 'http://localhost:3003', secretKey: 'pb_sk_x' });
// @ts-expect-error -- fails to compile if 'patchbay/client' resolved to any
const notAClient: number = client;
export { kind, wrong, createSync, notAClient };
`,
  );
  const tsc = run(project, 'npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
  assert.equal(tsc.status, 0, explain(tsc));

  // Run a function from the installed package against the fake API (async: the API lives in this process).
  cpSync(path.join(REPO, 'test/fixtures/fake-integration/integrations/fake'), path.join(project, 'integrations/fake'), { recursive: true });
  const api = await startFakeApi();
  t.after(() => api.close());
  const env = { ...cleanEnv(), FAKE_API_URL: api.url };
  const npx = (...args: string[]) => execFileAsync('npx', ['--no-install', 'patchbay', ...args], { cwd: project, env });
  await npx('connection', 'add', 'fake', 'c1', '--api-key', 'test-api-key');
  const dryrun = await npx('dryrun', 'fake/get-issue', 'c1', '--input', '{"id":"1"}', '--json');
  const result = JSON.parse(dryrun.stdout) as { output: { id: string; title: string } };
  assert.equal(result.output.id, '1');
  assert.equal(api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');

  // The README's walkthrough with the installed package: its integration.json, a token
  // connection without the OAuth app's variables, the OAuth flow reading them from .env.
  cpSync(path.join(REPO, 'integrations/github/integration.json'), path.join(project, 'integrations/github/integration.json'));
  const token = run(project, 'npx', ['--no-install', 'patchbay', 'connection', 'add', 'github', 'alice', '--token', 'ghp_packed']);
  assert.equal(token.status, 0, explain(token));
  writeFileSync(path.join(project, '.env'), 'GITHUB_CLIENT_ID=packed-client\nGITHUB_CLIENT_SECRET=packed-secret\n');
  const connect = run(project, 'npx', ['--no-install', 'patchbay', 'connect', 'github', 'bob', '--no-browser', '--port', '0', '--timeout', '1']);
  assert.match(connect.stdout, /client_id=packed-client/, explain(connect));

  // mcp-config --write merges into an existing Cursor file.
  mkdirSync(path.join(project, '.cursor'));
  writeFileSync(path.join(project, '.cursor/mcp.json'), JSON.stringify({ mcpServers: { other: { command: 'other-server' } } }));
  const write = run(project, 'npx', ['--no-install', 'patchbay', 'mcp-config', '--client', 'cursor', '--write']);
  assert.equal(write.status, 0, explain(write));
  const cursor = JSON.parse(readFileSync(path.join(project, '.cursor/mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string }> };
  assert.deepEqual(Object.keys(cursor.mcpServers).sort(), ['other', 'patchbay']);

  // The installed bin on a Node older than 22.19: one line, no stack trace.
  const old = run(project, process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.1"})', path.join(project, 'node_modules/patchbay/dist/cli/main.js'), '--help']);
  assert.equal(old.status, 1, explain(old));
  assert.match(old.stderr, /^error \[UNSUPPORTED_NODE\]: patchbay needs Node\.js 22\.19 or newer; this is Node\.js 20\.11\.1/);
});
