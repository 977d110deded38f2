import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTION, tempProject } from './build/project.ts';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

function cli(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env['PATCHBAY_HOME'];
  delete env['PATCHBAY_INTEGRATIONS'];
  const run = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env, timeout: 180_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function emptyDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('init writes a working example, tsconfig paths and .gitignore; compile then succeeds', async (t) => {
  const dir = emptyDir(t);
  const init = cli(dir, 'init');
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /Next steps:/);
  assert.match(init.stdout, /connection add github/);
  assert.match(init.stdout, /dryrun github\/create-issue me --input/);
  assert.match(init.stdout, /serve/);
  assert.ok(existsSync(path.join(dir, 'integrations/github/actions/create-issue.ts')));
  assert.ok(existsSync(path.join(dir, 'integrations/github/syncs/issues.ts')));
  assert.ok(existsSync(path.join(dir, 'integrations/github/integration.json')));
  const tsconfig = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  assert.ok(tsconfig.compilerOptions.paths['nango']?.[0]?.endsWith('index.ts'), 'nango maps to the SDK (source when run from source)');
  assert.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\.patchbay\/$/m);

  const compile = cli(dir, 'compile');
  assert.equal(compile.code, 0, compile.stderr);
  assert.match(compile.stdout, /compiled 2 functions in 1 integration/);
  assert.ok(existsSync(path.join(dir, '.patchbay/build/manifest.json')));
  assert.match(cli(dir, 'compile').stdout, /up to date/);
});

test('init refuses to overwrite an existing integrations folder', async (t) => {
  const dir = emptyDir(t);
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/');
  assert.equal(cli(dir, 'init').code, 0);
  assert.equal(readFileSync(path.join(dir, '.gitignore'), 'utf8'), 'node_modules/\n.patchbay/\n.env\n', 'existing .gitignore extended, not replaced');
  const before = readFileSync(path.join(dir, 'integrations/github/actions/create-issue.ts'), 'utf8');
  writeFileSync(path.join(dir, 'integrations/github/actions/create-issue.ts'), 'mine');
  const again = cli(dir, 'init');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^error \[INVALID_ARGUMENT\]: integrations\/ already exists; init never overwrites/);
  assert.equal(readFileSync(path.join(dir, 'integrations/github/actions/create-issue.ts'), 'utf8'), 'mine');
  assert.notEqual(before, 'mine');
});

test('compile: a syntax error prints file:line:col, exits 1 and writes nothing', async (t) => {
  const project = tempProject({ 'demo/actions/echo.ts': ACTION.replace("description: 'Echo',", "description: 'Echo' +,") });
  t.after(project.cleanup);
  const run = cli(project.root, 'compile');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^integrations\/demo\/actions\/echo\.ts:4:24 - error syntax-error: /m);
  assert.match(run.stderr, /nothing was written/);
  assert.equal(existsSync(project.paths.manifestFile), false);
  const json = cli(project.root, 'compile', '--json');
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { ok: boolean; diagnostics: Array<{ code: string; file: string; line: number; column: number }> };
  assert.equal(report.ok, false);
  assert.deepEqual(report.diagnostics.map((d) => [d.code, d.file, d.line, d.column]), [['syntax-error', 'integrations/demo/actions/echo.ts', 4, 24]]);
});

test('compile: a type error prints file:line:col - error TSxxxx and exits 1', async (t) => {
  const project = tempProject({ 'demo/actions/echo.ts': ACTION.replace('({ text: input.text })', '({ text: 42 })') });
  t.after(project.cleanup);
  const run = cli(project.root, 'compile');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^integrations\/demo\/actions\/echo\.ts:7:\d+ - error TS\d+: /m);
  assert.equal(cli(project.root, 'compile', '--no-typecheck').code, 0, 'bundles fine without the type-check');
});

test('compile: a missing integrations folder and an unknown function are one clear line each', async (t) => {
  const dir = emptyDir(t);
  const missing = cli(dir, 'compile');
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^error \[NOT_FOUND\]: No integrations folder at .*integrations\. Run `patchbay init`/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);

  const project = tempProject({ 'demo/actions/echo.ts': ACTION });
  t.after(project.cleanup);
  const unknown = cli(project.root, 'compile', 'demo/nope');
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /^error \[FUNCTION_NOT_FOUND\]: Unknown function "demo\/nope"\. Known functions: demo\/echo\./);
  const one = cli(project.root, 'compile', '--no-typecheck', 'demo/echo');
  assert.equal(one.code, 0, one.stderr);
});

/** Collects a child's output and waits for a line matching a pattern. */
function watchOutput(child: ReturnType<typeof spawn>) {
  let out = '';
  const waiters: Array<{ re: RegExp; from: number; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out.slice(w.from));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    mark: () => out.length,
    next: (re: RegExp, from: number) =>
      new Promise<string>((resolve) => {
        const m = re.exec(out.slice(from));
        if (m) resolve(m[0]);
        else waiters.push({ re, from, resolve });
      }),
  };
}

test('dev re-bundles a saved file, says so in one line with its time, reports errors and keeps running', { timeout: 180_000 }, async (t) => {
  const project = tempProject({ 'demo/actions/echo.ts': ACTION });
  t.after(project.cleanup);
  const child = spawn(process.execPath, [MAIN, 'dev', '--no-typecheck'], { cwd: project.root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  const output = watchOutput(child);
  await output.next(/✓ built 1 function in \d+ ms; watching integrations\//, 0);

  let mark = output.mark();
  project.write('demo/actions/echo.ts', ACTION.replace("'Echo'", "'Echo v2'"));
  const line = await output.next(/✓ rebuilt demo\/echo in \d+ ms/, mark);
  const ms = Number(/in (\d+) ms/.exec(line)![1]);
  assert.ok(Number.isFinite(ms));
  assert.match(readFileSync(project.paths.manifestFile, 'utf8'), /"description": "Echo v2"/);

  mark = output.mark();
  project.write('demo/actions/echo.ts', ACTION.replace("'Echo'", "'Echo' +"));
  await output.next(/integrations\/demo\/actions\/echo\.ts:4:\d+ - error syntax-error/, mark);
  await output.next(/✗ build failed with 1 error in \d+ ms; the last good build stays in place/, mark);
  assert.match(readFileSync(project.paths.manifestFile, 'utf8'), /"description": "Echo v2"/);

  mark = output.mark();
  project.write('demo/actions/echo.ts', ACTION.replace("'Echo'", "'Echo v3'"));
  await output.next(/✓ rebuilt demo\/echo in \d+ ms/, mark);

  // Editors save by writing a temp file and renaming it over the original; twice in a row.
  const file = path.join(project.paths.integrationsDir, 'demo/actions/echo.ts');
  for (const version of ['v4', 'v5']) {
    mark = output.mark();
    writeFileSync(`${file}.swp`, ACTION.replace("'Echo'", `'Echo ${version}'`));
    renameSync(`${file}.swp`, file);
    await output.next(/✓ rebuilt demo\/echo in \d+ ms/, mark);
    assert.match(readFileSync(project.paths.manifestFile, 'utf8'), new RegExp(`"description": "Echo ${version}"`));
  }
  assert.equal(child.exitCode, null, 'still running');
});

test('compile validates integration.json with the errors serve would give; unset variables are left to serve', async (t) => {
  const dir = emptyDir(t);
  assert.equal(cli(dir, 'init').code, 0);
  const file = path.join(dir, 'integrations/github/integration.json');
  writeFileSync(file, JSON.stringify({ provider: 'githubb' }));
  const unknown = cli(dir, 'compile', '--no-typecheck');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /integrations\/github\/integration\.json - error bad-integration-config: .*provider "githubb" is not in the catalog\. Did you mean "github"\?/);
  assert.match(unknown.stderr, /nothing was written/);
  assert.ok(!existsSync(path.join(dir, '.patchbay/build/manifest.json')));
  writeFileSync(file, '{ "provider": "github", ');
  const broken = cli(dir, 'compile', '--no-typecheck');
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /integration\.json is not valid JSON at line 1, column \d+/);
  // A CI build has no secrets: ${…} not set is for serve to say, not compile.
  writeFileSync(file, JSON.stringify({ provider: 'github', environment: { TOKEN: '${SOME_UNSET_SECRET}' } }));
  const ok = cli(dir, 'compile', '--no-typecheck');
  assert.equal(ok.code, 0, ok.stderr);
});
