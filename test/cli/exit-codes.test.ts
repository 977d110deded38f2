/**
 * The CLI's exit statuses and its `error [CODE]: …` line, driven through the real `patchbay`
 * command (`node src/cli/main.ts`) in a temp folder with its own PATCHBAY_HOME.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { ERROR_CODES } from '../../src/errors.ts';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-exit-'));
const home = path.join(dir, 'home');
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const name of ['NODE_TEST_CONTEXT', 'PATCHBAY_HOME', 'PATCHBAY_INTEGRATIONS', 'PATCHBAY_DEBUG', 'PATCHBAY_ENCRYPTION_KEY']) delete env[name];
  Object.assign(env, extraEnv);
  const run = spawnSync(process.execPath, [MAIN, '--home', home, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** stderr is exactly one `error [CODE]: …` line. */
function oneErrorLine(stderr: string, code: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, new RegExp(`^error \\[${code}\\]: \\S`));
}

describe('exitCodeFor', () => {
  it('maps every error code: usage 2, every *_NOT_FOUND 3, the rest 1', () => {
    for (const code of ERROR_CODES) {
      const expected = code === 'INVALID_ARGUMENT' || code === 'INVALID_INPUT' ? 2 : code === 'NOT_FOUND' || code.endsWith('_NOT_FOUND') ? 3 : 1;
      assert.equal(exitCodeFor(code), expected, code);
    }
    assert.deepEqual(
      ['FUNCTION_NOT_FOUND', 'CONNECTION_NOT_FOUND', 'INTEGRATION_NOT_FOUND', 'PROVIDER_NOT_FOUND', 'NOT_FOUND'].map((c) => exitCodeFor(c as 'NOT_FOUND')),
      [EXIT.NOT_FOUND, EXIT.NOT_FOUND, EXIT.NOT_FOUND, EXIT.NOT_FOUND, EXIT.NOT_FOUND],
    );
  });
});

describe('patchbay exit statuses', () => {
  it('an unknown option is a usage error: exit 2, one line', () => {
    const run = cli(['connection', 'list', '--bogus']);
    assert.equal(run.code, 2, run.stderr);
    oneErrorLine(run.stderr, 'INVALID_ARGUMENT');
    assert.match(run.stderr, /unknown option '--bogus'\. Run with --help for usage\./);
    assert.equal(run.stdout, '');
  });

  it('a missing argument is a usage error: exit 2, one line', () => {
    const run = cli(['connection', 'show']);
    assert.equal(run.code, 2, run.stderr);
    oneErrorLine(run.stderr, 'INVALID_ARGUMENT');
    assert.match(run.stderr, /missing required argument 'integration-or-id'/);
  });

  it('an unknown connection is not found: exit 3 with its code', () => {
    const run = cli(['connection', 'show', 'nosuch']);
    assert.equal(run.code, 3, run.stderr);
    oneErrorLine(run.stderr, 'CONNECTION_NOT_FOUND');
    assert.match(run.stderr, /No connection "nosuch"/);
  });

  it('any other failure exits 1 with its code', () => {
    const run = cli(['connection', 'list'], { PATCHBAY_ENCRYPTION_KEY: 'not-a-key' });
    assert.equal(run.code, 1, run.stderr);
    oneErrorLine(run.stderr, 'ENCRYPTION_KEY_ERROR');
  });

  it('--help and --version exit 0 on stdout; a command group without its subcommand prints help and exits 2', () => {
    const help = cli(['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: patchbay /);
    assert.equal(help.stderr, '');
    const subHelp = cli(['connection', 'show', '--help']);
    assert.equal(subHelp.code, 0, subHelp.stderr);
    assert.match(subHelp.stdout, /^Usage: patchbay connection show /);
    const version = cli(['--version']);
    assert.equal(version.code, 0, version.stderr);
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    const group = cli(['connection']);
    assert.equal(group.code, 2);
    assert.match(group.stderr, /^Usage: patchbay connection /);
  });
});
