/**
 * Mistyped names in `records` and `sync run` end with a non-zero exit and "did you mean", never
 * with an empty answer or a placeholder (`<sync>`, integration "?").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-typos-'));
const env: NodeJS.ProcessEnv = { ...process.env };
delete env['PATCHBAY_HOME'];
delete env['PATCHBAY_INTEGRATIONS'];
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8' });

before(() => {
  assert.equal(cli('init').status, 0);
  assert.equal(cli('compile', '--no-typecheck').status, 0);
  assert.equal(cli('connection', 'add', 'github', 'alice', '--token', 'ghp_test').status, 0);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('sync run with an unknown sync: exit 3, did you mean, no integration "?"', () => {
  const typo = cli('sync', 'run', 'isues');
  assert.equal(typo.status, 3);
  assert.match(typo.stderr, /^error \[FUNCTION_NOT_FOUND\]: No sync "isues"\. Did you mean "issues"\? Syncs: github\/issues\./);
  assert.doesNotMatch(typo.stderr, /"\?"/);
  assert.equal(cli('sync', 'run', 'nosuch').status, 3);
});

test('records with a mistyped integration, connection or model: exit 3 with did you mean; a real empty model says which sync to run', () => {
  const connection = cli('records', 'github', 'alic', 'Issue');
  assert.equal(connection.status, 3);
  assert.match(connection.stderr, /No connection "alic" for integration "github"\. Did you mean "alice"\?/);
  const integration = cli('records', 'githb', 'alice', 'Issue');
  assert.equal(integration.status, 3);
  assert.match(integration.stderr, /No connection for integration "githb"\. Did you mean "github"\?/);
  const model = cli('records', 'github', 'alice', 'Isue');
  assert.equal(model.status, 3);
  assert.match(model.stderr, /No model "Isue" in the syncs of "github"\. Did you mean "Issue"\?/);
  const empty = cli('records', 'github', 'alice', 'Issue');
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /Run the sync first: patchbay sync run issues --integration github --connection alice/);
  assert.doesNotMatch(empty.stdout, /<sync>/);
});
