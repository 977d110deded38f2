/**
 * The connection service over a real SQLite file: shape validation against the integration's auth
 * mode (real integration.json files through the providers loader), sealing at rest, masking,
 * compare-and-set, lifecycle hooks.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../../src/connections/crypto.ts';
import { loadKeyRing } from '../../src/connections/key-file.ts';
import { createConnectionService, type ConnectionEvent } from '../../src/connections/service.ts';
import { resolvePaths } from '../../src/config/paths.ts';
import { PatchbayError } from '../../src/errors.ts';
import { loadIntegrationConfig } from '../../src/providers/index.ts';
import type { Store } from '../../src/store/types.ts';
import { assertRevealsAtMost4, secretOf, tempHome } from './helpers.ts';

const home = tempHome();
const paths = resolvePaths({ cwd: home.dir, home: home.dir });
let store: Store;

function writeIntegration(id: string, authMode: string): void {
  mkdirSync(path.join(paths.integrationsDir, id), { recursive: true });
  const oauth = authMode === 'OAUTH2' ? { authorization_url: 'https://auth.example.test/authorize', token_url: 'https://auth.example.test/token' } : {};
  writeFileSync(path.join(paths.integrationsDir, id, 'integration.json'), JSON.stringify({ provider: { auth_mode: authMode, base_url: 'https://api.example.test', ...oauth } }));
}

const code = (expected: string, pattern?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof PatchbayError, String(error));
  assert.equal(error.code, expected, error.message);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

before(async () => {
  writeIntegration('bearer-api', 'BEARER');
  writeIntegration('key-api', 'API_KEY');
  writeIntegration('basic-api', 'BASIC');
  writeIntegration('oauth-api', 'OAUTH2');
  store = await home.open();
});
after(async () => {
  await store.close();
  home.cleanup();
});

async function service(events: Array<[ConnectionEvent, string]> = [], skipped: Array<[ConnectionEvent, string]> = []) {
  return createConnectionService({
    store,
    key: await loadKeyRing({ keyFile: home.keyFile, store, env: {} }),
    integrations: (id) => loadIntegrationConfig(paths, id, {}),
    onEvent: async (event, connection) => {
      events.push([event, connection.connection_id]);
      if (connection.connection_id === 'hook-fails') throw new Error('hook failed');
    },
    onEventSkipped: (event, connection) => skipped.push([event, connection.connection_id]),
  });
}

describe('connection service', () => {
  it('adds, reads back decrypted, lists masked, and never writes the secret in clear', async () => {
    const events: Array<[ConnectionEvent, string]> = [];
    const connections = await service(events);
    const token = 'ghp_PLAINTEXT_MARKER_0123456789';
    const summary = await connections.add({ integrationId: 'bearer-api', connectionId: 'alice', credentials: { type: 'BEARER', token }, metadata: { team: 'core' }, connectionConfig: { org: 'acme' } });
    assert.deepEqual(summary.credentials_masked, { type: 'BEARER', token: '…6789' });
    assert.deepEqual(events, [['post-connection-creation', 'alice']]);
    const loaded = await connections.get('bearer-api', 'alice');
    assert.deepEqual(loaded.credentials, { type: 'BEARER', token });
    assert.equal(loaded.provider_config_key, 'bearer-api');
    assert.deepEqual(loaded.connection_config, { org: 'acme' });
    const listed = await connections.list({ integrationId: 'bearer-api' });
    assert.equal(listed.length, 1);
    assert.ok(!JSON.stringify(listed).includes(token));
    for (const file of readdirSync(home.dir).filter((name) => name.startsWith('patchbay.db'))) {
      assert.ok(!readFileSync(path.join(home.dir, file)).includes(token), `${file} holds the token in clear`);
    }
    assert.ok(readdirSync(home.dir).includes('patchbay.db-wal'), 'the WAL file was checked too');
  });

  it('validates the credential shape against the auth mode, naming the flag to use', async () => {
    const connections = await service();
    await assert.rejects(connections.add({ integrationId: 'key-api', connectionId: 'x', credentials: { type: 'BEARER', token: 't' } }), code('INVALID_CREDENTIALS', /API_KEY.*--api-key/));
    await assert.rejects(connections.add({ integrationId: 'basic-api', connectionId: 'x', credentials: { type: 'BASIC', username: '', password: 'p' } as never }), code('INVALID_CREDENTIALS', /"username".*--basic/));
    await assert.rejects(connections.add({ integrationId: 'oauth-api', connectionId: 'x', credentials: { type: 'OAUTH2', access_token: 'a', expires_at: 'soon', raw: {} } }), code('INVALID_CREDENTIALS', /expires_at/));
    await assert.rejects(connections.add({ integrationId: 'bearer-api', connectionId: 'bad id!', credentials: { type: 'BEARER', token: 't' } }), code('INVALID_ARGUMENT'));
    const added = await connections.add({ integrationId: 'key-api', connectionId: 'k', credentials: { api_key: 'sk-1' } as never });
    assert.equal(added.auth_mode, 'API_KEY');
    assert.equal((await connections.list()).some((c) => c.connection_id === 'x'), false, 'nothing half-stored');
  });

  it('without an integration resolver, requires the credentials to name their type', async () => {
    const bare = createConnectionService({ store, key: (await service()).ring });
    await assert.rejects(bare.add({ integrationId: 'anything', connectionId: 'typeless', credentials: { api_key: 'k' } as never }), code('INVALID_CREDENTIALS', /need a "type"/));
    assert.equal((await bare.add({ integrationId: 'anything', connectionId: 'typed', credentials: { type: 'API_KEY', api_key: 'k' } })).auth_mode, 'API_KEY');
  });

  it('refuses an unknown integration and a reused connection id', async () => {
    const connections = await service();
    await assert.rejects(connections.add({ integrationId: 'no-such-integration-zz', connectionId: 'a', credentials: { type: 'BEARER', token: 't' } }), (error: unknown) => error instanceof PatchbayError && ['INVALID_CONFIG', 'PROVIDER_NOT_FOUND', 'INTEGRATION_NOT_FOUND'].includes(error.code));
    await connections.add({ integrationId: 'bearer-api', connectionId: 'reused', credentials: { type: 'BEARER', token: 'first' } });
    await assert.rejects(connections.add({ integrationId: 'bearer-api', connectionId: 'reused', credentials: { type: 'BEARER', token: 'second' } }), code('CONNECTION_EXISTS'));
    assert.deepEqual((await connections.get('bearer-api', 'reused')).credentials, { type: 'BEARER', token: 'first' });
  });

  it('saves refreshed credentials with compare-and-set and records refresh failures', async () => {
    const connections = await service();
    await connections.add({ integrationId: 'oauth-api', connectionId: 'o', credentials: { type: 'OAUTH2', access_token: 'a1', refresh_token: 'r1', raw: {} } });
    const read = await connections.get('oauth-api', 'o');
    await connections.markRefreshFailed('oauth-api', 'o', 'invalid_grant');
    assert.equal((await connections.get('oauth-api', 'o')).refresh_status, 'failed');
    assert.equal(await connections.saveCredentials('oauth-api', 'o', { type: 'OAUTH2', access_token: 'a2', refresh_token: 'r2', raw: {} }, { expectVersion: read.credentials_version }), true);
    assert.equal(await connections.saveCredentials('oauth-api', 'o', { type: 'OAUTH2', access_token: 'stale', raw: {} }, { expectVersion: read.credentials_version }), false);
    const now = await connections.get('oauth-api', 'o');
    assert.equal(now.credentials.type === 'OAUTH2' && now.credentials.access_token, 'a2');
    assert.equal(now.refresh_status, 'ok');
    assert.equal(now.refresh_error, null);
    assert.equal(now.credentials_version, read.credentials_version + 1);
  });

  it('sets and merges metadata; unknown connections say how to add one', async () => {
    const connections = await service();
    await connections.add({ integrationId: 'bearer-api', connectionId: 'm', credentials: { type: 'BEARER', token: 't' } });
    await connections.setMetadata('bearer-api', 'm', { a: 1 });
    await connections.updateMetadata('bearer-api', 'm', { b: 2 });
    assert.deepEqual((await connections.get('bearer-api', 'm')).metadata, { a: 1, b: 2 });
    await assert.rejects(connections.get('bearer-api', 'ghost'), code('CONNECTION_NOT_FOUND', /patchbay connection add bearer-api ghost/));
    await assert.rejects(connections.setMetadata('bearer-api', 'ghost', {}), code('CONNECTION_NOT_FOUND'));
  });

  it('runs pre-connection-deletion before removing, and a failing hook does not block', async () => {
    const events: Array<[ConnectionEvent, string]> = [];
    const connections = await service(events);
    await connections.add({ integrationId: 'bearer-api', connectionId: 'hook-fails', credentials: { type: 'BEARER', token: 't' } });
    assert.equal(await connections.remove('bearer-api', 'hook-fails'), true);
    assert.deepEqual(events, [['post-connection-creation', 'hook-fails'], ['pre-connection-deletion', 'hook-fails']]);
    assert.equal(await connections.find('bearer-api', 'hook-fails'), undefined);
    assert.equal(await connections.remove('bearer-api', 'hook-fails'), false);
  });

  it('list and add show at most 4 characters of any secret, for every auth mode', async () => {
    const connections = await service();
    const secrets = [secretOf(40), secretOf(40), secretOf(32), secretOf(24), secretOf(24), secretOf(36)];
    const added = [
      await connections.add({ integrationId: 'oauth-api', connectionId: 'mask-o', credentials: { type: 'OAUTH2', access_token: secrets[0]!, refresh_token: secrets[1]!, raw: { access_token: secrets[0] } } }),
      await connections.add({ integrationId: 'key-api', connectionId: 'mask-k', credentials: { type: 'API_KEY', api_key: secrets[2]! } }),
      await connections.add({ integrationId: 'basic-api', connectionId: 'mask-b', credentials: { type: 'BASIC', username: secrets[3]!, password: secrets[4]! } }),
      await connections.add({ integrationId: 'bearer-api', connectionId: 'mask-t', credentials: { type: 'BEARER', token: secrets[5]! } }),
    ];
    const shown = JSON.stringify([added, await connections.list()]);
    for (const secret of secrets) assertRevealsAtMost4(shown, secret);
  });

  it('a row sealed under a key patchbay does not have: listed as unreadable, get says why, removed without its pre-deletion hook, then re-added', async () => {
    const events: Array<[ConnectionEvent, string]> = [];
    const skipped: Array<[ConnectionEvent, string]> = [];
    const connections = await service(events, skipped);
    await connections.add({ integrationId: 'bearer-api', connectionId: 'readable', credentials: { type: 'BEARER', token: 'readable-token' } });
    // Sealed under a key this home never had (a database restored from elsewhere, a lost key).
    const elsewhere = createConnectionService({ store, key: generateKey() });
    await elsewhere.add({ integrationId: 'bearer-api', connectionId: 'orphan', credentials: { type: 'BEARER', token: 'orphan-token' } });
    events.length = 0;

    const listed = await connections.list({ integrationId: 'bearer-api' });
    assert.equal(listed.find((c) => c.connection_id === 'readable')!.auth_mode, 'BEARER');
    const orphan = listed.find((c) => c.connection_id === 'orphan')!;
    assert.equal(orphan.auth_mode, null);
    assert.deepEqual(orphan.credentials_masked, {});
    assert.match(orphan.credentials_error!, /"orphan" \(bearer-api\) are sealed with encryption key [0-9a-f]{8}, which patchbay does not have \(it holds [0-9a-f]{8}\)\. Restore that key .*patchbay connection remove bearer-api orphan\.$/);
    await assert.rejects(connections.get('bearer-api', 'orphan'), code('ENCRYPTION_KEY_ERROR', /connection "orphan" \(bearer-api\) are sealed with encryption key/));

    assert.equal(await connections.remove('bearer-api', 'orphan'), true);
    assert.deepEqual(events, [], 'the pre-deletion hook did not run: it could not get the credentials');
    assert.deepEqual(skipped, [['pre-connection-deletion', 'orphan']]);
    await connections.add({ integrationId: 'bearer-api', connectionId: 'orphan', credentials: { type: 'BEARER', token: 'orphan-token-2' } });
    assert.deepEqual((await connections.get('bearer-api', 'orphan')).credentials, { type: 'BEARER', token: 'orphan-token-2' });
    assert.equal((await connections.list()).some((c) => c.credentials_error !== undefined), false);
  });

  it('a row whose sealed text was altered is unreadable too, with its own reason', async () => {
    const connections = await service();
    await connections.add({ integrationId: 'bearer-api', connectionId: 'altered', credentials: { type: 'BEARER', token: 'altered-token' } });
    const row = (await store.connections.get('bearer-api', 'altered'))!;
    await store.connections.update('bearer-api', 'altered', { credentials: `${row.credentials.slice(0, -4)}AAAA` });
    const listed = (await connections.list()).find((c) => c.connection_id === 'altered')!;
    assert.match(listed.credentials_error!, /failed their integrity check.*patchbay connection remove bearer-api altered/);
    await store.connections.update('bearer-api', 'altered', { credentials: 'not sealed' });
    assert.match((await connections.list()).find((c) => c.connection_id === 'altered')!.credentials_error!, /not in the sealed format/);
    assert.equal(await connections.remove('bearer-api', 'altered'), true);
  });
});
