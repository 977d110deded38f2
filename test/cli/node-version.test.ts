/**
 * On a Node.js older than 22.19 every command — even `--help` — prints one line saying which
 * version it found, which it needs and how to get it, instead of dying on `node:sqlite`; and
 * `scripts/node.sh` stops a `. scripts/node.sh && …` chain when it cannot bring Node 24.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeVersionProblem } from '../../src/cli/node-version.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PRETEND = (version: string) => `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`;

test('the gate: 22.19 and newer pass, older ones get the sentence', () => {
  for (const ok of ['22.19.0', '22.20.1', 'v23.0.0', '24.1.0', '26.0.0']) assert.equal(nodeVersionProblem(ok), undefined, ok);
  for (const old of ['20.20.2', '22.18.0', 'v18.19.1', '0.0.0', 'garbage']) {
    const problem = nodeVersionProblem(old);
    assert.ok(problem, old);
    assert.match(problem, /needs Node\.js 22\.19 or newer; this is Node\.js /);
    assert.match(problem, /nodejs\.org/);
  }
});

for (const entry of ['src/cli/main.ts', 'dist/cli/main.js']) {
  test(`${entry} on an old Node: --help exits 1 with one line, before loading node:sqlite`, (t) => {
    if (!existsSync(path.join(ROOT, entry))) return t.skip(`${entry} is not built (npm run build)`);
    const run = spawnSync(process.execPath, ['--import', PRETEND('20.11.1'), path.join(ROOT, entry), '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^error \[UNSUPPORTED_NODE\]: patchbay needs Node\.js 22\.19 or newer; this is Node\.js 20\.11\.1\. Install Node\.js 24/);
    assert.doesNotMatch(run.stderr, /ERR_UNKNOWN_BUILTIN_MODULE|node:sqlite|at /);
  });
}

test('the real old Node of this machine, when it has one, gets the same line from the built bin', (t) => {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].filter((file) => existsSync(file));
  const old = candidates.find((file) => {
    const version = spawnSync(file, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    return version !== '' && nodeVersionProblem(version) !== undefined;
  });
  const bin = path.join(ROOT, 'dist/cli/main.js');
  if (!old || !existsSync(bin)) return t.skip('no Node.js older than 22.19 on this machine, or dist/ not built');
  const run = spawnSync(old, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^error \[UNSUPPORTED_NODE\]: patchbay needs Node\.js 22\.19 or newer/);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
});

test('scripts/node.sh returns non-zero when it cannot install Node 24, so the chain stops', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-nodesh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A `node` that answers like an old one, and npm offline with an empty cache: no Node 24 to be had.
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin', 'node'), '#!/bin/sh\necho 0\n');
  chmodSync(path.join(dir, 'bin', 'node'), 0o755);
  const run = spawnSync('bash', ['-c', '. scripts/node.sh && echo reached'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${path.join(dir, 'bin')}:${process.env['PATH']}`,
      PATCHBAY_NODE_DIR: path.join(dir, 'node24'),
      npm_config_cache: path.join(dir, 'cache'),
      npm_config_offline: 'true',
    },
  });
  assert.notEqual(run.status, 0);
  assert.doesNotMatch(run.stdout, /reached/);
  assert.match(run.stderr, /could not install Node\.js 24|no Node\.js 22\.19 or newer/);
});
