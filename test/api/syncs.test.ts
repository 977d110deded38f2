/**
 * Nango's sync API (`triggerSync`, `startSync`, `pauseSync`, `syncStatus`) with `@nangohq/node`
 * against `patchbay serve`: runs start in the background and their records are readable through
 * `GET /records`; pause and start change the schedule; scoped keys stay on their connections;
 * per-connection frequencies move the schedule; what patchbay lacks answers 501.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Nango } from '@nangohq/node';
import { SECRET } from '../mcp/helpers.ts';
import { BOB_ONLY, failure, startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
before(async () => {
  ctx = await startApiServer({ extraConnections: ['bob'], bobOnly: true });
});
after(() => ctx.close());

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });

interface Status {
  connection_id: string;
  status: string;
  type: string;
  latestExecutionStatus?: string;
  latestResult?: Record<string, { added: number }>;
  recordCount: Record<string, number>;
}

async function statusOf(client = nango()): Promise<Map<string, Status>> {
  const { syncs } = (await client.syncStatus('fake', ['issues'])) as unknown as { syncs: Status[] };
  return new Map(syncs.map((s) => [s.connection_id, s]));
}

describe('syncs with @nangohq/node', () => {
  it('triggerSync runs the sync in the background; its records and status follow', async () => {
    const before = (await statusOf()).get('bob');
    assert.equal(before?.type, 'INITIAL');
    assert.equal(before?.latestExecutionStatus, undefined);
    await nango().triggerSync('fake', ['issues'], 'bob');
    let after: Status | undefined = before;
    for (let i = 0; i < 200 && after?.latestExecutionStatus !== 'SUCCESS'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await statusOf()).get('bob');
    }
    assert.equal(after?.latestExecutionStatus, 'SUCCESS');
    // `autoStart: false`: triggered runs do not start its schedule, as in Nango.
    assert.equal(after?.status, 'PAUSED');
    assert.equal(after?.type, 'INCREMENTAL');
    assert.equal(after?.latestResult?.['Issue']?.added, 5);
    assert.deepEqual(after?.recordCount, { Issue: 5 });
    const records = await nango().listRecords({ providerConfigKey: 'fake', connectionId: 'bob', model: 'Issue' });
    assert.equal(records.records.length, 5);
  });

  it('pauseSync stops the schedule; startSync resumes it and runs at once', async () => {
    await nango().pauseSync('fake', ['issues'], 'alice');
    assert.equal((await statusOf()).get('alice')?.status, 'PAUSED');
    await nango().startSync('fake', ['issues'], 'alice');
    let entry: Status | undefined;
    for (let i = 0; i < 200; i++) {
      entry = (await statusOf()).get('alice');
      if (entry?.status === 'SUCCESS') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(entry?.status, 'SUCCESS');
    assert.equal((await nango().listRecords({ providerConfigKey: 'fake', connectionId: 'alice', model: 'Issue' })).records.length >= 5, true);
  });

  it('a scoped key triggers and sees only its connections', async () => {
    const bob = nango(BOB_ONLY);
    assert.deepEqual([...(await statusOf(bob)).keys()], ['bob']);
    const alice = await failure(bob.triggerSync('fake', ['issues'], 'alice'));
    assert.equal(alice.status, 403);
    assert.equal((await failure(bob.pauseSync('fake', ['issues'], 'alice'))).status, 403);
    await bob.pauseSync('fake', ['issues']);
    const states = await statusOf();
    assert.equal(states.get('bob')?.status, 'PAUSED');
    assert.notEqual(states.get('alice')?.status, 'PAUSED', 'without a connection, only the key’s own were paused');
    await bob.startSync('fake', ['issues']);
  });

  it('updateSyncConnectionFrequency gives one connection its own frequency, moves its next run, and null takes it back', async () => {
    const frequencyOf = async (connection: string) => {
      const { syncs } = (await nango().syncStatus('fake', ['issues'], connection)) as unknown as { syncs: Array<{ frequency: string; nextScheduledSyncAt: string | null }> };
      return syncs[0]!;
    };
    await nango().startSync('fake', ['issues'], 'alice');
    assert.equal((await frequencyOf('alice')).frequency, 'every hour');
    const answer = await nango().updateSyncConnectionFrequency('fake', 'issues', 'alice', 'every 5 minutes');
    assert.deepEqual(answer, { frequency: 'every 5 minutes' });
    const changed = await frequencyOf('alice');
    assert.equal(changed.frequency, 'every 5 minutes');
    const inMs = Date.parse(changed.nextScheduledSyncAt!) - Date.now();
    assert.ok(inMs > 0 && inMs <= 5 * 60_000 + 31_000, `the next run moved to within the new interval (${inMs} ms)`);
    assert.equal((await frequencyOf('bob')).frequency, 'every hour', 'other connections keep the sync’s');
    assert.deepEqual(await nango().updateSyncConnectionFrequency('fake', 'issues', 'alice', null), { frequency: 'every hour' });
    assert.equal((await frequencyOf('alice')).frequency, 'every hour');
    const bad = await failure(nango().updateSyncConnectionFrequency('fake', 'issues', 'alice', 'every blue moon'));
    assert.equal(bad.status, 400);
    assert.match(bad.error.message, /frequency/);
    const tooOften = await failure(nango().updateSyncConnectionFrequency('fake', 'issues', 'alice', 'every 5 seconds'));
    assert.equal(tooOften.status, 400);
    assert.match(tooOften.error.message, /30 seconds/);
    assert.equal((await failure(nango(BOB_ONLY).updateSyncConnectionFrequency('fake', 'issues', 'alice', 'every 5 minutes'))).status, 403);
    assert.equal((await failure(nango().updateSyncConnectionFrequency('fake', 'isues', 'alice', 'every 5 minutes'))).status, 404);
    assert.equal((await failure(nango().updateSyncConnectionFrequency('fake', 'issues', 'nobody', 'every 5 minutes'))).status, 404);
  });

  it('unknown syncs and connections are 404; variants are 501', async () => {
    const sync = await failure(nango().triggerSync('fake', ['isues'], 'alice'));
    assert.equal(sync.status, 404);
    assert.match(sync.error.message, /fake\/issues/);
    assert.equal((await failure(nango().triggerSync('fake', ['issues'], 'nobody'))).status, 404);
    assert.equal((await failure(nango().triggerSync('fake', [{ name: 'issues', variant: 'eu' }], 'alice'))).status, 501);
    assert.equal((await failure(nango().updateSyncConnectionFrequency('fake', { name: 'issues', variant: 'eu' }, 'alice', 'every 5 minutes'))).status, 501);
  });
});

describe('syncs, hostile requests', () => {
  const post = (route: string, body: string) =>
    fetch(`${ctx.server.url}${route}`, { method: 'POST', body, headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' } });

  it('bodies that are not JSON or not the right shape are 400; missing query parameters are 400; GET on a POST route is 405', async () => {
    assert.equal((await post('/sync/trigger', '{')).status, 400);
    const shape = await post('/sync/pause', JSON.stringify({ syncs: 'issues', provider_config_key: 'fake' }));
    assert.equal(shape.status, 400);
    assert.match(await shape.text(), /syncs/);
    const mode = await post('/sync/trigger', JSON.stringify({ syncs: ['issues'], provider_config_key: 'fake', sync_mode: 'sometimes' }));
    assert.equal(mode.status, 400);
    const status = await fetch(`${ctx.server.url}/sync/status?provider_config_key=fake`, { headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(status.status, 400);
    assert.match(await status.text(), /syncs/);
    const wrongMethod = await fetch(`${ctx.server.url}/sync/trigger`, { headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(wrongMethod.status, 405);
  });
});
