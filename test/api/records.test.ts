/**
 * Nango's records API with `@nangohq/node`: `listRecords` pages a model by cursor, and
 * `pruneRecords` empties payloads up to a cursor in batches (ids and metadata kept) until the
 * next sync writes them back; scoped keys stay on their connections.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Nango } from '@nangohq/node';
import { SECRET } from '../mcp/helpers.ts';
import { BOB_ONLY, failure, startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
before(async () => {
  ctx = await startApiServer({
    extraConnections: ['bob'],
    bobOnly: true,
    prepare: async (runtime) => {
      const rows = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, data: { id: `p${i}`, title: `title ${i}`, state: 'open', updated_at: '2025-01-01T00:00:00Z' } }));
      await runtime.store.records.save({ integrationId: 'fake', connectionId: 'bob', model: 'Issue' }, rows);
    },
  });
});
after(() => ctx.close());

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });

it('pruneRecords empties payloads up to a cursor in batches; listRecords still shows ids and metadata', async () => {
  const { records } = await nango().listRecords({ providerConfigKey: 'fake', connectionId: 'bob', model: 'Issue' });
  assert.equal(records.length, 5);
  const until = (records[2] as { _nango_metadata: { cursor: string } })._nango_metadata.cursor;
  const first = await nango().pruneRecords({ providerConfigKey: 'fake', connectionId: 'bob', model: 'Issue', untilCursor: until, limit: 2 });
  assert.deepEqual(first, { count: 2, has_more: true });
  assert.deepEqual(await nango().pruneRecords({ providerConfigKey: 'fake', connectionId: 'bob', model: 'Issue', untilCursor: until, limit: 2 }), { count: 1, has_more: false });
  const after = (await nango().listRecords({ providerConfigKey: 'fake', connectionId: 'bob', model: 'Issue' })).records as Array<Record<string, unknown> & { _nango_metadata: { cursor: string } }>;
  assert.equal(after.length, 5);
  for (const record of after.slice(0, 3)) {
    assert.deepEqual(Object.keys(record).sort(), ['_nango_metadata', 'id'], 'payload emptied, id and metadata kept');
  }
  assert.equal(after[3]!['title'], 'title 3');
  assert.deepEqual(after.map((r) => r._nango_metadata.cursor), records.map((r) => (r as { _nango_metadata: { cursor: string } })._nango_metadata.cursor), 'not a change');
});

it('refused: another connection’s records, a tools-limited key, a bad cursor or limit, a variant', async () => {
  const args = { providerConfigKey: 'fake', connectionId: 'alice', model: 'Issue', untilCursor: 'c1' };
  assert.equal((await failure(nango(BOB_ONLY).pruneRecords(args))).status, 403);
  assert.equal((await failure(nango(ctx.project.scopedSecret).pruneRecords(args))).status, 403);
  const cursor = await failure(nango().pruneRecords({ ...args, untilCursor: 'nonsense' }));
  assert.equal(cursor.status, 400);
  assert.match(cursor.error.message, /cursor/);
  assert.equal((await failure(nango().pruneRecords({ ...args, limit: 20_000 }))).status, 400);
  assert.equal((await failure(nango().pruneRecords({ ...args, variant: 'eu' }))).status, 501);
  assert.equal(((await nango().listRecords({ providerConfigKey: 'fake', connectionId: 'alice', model: 'Issue' })).records[0] as unknown as { title: string }).title, 'first', 'nothing of alice’s was pruned');
});
