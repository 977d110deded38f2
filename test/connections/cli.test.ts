/**
 * The CLI as a user runs it (`node src/cli/main.ts …` in a temp project): connection add / list /
 * show / remove / test against the fake API's verification endpoint, key create / list / revoke /
 * rotate-encryption, and `patchbay connect` driven through the fake provider's consent redirect.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { generateKey } from '../../src/connections/crypto.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import { openStore } from '../../src/store/open.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { assertRevealsAtMost4, secretOf, tempHome } from './helpers.ts';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const home = tempHome('patchbay-cli-');
const project = home.dir;
const state = path.join(project, '.patchbay');
let api: FakeApi;

function env(): NodeJS.ProcessEnv {
  const out = { ...process.env };
  for (const name of ['NODE_TEST_CONTEXT', 'PATCHBAY_ENCRYPTION_KEY', 'PATCHBAY_HOME', 'PATCHBAY_INTEGRATIONS', 'PATCHBAY_SECRET_KEY']) delete out[name];
  return out;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd: project, env: env() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function writeIntegration(id: string, body: Record<string, unknown>): void {
  mkdirSync(path.join(project, 'integrations', id), { recursive: true });
  writeFileSync(path.join(project, 'integrations', id, 'integration.json'), JSON.stringify(body));
}

before(async () => {
  api = await startFakeApi();
  writeIntegration('bearer', { provider: { auth_mode: 'BEARER', base_url: api.url, proxy: { verification: { endpoints: ['/me'] } } } });
  writeIntegration('keyed', { provider: { auth_mode: 'API_KEY', base_url: api.url } });
  writeIntegration('basic', { provider: { auth_mode: 'BASIC', base_url: api.url } });
  writeIntegration('machine', {
    provider: { auth_mode: 'OAUTH2_CC', base_url: api.url, token_url: `${api.url}/oauth/token` },
    oauth: { client_id: 'test-client-id', client_secret: 'test-client-secret' },
  });
  writeIntegration('fake', {
    provider: { auth_mode: 'OAUTH2', base_url: api.url, authorization_url: `${api.url}/oauth/authorize`, token_url: `${api.url}/oauth/token` },
    oauth: { client_id: 'test-client-id', client_secret: 'test-client-secret' },
  });
});
after(async () => {
  await api.close();
  home.cleanup();
});

describe('patchbay connection / key / connect', () => {
  it('adds, tests, lists, shows masked, refuses bad input, removes', async () => {
    let run = await cli('connection', 'add', 'bearer', 'alice', '--token', 'test-bearer-token', '--metadata', '{"team":"core"}');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Added connection "alice"/);

    run = await cli('connection', 'test', 'alice');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /OK: "alice".*GET \/me → 200/);

    assert.equal((await cli('connection', 'add', 'bearer', 'bob', '--token', 'revoked-token-value')).code, 0);
    run = await cli('connection', 'test', 'bearer', 'bob');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /did not pass verification.*patchbay connection remove bearer bob/);
    assert.doesNotMatch(run.stderr, /\.\.|\. \./, 'no double period');

    run = await cli('connection', 'list', '--json');
    const list = JSON.parse(run.stdout) as Array<{ connection_id: string; credentials_masked: { token: string }; metadata: unknown }>;
    assert.deepEqual(list.map((c) => c.connection_id), ['alice', 'bob']);
    assert.equal(list[0]!.credentials_masked.token, '…oken');
    assert.deepEqual(list[0]!.metadata, { team: 'core' });
    assert.ok(!run.stdout.includes('test-bearer-token'));
    run = await cli('connection', 'show', 'bearer', 'alice');
    assert.ok(!run.stdout.includes('test-bearer-token'));
    assert.match(run.stdout, /"auth_mode": "BEARER"/);

    run = await cli('connection', 'add', 'bearer', 'alice', '--token', 'x');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /already exists/);
    run = await cli('connection', 'add', 'bearer', 'carol', '--api-key', 'x');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /uses BEARER auth.*--token/);
    run = await cli('connection', 'add', 'no-such-thing-zzz', 'carol', '--token', 'x');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no-such-thing-zzz/);
    run = await cli('connection', 'add', 'bearer', 'carol', '--token', 'x', '--metadata', '{bad');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--metadata is not valid JSON/);

    for (const file of readdirSync(state).filter((name) => name.startsWith('patchbay.db'))) {
      assert.ok(!readFileSync(path.join(state, file)).includes('test-bearer-token'), `${file} holds a token in clear`);
    }

    run = await cli('connection', 'add', 'machine', 'svc');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(api.state.tokenCounts['client_credentials'], 1, 'a client-credentials token was fetched');

    run = await cli('connection', 'remove', 'bob');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse((await cli('connection', 'list', '--json')).stdout) as Array<{ connection_id: string }>).map((c) => c.connection_id), ['alice', 'svc']);
  });

  it('creates, lists and revokes API keys; rotates the encryption key', async () => {
    let run = await cli('key', 'create', '--name', 'claude', '--tools', 'github_*,slack_*', '--json');
    assert.equal(run.code, 0, run.stderr);
    const created = JSON.parse(run.stdout) as { id: string; secret: string; tools: string[] };
    assert.match(created.secret, /^pb_sk_/);
    assert.deepEqual(created.tools, ['github_*', 'slack_*']);
    run = await cli('key', 'list');
    assert.match(run.stdout, new RegExp(`${created.id}  claude`));
    assert.ok(!run.stdout.includes(created.secret));
    assert.equal((await cli('key', 'revoke', 'claude')).code, 0);
    assert.match((await cli('key', 'list')).stdout, /revoked/);
    assert.equal((await cli('key', 'revoke', 'claude')).code, 3);
    // The default name is free on every use, the same day included.
    const first = JSON.parse((await cli('key', 'create', '--json')).stdout) as { name: string };
    const second = await cli('key', 'create', '--json');
    assert.equal(second.code, 0, second.stderr);
    assert.match(first.name, /^key-\d{4}-\d{2}-\d{2}$/);
    assert.equal((JSON.parse(second.stdout) as { name: string }).name, `${first.name}-2`);

    const before = readFileSync(path.join(state, 'encryption.key'), 'utf8');
    run = await cli('key', 'rotate-encryption');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Re-encrypted 2 connection/);
    assert.notEqual(readFileSync(path.join(state, 'encryption.key'), 'utf8'), before);
    run = await cli('connection', 'test', 'alice');
    assert.equal(run.code, 0, run.stderr);
  });

  it('connect: runs the OAuth flow through the callback server and stores the connection', async () => {
    const child = spawn(process.execPath, [MAIN, 'connect', 'fake', 'dana', '--no-browser', '--port', '0', '--timeout', '60'], { cwd: project, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let url: string | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const match = /^\s+(http\S+oauth\/authorize\S+)$/.exec(line);
        if (match) {
          url = match[1];
          break;
        }
      }
      assert.ok(url, `no URL printed; stderr: ${stderr}`);
      const consent = await fetch(url, { redirect: 'manual' });
      const done = await fetch(consent.headers.get('location')!);
      assert.equal(done.status, 200, await done.clone().text());
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill();
    }
    const shown = await cli('connection', 'show', 'fake', 'dana');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /"auth_mode": "OAUTH2"/);
  });

  it('every output showing a secret shows at most 4 characters of it: connection add/list/show (--json too), key create/list', async () => {
    const at = ['--home', path.join(project, '.patchbay-masks')];
    const s = { token: secretOf(40), api: secretOf(32), user: secretOf(20), pass: secretOf(24), access: secretOf(40), refresh: secretOf(40) };
    const outputs: string[] = [];
    const run = async (...args: string[]) => {
      const result = await cli(...args, ...at);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      outputs.push(result.stdout + result.stderr);
      return result;
    };
    await run('connection', 'add', 'bearer', 'm-t', '--token', s.token);
    await run('connection', 'add', 'keyed', 'm-k', '--api-key', s.api);
    await run('connection', 'add', 'basic', 'm-b', '--basic', `${s.user}:${s.pass}`);
    await run('connection', 'add', 'fake', 'm-o', '--credentials', JSON.stringify({ access_token: s.access, refresh_token: s.refresh, raw: { access_token: s.access } }));
    await run('connection', 'list');
    const listed = JSON.parse((await run('connection', 'list', '--json')).stdout) as Array<{ connection_id: string; credentials_masked: Record<string, string> }>;
    assert.equal(listed.find((c) => c.connection_id === 'm-t')!.credentials_masked['token'], `…${s.token.slice(-4)}`);
    for (const [integration, id] of [['bearer', 'm-t'], ['keyed', 'm-k'], ['basic', 'm-b'], ['fake', 'm-o']] as const) await run('connection', 'show', integration, id);
    for (const secret of Object.values(s)) for (const output of outputs) assertRevealsAtMost4(output, secret);

    // API keys: the secret is printed once, in full, by create (that is its purpose); nothing else shows any of it.
    const created = await cli('key', 'create', '--name', 'masked', ...at);
    const secret = /(pb_sk_\S+)/.exec(created.stdout)![1]!;
    assert.equal(created.stdout.split(secret).length - 1, 1, 'printed once');
    const json = JSON.parse((await cli('key', 'create', '--name', 'masked-json', '--json', ...at)).stdout) as { secret: string };
    for (const args of [['key', 'list'], ['key', 'list', '--json']]) {
      const listedKeys = await cli(...args, ...at);
      assert.equal(listedKeys.code, 0, listedKeys.stderr);
      for (const shown of [secret, json.secret]) assertRevealsAtMost4(listedKeys.stdout.replaceAll('pb_sk_', ''), shown.slice('pb_sk_'.length), args.join(' '));
    }
  });

  it('a connection sealed under a key patchbay does not have: list marks it, show explains, remove skips the hook, add again works', async () => {
    const dir = path.join(project, '.patchbay-orphan');
    const at = ['--home', dir];
    // The only row is sealed under a key this home never had (a database restored next to another key file).
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'patchbay.db') });
    await createConnectionService({ store, key: generateKey() }).add({ integrationId: 'bearer', connectionId: 'ghost', credentials: { type: 'BEARER', token: 'ghost-token-value' } });
    await store.close();
    writeFileSync(path.join(dir, 'encryption.key'), `${generateKey().toString('hex')}\n`, { mode: 0o600 });

    let run = await cli('connection', 'list', ...at);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /bearer\s+ghost\s+UNREADABLE/);
    assert.match(run.stderr, /^warning: 1 connection\(s\) cannot be opened.*patchbay connection show bearer ghost\n$/);
    run = await cli('connection', 'list', '--json', ...at);
    assert.match((JSON.parse(run.stdout) as Array<{ credentials_error: string }>)[0]!.credentials_error, /sealed with encryption key [0-9a-f]{8}, which patchbay does not have/);
    run = await cli('connection', 'show', 'ghost', ...at);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"auth_mode": null/);
    assert.match(run.stderr, /^warning: The credentials of connection "ghost" \(bearer\) are sealed with encryption key [0-9a-f]{8}, which patchbay does not have.*Restore that key.*or remove the connection and add it again: patchbay connection remove bearer ghost\.\n$/);

    // Anything that would use or add credentials is refused while no row opens with the configured key.
    run = await cli('connection', 'add', 'bearer', 'other', '--token', 'other-token-value', ...at);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error \[ENCRYPTION_KEY_ERROR\]: .*if it is lost for good, remove those connections/);

    run = await cli('connection', 'remove', 'bearer', 'ghost', ...at);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^warning: skipping the pre-connection-deletion functions of "ghost" \(bearer\)/);
    assert.match(run.stdout, /Removed connection "ghost" from bearer/);
    run = await cli('connection', 'add', 'bearer', 'ghost', '--token', 'ghost-token-value-2', ...at);
    assert.equal(run.code, 0, run.stderr);
    run = await cli('connection', 'show', 'bearer', 'ghost', ...at);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /"auth_mode": "BEARER"/);
  });

  it('refuses to start when the key file is gone but credentials exist', async () => {
    unlinkSync(path.join(state, 'encryption.key'));
    const run = await cli('connection', 'list');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /encryption\.key is missing.*Restore the file/);
  });
});
