/**
 * The README's walkthrough as a new user follows it, in a fresh folder: the README's
 * integration.json (OAuth app settings from `${GITHUB_CLIENT_ID}`), a token connection that needs
 * none of them, the OAuth flow that does — from the shell or from a `.env` beside integrations/,
 * the shell winning.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const README_INTEGRATION = fileURLToPath(new URL('../../integrations/github/integration.json', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-walk-'));
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
for (const name of ['PATCHBAY_HOME', 'PATCHBAY_INTEGRATIONS', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET']) delete baseEnv[name];
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...baseEnv, ...env }, encoding: 'utf8', timeout: 60_000 });
/** `connect` with a short timeout: it prints the consent URL, then gives up waiting. */
const consentUrl = (env: NodeJS.ProcessEnv = {}) => {
  const run = cli(['connect', 'github', 'bob', '--no-browser', '--port', '0', '--timeout', '1'], env);
  return { run, url: /^\s+(https:\/\/github\.com\/login\/oauth\/authorize\S+)$/m.exec(run.stdout)?.[1] };
};

before(() => {
  assert.equal(cli(['init']).status, 0);
  assert.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\.env$/m, 'init keeps .env out of git');
  copyFileSync(README_INTEGRATION, path.join(dir, 'integrations', 'github', 'integration.json'));
  assert.match(readFileSync(path.join(dir, 'integrations', 'github', 'integration.json'), 'utf8'), /\$\{GITHUB_CLIENT_ID\}/);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a token connection needs no OAuth app settings', () => {
  const add = cli(['connection', 'add', 'github', 'alice', '--token', 'ghp_walkthrough']);
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /Added connection "alice" to github/);
  assert.equal(cli(['connection', 'show', 'github', 'alice']).status, 0);
});

test('the OAuth flow without the variables says which one to set and where', () => {
  const { run, url } = consentUrl();
  assert.equal(url, undefined);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^error \[INVALID_CONFIG\]: .*oauth\.client_id.*GITHUB_CLIENT_ID is not set.*\.env file beside integrations\//);
});

test('a .env beside integrations/ is read; the real environment wins over it', () => {
  writeFileSync(path.join(dir, '.env'), 'GITHUB_CLIENT_ID=from-dotenv\nGITHUB_CLIENT_SECRET=dotenv-secret\n');
  const fromFile = consentUrl();
  assert.ok(fromFile.url, fromFile.run.stderr);
  assert.equal(new URL(fromFile.url).searchParams.get('client_id'), 'from-dotenv');
  const fromShell = consentUrl({ GITHUB_CLIENT_ID: 'from-shell' });
  assert.ok(fromShell.url, fromShell.run.stderr);
  assert.equal(new URL(fromShell.url).searchParams.get('client_id'), 'from-shell');
});
