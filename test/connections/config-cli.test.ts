/**
 * `patchbay connect --config` and `patchbay connection add --config` as a user runs them: a value
 * that is not of its field's shape stops the command with exit status 2 and one line
 * `error [INVALID_ARGUMENT]: …` naming the field and the expected shape, before any token request.
 * The local operator has full access: a valid host outside the provider's suffixes is accepted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempHome } from './helpers.ts';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const home = tempHome('patchbay-cfg-cli-');

function env(): NodeJS.ProcessEnv {
  const out = { ...process.env };
  for (const name of ['NODE_TEST_CONTEXT', 'PATCHBAY_ENCRYPTION_KEY', 'PATCHBAY_HOME', 'PATCHBAY_INTEGRATIONS', 'PATCHBAY_SECRET_KEY']) delete out[name];
  return out;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd: home.dir, env: env() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Exit 2 and exactly one line on stderr: `error [INVALID_ARGUMENT]: …` matching `message`. */
function assertUsageError(run: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /^error \[INVALID_ARGUMENT\]: Connection config field /);
  assert.match(lines[0]!, message);
}

before(() => {
  mkdirSync(path.join(home.dir, 'integrations', 'workday'), { recursive: true });
  writeFileSync(path.join(home.dir, 'integrations', 'workday', 'integration.json'), JSON.stringify({ provider: 'workday', oauth: { client_id: 'id', client_secret: 'secret' } }));
});
after(() => home.cleanup());

describe('--config is checked against the provider', () => {
  it('connect: a host name with a path is exit 2, one line naming the field and the shape', async () => {
    const run = await cli('connect', 'workday', 'alice', '--no-browser', '--port', '0', '--config', '{"hostname":"evil.com/x","tenant":"acme"}');
    assertUsageError(run, /"hostname" of workday has a path, query or fragment .*: expected a host name under workday\.com or myworkday\.com, without scheme, path, user info or port \(e\.g\. wd2-impl-services1\.workday\.com\)\.$/);
    assert.ok(!run.stdout.includes('Open this URL'), run.stdout);
  });

  it('connect: the operator may choose a valid host outside the suffixes (the flow starts)', async () => {
    const run = await cli('connect', 'workday', 'alice', '--no-browser', '--port', '0', '--timeout', '1', '--config', '{"hostname":"hr.example.net","tenant":"acme"}');
    assert.match(run.stdout, /https:\/\/hr\.example\.net\/acme\/authorize\?/);
    assert.match(run.stderr, /error \[TIMEOUT\]/);
  });

  it('connection add: hostile values are exit 2 before any token request', async () => {
    assertUsageError(await cli('connection', 'add', 'databricks-workspace', 'svc', '--config', '{"workspaceHost":"a@b.cloud.databricks.com"}'), /"workspaceHost" of databricks-workspace has user info \(@\)/);
    assertUsageError(await cli('connection', 'add', 'oracle-hcm', 'bob', '--basic', 'u:p', '--config', '{"hostname":"169.254.169.254"}'), /"hostname" of oracle-hcm is an IP address: expected a host name under oraclecloud\.com/);
    assertUsageError(await cli('connection', 'add', 'zoho-crm', 'dave', '--token', 't', '--config', '{"extension":"com."}'), /"extension" of zoho-crm would make the host accounts\.zoho\.com\., which ends with a dot: expected one of com, eu/);
    assertUsageError(await cli('connection', 'add', 'salesforce', 'erin', '--token', 't', '--config', '{"instance_url":"https://evil.example@acme.my.salesforce.com"}'), /"instance_url" of salesforce has user info/);
    const list = await cli('connection', 'list', '--json');
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  it('connection add: the operator may store a valid host outside the suffixes', async () => {
    const run = await cli('connection', 'add', 'oracle-hcm', 'carol', '--basic', 'u:p', '--config', '{"hostname":"hcm.example.net"}');
    assert.equal(run.code, 0, run.stderr);
    const show = await cli('connection', 'show', 'oracle-hcm', 'carol');
    assert.deepEqual(JSON.parse(show.stdout).connection_config, { hostname: 'hcm.example.net' });
  });
});
