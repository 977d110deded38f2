/**
 * `connection metadata` and `connection config`: read, replace (--set) and merge (--merge) a
 * connection's metadata and config after `connection add`, as init's example sync asks
 * (`repositories` in the metadata); config is checked against the provider's declared fields.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-conn-settings-'));
const env: NodeJS.ProcessEnv = { ...process.env };
delete env['PATCHBAY_HOME'];
delete env['PATCHBAY_INTEGRATIONS'];
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8' });
const json = (run: { stdout: string }) => JSON.parse(run.stdout) as Record<string, unknown>;

before(() => {
  assert.equal(cli('init').status, 0);
  assert.equal(cli('connection', 'add', 'github', 'alice', '--token', 'ghp_settings', '--metadata', '{"team":"core"}').status, 0);
  writeFileSync(path.join(dir, 'integrations', 'github', 'integration.json'), JSON.stringify({ provider: 'github' }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('metadata: print, merge, replace; the example sync reads what was set', () => {
  assert.deepEqual(json(cli('connection', 'metadata', 'github', 'alice')), { team: 'core' });
  const merged = cli('connection', 'metadata', 'alice', '--merge', '{"repositories":["octo/hello"]}');
  assert.equal(merged.status, 0, merged.stderr);
  assert.deepEqual(json(merged), { team: 'core', repositories: ['octo/hello'] });
  assert.deepEqual(json(cli('connection', 'show', 'github', 'alice'))['metadata'], { team: 'core', repositories: ['octo/hello'] });
  assert.deepEqual(json(cli('connection', 'metadata', 'github', 'alice', '--set', '{"repositories":[]}')), { repositories: [] });
  assert.deepEqual(json(cli('connection', 'metadata', 'github', 'alice')), { repositories: [] });
});

test('bad input: not an object, both flags, unknown connection → one line, non-zero', () => {
  const array = cli('connection', 'metadata', 'github', 'alice', '--set', '[1]');
  assert.equal(array.status, 2);
  assert.match(array.stderr, /^error \[INVALID_ARGUMENT\]: --set must be a JSON object/);
  const both = cli('connection', 'config', 'github', 'alice', '--set', '{}', '--merge', '{}');
  assert.equal(both.status, 2);
  const missing = cli('connection', 'metadata', 'github', 'nobody');
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /^error \[CONNECTION_NOT_FOUND\]/);
});

test('config: merged and replaced, checked against the provider (a host with a path is refused)', () => {
  const freshdesk = cli('connection', 'add', 'freshdesk', 'acme', '--basic', 'apikey:X', '--config', '{"subdomain":"acme"}');
  assert.equal(freshdesk.status, 0, freshdesk.stderr);
  assert.deepEqual(json(cli('connection', 'config', 'freshdesk', 'acme')), { subdomain: 'acme' });
  assert.deepEqual(json(cli('connection', 'config', 'freshdesk', 'acme', '--merge', '{"subdomain":"acme-eu"}')), { subdomain: 'acme-eu' });
  const hostile = cli('connection', 'config', 'freshdesk', 'acme', '--set', '{"subdomain":"evil.example/x"}');
  assert.equal(hostile.status, 2, hostile.stderr);
  assert.match(hostile.stderr, /^error \[INVALID_ARGUMENT\]: .*subdomain/);
  assert.deepEqual(json(cli('connection', 'config', 'freshdesk', 'acme')), { subdomain: 'acme-eu' }, 'a refused value changed nothing');
});
