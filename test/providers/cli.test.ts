/**
 * `patchbay providers`, run as users run it: the CLI entry from source in a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let cwd: string;

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, env: { ...process.env, PATCHBAY_DEBUG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'patchbay-providers-cli-'));
});
after(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('patchbay providers', () => {
  it('lists every provider with key, name, auth mode and categories', async () => {
    const { code, stdout } = await run('providers');
    assert.equal(code, 0);
    assert.match(stdout, /^KEY\s+NAME\s+AUTH\s+CATEGORIES/);
    assert.match(stdout, /\ngithub\s+GitHub\s+OAUTH2\s+dev-tools/);
    assert.match(stdout, /\d{3} provider\(s\)/);
  });

  it('searches key, name and category, as JSON', async () => {
    const { code, stdout } = await run('providers', 'search', 'crm', '--json');
    assert.equal(code, 0);
    const rows = JSON.parse(stdout) as Array<{ key: string; auth_mode: string; categories: string[] }>;
    assert.ok(rows.length > 5);
    assert.ok(rows.every((row) => row.categories.includes('crm') || row.key.includes('crm')));
    assert.ok(rows.some((row) => row.key === 'hubspot' && row.auth_mode === 'OAUTH2'));
  });

  it('says so when nothing matches', async () => {
    const { code, stdout } = await run('providers', 'search', 'nothing-like-this-exists');
    assert.equal(code, 0);
    assert.match(stdout, /No provider matches "nothing-like-this-exists"/);
  });

  it('shows one provider by alias, readable and as JSON', async () => {
    const text = await run('providers', 'show', 'outlook');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /Microsoft Graph \(microsoft\)/);
    assert.match(text.stdout, /base URL:\s+https:\/\/graph\.microsoft\.com/);
    assert.match(text.stdout, /\{ "provider": "microsoft" \}/);
    const json = await run('providers', 'show', 'github', '--json');
    assert.equal(JSON.parse(json.stdout).proxy.verification.endpoints[0], '/user');
  });

  it('prints the integration.json JSON Schema that ships in catalog/', async () => {
    const { code, stdout } = await run('providers', 'schema');
    assert.equal(code, 0);
    const shipped = await readFile(fileURLToPath(new URL('../../catalog/integration.schema.json', import.meta.url)), 'utf8');
    assert.equal(stdout, shipped, 'catalog/integration.schema.json is stale: regenerate it with patchbay providers schema > catalog/integration.schema.json');
    assert.ok(JSON.parse(stdout).properties.provider);
  });

  it('fails with suggestions for an unknown key', async () => {
    const { code, stderr } = await run('providers', 'show', 'githb');
    assert.equal(code, 3);
    assert.match(stderr, /^error \[PROVIDER_NOT_FOUND\]: No provider "githb" in the catalog\. Did you mean github/);
  });
});
