/**
 * One contract every SyncStore passes (memory and SQLite run it).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SyncRunRow, SyncStore } from '../../src/store/types.ts';

export function runSyncStoreContract({ name, create }: { name: string; create: () => Promise<{ store: SyncStore; close: () => Promise<void> }> }): void {
  describe(`SyncStore contract: ${name}`, () => {
    const closers: Array<() => Promise<void>> = [];
    after(async () => {
      for (const close of closers) await close();
    });
    const fresh = async () => {
      const { store, close } = await create();
      closers.push(close);
      return store;
    };
    const start = (id: string, at: string, extra: Partial<SyncRunRow> = {}) => ({
      id,
      integration_id: 'github',
      connection_id: 'alice',
      sync_name: 'issues',
      status: 'running' as const,
      started_at: at,
      ...extra,
    });

    it('records runs and finishes them with counts, newest first, filtered', async () => {
      const store = await fresh();
      await store.startRun(start('r1', '2026-01-01T00:00:00.000Z'));
      await store.startRun(start('r2', '2026-01-02T00:00:00.000Z'));
      await store.startRun(start('r3', '2026-01-03T00:00:00.000Z', { connection_id: 'bob' }));
      await store.finishRun('r1', { status: 'success', error: null, added: 3, updated: 2, deleted: 1, duration_ms: 1500 });
      await store.finishRun('r2', { status: 'failed', error: 'TIMEOUT: too slow', added: 0, updated: 0, deleted: 0, duration_ms: 10 });
      const runs = await store.listRuns({ connectionId: 'alice' });
      assert.deepEqual(runs.map((r) => r.id), ['r2', 'r1']);
      const r1 = runs[1]!;
      assert.deepEqual([r1.status, r1.added, r1.updated, r1.deleted, r1.duration_ms, r1.error], ['success', 3, 2, 1, 1500, null]);
      assert.ok(r1.finished_at);
      assert.equal(runs[0]!.error, 'TIMEOUT: too slow');
      assert.deepEqual((await store.listRuns({ status: 'running' })).map((r) => r.id), ['r3']);
      assert.deepEqual((await store.listRuns({ limit: 1 })).map((r) => r.id), ['r3']);
      assert.equal((await store.listRuns({ syncName: 'other' })).length, 0);
      await assert.rejects(store.startRun(start('r1', '2026-01-04T00:00:00.000Z')), { code: 'STORE_ERROR' });
      await assert.rejects(store.finishRun('missing', { status: 'success', error: null, added: 0, updated: 0, deleted: 0, duration_ms: 0 }), { code: 'NOT_FOUND' });
    });

    it('keeps one state row per (integration, connection, sync)', async () => {
      const store = await fresh();
      const row = { integration_id: 'github', connection_id: 'alice', sync_name: 'issues', paused: false, last_run_id: null, last_success_at: null, next_run_at: '2026-01-01T00:00:00.000Z', frequency: null };
      assert.equal(await store.getState('github', 'alice', 'issues'), undefined);
      await store.setState(row);
      await store.setState({ ...row, paused: true, last_run_id: 'r1' });
      await store.setState({ ...row, connection_id: 'bob', frequency: 'every 5 minutes' });
      assert.deepEqual(await store.getState('github', 'alice', 'issues'), { ...row, paused: true, last_run_id: 'r1' });
      assert.equal((await store.getState('github', 'bob', 'issues'))!.frequency, 'every 5 minutes');
      // A writer holding an older copy of the row does not put an old frequency back.
      await store.setState({ ...row, connection_id: 'bob', frequency: null, paused: true });
      assert.equal((await store.getState('github', 'bob', 'issues'))!.frequency, 'every 5 minutes');
      assert.equal((await store.getState('github', 'bob', 'issues'))!.paused, true);
      assert.equal(await store.setFrequency('github', 'bob', 'issues', '0 * * * *'), true);
      assert.equal((await store.getState('github', 'bob', 'issues'))!.frequency, '0 * * * *');
      assert.equal(await store.setFrequency('github', 'carol', 'issues', '0 * * * *'), false, 'no row: nothing to set');
      assert.equal((await store.listStates()).length, 2);
      assert.equal((await store.listStates({ syncName: 'issues', integrationId: 'github' })).length, 2);
      assert.equal((await store.listStates({ integrationId: 'other' })).length, 0);
    });

    it('keeps the record cursors a run started from', async () => {
      const store = await fresh();
      await store.startRun(start('r1', '2026-01-01T00:00:00.000Z', { start_cursors: { Issue: 'c0', Comment: 'c1z' } }));
      await store.startRun(start('r2', '2026-01-02T00:00:00.000Z'));
      const [r2, r1] = await store.listRuns({ connectionId: 'alice' });
      assert.deepEqual(r1!.start_cursors, { Issue: 'c0', Comment: 'c1z' });
      assert.deepEqual(r2!.start_cursors, {}, 'none given, none kept');
      await store.finishRun('r1', { status: 'failed', error: 'INTERRUPTED: x', added: 900, updated: 0, deleted: 0, duration_ms: 5 });
      assert.deepEqual((await store.listRuns({ status: 'failed' }))[0]!.start_cursors, { Issue: 'c0', Comment: 'c1z' }, 'finishing keeps them');
    });

    it('keeps the last announced point per (integration, connection, sync, model)', async () => {
      const store = await fresh();
      assert.deepEqual(await store.listAnnouncements('github', 'alice', 'issues'), []);
      const point = { integration_id: 'github', connection_id: 'alice', sync_name: 'issues', model: 'Issue', cursor: 'c5', announced_at: '2026-01-01T00:00:00.000Z' };
      await store.setAnnouncement(point);
      await store.setAnnouncement({ ...point, model: 'Comment', cursor: 'c2' });
      await store.setAnnouncement({ ...point, cursor: 'c9', announced_at: '2026-01-02T00:00:00.000Z' });
      await store.setAnnouncement({ ...point, connection_id: 'bob', cursor: 'c1' });
      await store.setAnnouncement({ ...point, sync_name: 'other', cursor: 'c1' });
      const rows = await store.listAnnouncements('github', 'alice', 'issues');
      assert.deepEqual(
        rows.sort((a, b) => a.model.localeCompare(b.model)),
        [
          { ...point, model: 'Comment', cursor: 'c2' },
          { ...point, cursor: 'c9', announced_at: '2026-01-02T00:00:00.000Z' },
        ],
      );
      assert.deepEqual((await store.listAnnouncements('github', 'bob', 'issues')).map((r) => r.cursor), ['c1']);
    });
  });
}
