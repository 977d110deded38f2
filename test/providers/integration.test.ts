/**
 * loadIntegrationConfig and listIntegrationIds against real files in a temp project.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';
import { PatchbayError } from '../../src/errors.ts';
import { getProvider, listIntegrationIds, loadIntegrationConfig, oauthClient } from '../../src/providers/index.ts';

let root: string;
let paths: ProjectPaths;

async function write(id: string, content: unknown): Promise<void> {
  await mkdir(path.join(paths.integrationsDir, id), { recursive: true });
  await writeFile(path.join(paths.integrationsDir, id, 'integration.json'), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

/** Asserts the promise rejects with a PatchbayError of `code` whose message matches every pattern. */
async function rejects(promise: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<PatchbayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PatchbayError, `not a PatchbayError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'patchbay-providers-'));
  paths = resolvePaths({ cwd: root, env: {} });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadIntegrationConfig', () => {
  it('resolves a catalog key with its defaults', async () => {
    await write('gh', { provider: 'github' });
    const config = await loadIntegrationConfig(paths, 'gh', {});
    assert.equal(config.id, 'gh');
    assert.equal(config.provider.name, 'github');
    assert.equal(config.provider.proxy.base_url, 'https://api.github.com');
    assert.equal(config.provider.proxy.paginate?.type, 'link');
    assert.deepEqual(config.oauth, { scopes: [] });
    assert.deepEqual(config.environment, {});
    assert.deepEqual(config.webhooks, { urls: [] });
  });

  it('resolves a catalog alias and uses the provider default scopes', async () => {
    await write('mail', { provider: 'gmail' });
    const config = await loadIntegrationConfig(paths, 'mail', {});
    assert.equal(config.provider.name, 'google-mail');
    assert.deepEqual(config.oauth.scopes, ['https://www.googleapis.com/auth/gmail.readonly']);
  });

  it('accepts an inline provider with base_url at the top level, named after the integration', async () => {
    await write('internal', {
      provider: { auth_mode: 'API_KEY', base_url: 'http://127.0.0.1:8080/v1', proxy: { headers: { 'X-Api-Key': '${apiKey}' }, verification: { endpoints: ['/me'] } } },
    });
    const config = await loadIntegrationConfig(paths, 'internal', {});
    assert.equal(config.provider.name, 'internal');
    assert.equal(config.provider.auth_mode, 'API_KEY');
    assert.equal(config.provider.proxy.base_url, 'http://127.0.0.1:8080/v1');
    assert.equal(config.provider.proxy.headers?.['X-Api-Key'], '${apiKey}');
    assert.deepEqual(config.provider.proxy.verification, { endpoints: ['/me'] });
  });

  it('accepts an inline OAuth provider with Nango field names and rejects one without token_url', async () => {
    const provider = { auth_mode: 'OAUTH2', authorization_url: 'https://id.acme.example/authorize', token_url: 'https://id.acme.example/token', scope_separator: ',', proxy: { base_url: 'https://api.acme.example' } };
    await write('acme', { provider, oauth: { client_id: 'id', scopes: 'read, write' } });
    const config = await loadIntegrationConfig(paths, 'acme', {});
    assert.equal(config.provider.token_url, 'https://id.acme.example/token');
    assert.deepEqual(config.oauth.scopes, ['read', 'write']);
    await write('acme-bad', { provider: { ...provider, token_url: undefined } });
    await rejects(loadIntegrationConfig(paths, 'acme-bad', {}), 'INVALID_CONFIG', /integrations\/acme-bad\/integration\.json/, /provider\.token_url/);
    await write('acme-nobase', { provider: { auth_mode: 'BEARER' } });
    await rejects(loadIntegrationConfig(paths, 'acme-nobase', {}), 'INVALID_CONFIG', /provider\.base_url is required/);
  });

  it('accepts Nango-style base URL alternatives and connection_config extras, rejects a bad URL', async () => {
    await write('nango-style', {
      provider: {
        auth_mode: 'BASIC',
        proxy: { base_url: 'https://${connectionConfig.host} || https://api.example.com' },
        connection_config: { host: { type: 'string', title: 'Host', pattern: '^[a-z.]+$', doc_section: '#host' } },
      },
    });
    const config = await loadIntegrationConfig(paths, 'nango-style', {});
    assert.equal(config.provider.proxy.base_url, 'https://${connectionConfig.host} || https://api.example.com');
    await write('bad-url', { provider: { auth_mode: 'NONE', base_url: 'api.example.com/v1' } });
    await rejects(loadIntegrationConfig(paths, 'bad-url', {}), 'INVALID_CONFIG', /provider\.base_url: must be an absolute http\(s\) URL/);
  });

  it('interpolates UPPER_CASE environment variables and leaves runtime placeholders alone', async () => {
    await write('slack-app', {
      provider: 'slack',
      oauth: { client_id: '${SLACK_CLIENT_ID}', client_secret: '${SLACK_SECRET}', scopes: ['chat:write'] },
      proxy: { headers: { 'X-Team': '${connectionConfig.team}', 'X-Literal': '$${NOT_ENV}', 'X-Mixed': 'id-${SLACK_CLIENT_ID}-${accessToken}' } },
      environment: { REGION: '${REGION}' },
      webhooks: { urls: ['https://backend.example/hooks'], secret: '${HOOK_SECRET}' },
    });
    const env = { SLACK_CLIENT_ID: 'cid', SLACK_SECRET: 's3cr"et\\', REGION: 'eu', HOOK_SECRET: 'whs' };
    const config = await loadIntegrationConfig(paths, 'slack-app', env);
    assert.deepEqual(config.oauth, { client_id: 'cid', client_secret: 's3cr"et\\', scopes: ['chat:write'] });
    assert.equal(config.provider.proxy.headers?.['X-Team'], '${connectionConfig.team}');
    assert.equal(config.provider.proxy.headers?.['X-Literal'], '${NOT_ENV}');
    assert.equal(config.provider.proxy.headers?.['X-Mixed'], 'id-cid-${accessToken}');
    assert.deepEqual(config.environment, { REGION: 'eu' });
    assert.deepEqual(config.webhooks, { urls: ['https://backend.example/hooks'], secret: 'whs' });
  });

  it('names the missing environment variable and the file, never a secret; OAuth app settings only where they are used', async () => {
    await write('needs-env', { provider: 'github', oauth: { client_id: 'visible-id', client_secret: '${GITHUB_CLIENT_SECRET}' } });
    // A token or API-key connection never needs the OAuth app: loading succeeds.
    const config = await loadIntegrationConfig(paths, 'needs-env', { OTHER: 'x' });
    assert.equal(config.oauth.client_id, 'visible-id');
    assert.deepEqual(oauthClient(config), { clientId: 'visible-id' }, 'the authorization URL needs only the id');
    const error = await rejects((async () => oauthClient(config, { secret: true }))(), 'INVALID_CONFIG', /GITHUB_CLIENT_SECRET/, /integrations\/needs-env\/integration\.json/, /oauth\.client_secret/);
    assert.doesNotMatch(error.message, /visible-id/);
    // Every other field still fails at load.
    await write('needs-env-2', { provider: 'github', environment: { TOKEN: '${MISSING_TOKEN}' } });
    await rejects(loadIntegrationConfig(paths, 'needs-env-2', {}), 'INVALID_CONFIG', /MISSING_TOKEN/, /environment\.TOKEN/);
  });

  it('reports malformed JSON with the file, line and column', async () => {
    await write('broken', '{\n  "provider": "github",\n  "oauth": { "client_id": "x", }\n}\n');
    await rejects(loadIntegrationConfig(paths, 'broken', {}), 'INVALID_CONFIG', /integrations\/broken\/integration\.json is not valid JSON/, /line 3, column \d+/);
    await write('empty', '');
    await rejects(loadIntegrationConfig(paths, 'empty', {}), 'INVALID_CONFIG', /integrations\/empty\/integration\.json is not valid JSON/);
  });

  it('rejects an unknown catalog key with close suggestions', async () => {
    await write('typo', { provider: 'githib' });
    const error = await rejects(loadIntegrationConfig(paths, 'typo', {}), 'PROVIDER_NOT_FOUND', /"githib" is not in the catalog/, /Did you mean "github"/, /patchbay providers search/);
    assert.ok((error.details as { suggestions: string[] }).suggestions.includes('github'));
  });

  it('names the offending field when the file does not match the schema', async () => {
    await write('bad-field', { provider: 'github', oauth: { scopes: 5 } });
    await rejects(loadIntegrationConfig(paths, 'bad-field', {}), 'INVALID_CONFIG', /oauth\.scopes/);
    await write('bad-key', { provider: 'github', proxi: {} });
    await rejects(loadIntegrationConfig(paths, 'bad-key', {}), 'INVALID_CONFIG', /proxi/);
    await write('bad-page', { provider: 'github', proxy: { paginate: { type: 'pages' } } });
    await rejects(loadIntegrationConfig(paths, 'bad-page', {}), 'INVALID_CONFIG', /proxy\.paginate\.type/);
  });

  it('reads per-sync delete guard settings and names a bad one', async () => {
    await write('guarded', { provider: 'github', syncs: { issues: { allowMassDeletes: true }, pulls: { maxDeleteShare: 0.8 } } });
    const config = await loadIntegrationConfig(paths, 'guarded', {});
    assert.deepEqual(config.syncs, { issues: { allowMassDeletes: true }, pulls: { maxDeleteShare: 0.8 } });
    assert.equal((await loadIntegrationConfig(paths, 'gh', {})).syncs, undefined, 'absent when the file sets none');
    await write('bad-share', { provider: 'github', syncs: { issues: { maxDeleteShare: 1.5 } } });
    await rejects(loadIntegrationConfig(paths, 'bad-share', {}), 'INVALID_CONFIG', /syncs\.issues\.maxDeleteShare: must be a number from 0 to 1/);
    await write('bad-setting', { provider: 'github', syncs: { issues: { allowMassDelete: true } } });
    await rejects(loadIntegrationConfig(paths, 'bad-setting', {}), 'INVALID_CONFIG', /syncs\.issues: unknown field "allowMassDelete"/);
  });

  it('merges proxy overrides onto the provider without touching the catalog', async () => {
    await write('gh-custom', {
      provider: 'github',
      proxy: {
        base_url: 'https://github.example.com/api/v3',
        headers: { 'X-GitHub-Api-Version': '2022-11-28' },
        retry: { after: 'retry-after' },
        paginate: { limit: 50 },
      },
    });
    const config = await loadIntegrationConfig(paths, 'gh-custom', {});
    const proxy = config.provider.proxy;
    assert.equal(proxy.base_url, 'https://github.example.com/api/v3');
    assert.deepEqual(proxy.headers, { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' });
    assert.deepEqual(proxy.retry, { at: 'x-ratelimit-reset', remaining: 'x-ratelimit-remaining', after: 'retry-after' });
    assert.deepEqual(proxy.paginate, { type: 'link', link_rel_in_response_header: 'next', limit_name_in_request: 'per_page', limit: 50 });
    assert.deepEqual(proxy.verification, { endpoints: ['/user'] });

    await write('gh-cursor', { provider: 'github', proxy: { paginate: { type: 'cursor', cursor_name_in_request: 'after', cursor_path_in_response: 'next' } } });
    const replaced = await loadIntegrationConfig(paths, 'gh-cursor', {});
    assert.deepEqual(replaced.provider.proxy.paginate, { type: 'cursor', cursor_name_in_request: 'after', cursor_path_in_response: 'next' });

    assert.equal(getProvider('github')?.proxy.base_url, 'https://api.github.com');
    assert.equal(getProvider('github')?.proxy.headers?.['X-GitHub-Api-Version'], undefined);
  });

  it('falls back to the catalog when integration.json is missing', async () => {
    const slack = await loadIntegrationConfig(paths, 'slack', {});
    assert.equal(slack.provider.name, 'slack');
    assert.deepEqual(slack.oauth.scopes, getProvider('slack')?.default_scopes);
    await mkdir(path.join(paths.integrationsDir, 'hubspot-sandbox', 'syncs'), { recursive: true });
    assert.equal((await loadIntegrationConfig(paths, 'hubspot-sandbox', {})).provider.name, 'hubspot');
    assert.equal((await loadIntegrationConfig(paths, 'outlook', {})).provider.name, 'microsoft');
    await mkdir(path.join(paths.integrationsDir, 'my-backend', 'actions'), { recursive: true });
    await rejects(
      loadIntegrationConfig(paths, 'my-backend', {}),
      'INVALID_CONFIG',
      /integrations\/my-backend\/integration\.json is missing: create it with \{ "provider": "<catalog key>" \}/,
      /patchbay providers search/,
    );
  });

  it('refuses an integration id that is not a folder name', async () => {
    await rejects(loadIntegrationConfig(paths, '../etc', {}), 'INVALID_ARGUMENT', /not a valid integration id/);
  });
});

describe('listIntegrationIds', () => {
  it('lists integration folders sorted, skipping hidden ones and files', async () => {
    const listed = await listIntegrationIds(paths);
    await mkdir(path.join(paths.integrationsDir, '.nango'), { recursive: true });
    await mkdir(path.join(paths.integrationsDir, 'node_modules'), { recursive: true });
    await writeFile(path.join(paths.integrationsDir, 'README.md'), '#');
    const again = await listIntegrationIds(paths);
    assert.deepEqual(again, listed);
    assert.ok(listed.includes('gh') && listed.includes('my-backend') && listed.includes('hubspot-sandbox'));
    assert.deepEqual(listed, [...listed].sort());
    assert.ok(!listed.includes('.nango') && !listed.includes('README.md'));
  });

  it('returns [] when the integrations folder does not exist', async () => {
    assert.deepEqual(await listIntegrationIds(resolvePaths({ cwd: path.join(root, 'nowhere'), env: {} })), []);
  });
});
