/**
 * The ConnectionStore contract: every adapter (memory, SQLite, later Postgres) runs it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '../../src/errors.ts';
import type { ConnectionRow, Store } from '../../src/store/types.ts';
import { storeRunner } from './with-store.ts';

/** A row as the service would write it (credentials already sealed). */
export function connectionRow(overrides: Partial<ConnectionRow> = {}): ConnectionRow {
  const now = new Date().toISOString();
  return {
    integration_id: 'github',
    connection_id: 'alice',
    provider: 'github',
    credentials: 'pb1:00000000:iv:tag:body',
    connection_config: { subdomain: 'acme' },
    metadata: { team: 'core' },
    created_at: now,
    updated_at: now,
    refresh_status: null,
    refresh_error: null,
    last_refreshed_at: null,
    credentials_version: 1,
    ...overrides,
  };
}

/** Runs the connection store contract against stores made by `open` (each test gets a fresh one). */
export function runConnectionStoreContract(name: string, open: () => Promise<Store>): void {
  const withStore = storeRunner(open);

  describe(`${name}: ConnectionStore`, () => {
    it('inserts, reads back every field, and lists by integration', withStore(async (store) => {
      await store.connections.insert(connectionRow());
      await store.connections.insert(connectionRow({ connection_id: 'bob', metadata: null }));
      await store.connections.insert(connectionRow({ integration_id: 'slack', provider: 'slack' }));
      assert.deepEqual(await store.connections.get('github', 'alice'), connectionRow({ created_at: (await store.connections.get('github', 'alice'))!.created_at, updated_at: (await store.connections.get('github', 'alice'))!.updated_at }));
      assert.equal((await store.connections.get('github', 'bob'))!.metadata, null);
      assert.equal(await store.connections.get('github', 'carol'), undefined);
      assert.deepEqual((await store.connections.list({ integrationId: 'github' })).map((row) => row.connection_id), ['alice', 'bob']);
      assert.equal((await store.connections.list()).length, 3);
    }));

    it('refuses a reused (integration, connection) pair with CONNECTION_EXISTS', withStore(async (store) => {
      await store.connections.insert(connectionRow());
      await assert.rejects(store.connections.insert(connectionRow({ credentials: 'other' })), (error: unknown) => {
        assert.ok(error instanceof PatchbayError);
        assert.equal(error.code, 'CONNECTION_EXISTS');
        assert.match(error.message, /patchbay connection remove github alice/);
        return true;
      });
      assert.equal((await store.connections.get('github', 'alice'))!.credentials, connectionRow().credentials);
    }));

    it('updates fields, and compare-and-set refuses a stale version', withStore(async (store) => {
      await store.connections.insert(connectionRow());
      assert.equal(await store.connections.update('github', 'alice', { metadata: { team: 'infra' }, refresh_status: 'failed', refresh_error: 'invalid_grant' }), true);
      let row = (await store.connections.get('github', 'alice'))!;
      assert.deepEqual(row.metadata, { team: 'infra' });
      assert.equal(row.refresh_status, 'failed');
      assert.equal(row.refresh_error, 'invalid_grant');
      assert.equal(await store.connections.update('github', 'alice', { credentials: 'new', credentials_version: 2 }, { expectVersion: 1 }), true);
      assert.equal(await store.connections.update('github', 'alice', { credentials: 'stale', credentials_version: 2 }, { expectVersion: 1 }), false);
      row = (await store.connections.get('github', 'alice'))!;
      assert.equal(row.credentials, 'new');
      assert.equal(row.credentials_version, 2);
      assert.equal(await store.connections.update('github', 'nobody', { metadata: {} }), false);
    }));

    it('deletes once', withStore(async (store) => {
      await store.connections.insert(connectionRow());
      assert.equal(await store.connections.delete('github', 'alice'), true);
      assert.equal(await store.connections.delete('github', 'alice'), false);
      assert.equal(await store.connections.get('github', 'alice'), undefined);
    }));

    it('returns copies: mutating a returned row does not change the store', withStore(async (store) => {
      await store.connections.insert(connectionRow());
      const row = (await store.connections.get('github', 'alice'))!;
      row.connection_config['subdomain'] = 'evil';
      assert.deepEqual((await store.connections.get('github', 'alice'))!.connection_config, { subdomain: 'acme' });
    }));
  });
}
