/**
 * One contract every RecordStore passes (memory and SQLite run it; Postgres will).
 * `runRecordStoreContract({ name, create })` registers the tests.
 */
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import type { RecordScope, RecordStore } from '../../src/store/types.ts';

export interface ContractOptions {
  name: string;
  /** A fresh, empty store and a cleanup. */
  create: () => Promise<{ store: RecordStore; close: () => Promise<void> }>;
}

const scope: RecordScope = { integrationId: 'github', connectionId: 'alice', model: 'Issue' };
const rec = (id: string, extra: Record<string, unknown> = {}) => ({ id, data: { id, title: `t${id}`, ...extra } });

async function all(store: RecordStore, s: RecordScope, query: Parameters<RecordStore['query']>[1] = {}) {
  const out = [];
  let cursor: string | undefined;
  do {
    const page = await store.query(s, { ...query, cursor, limit: query.limit ?? 3 });
    out.push(...page.records);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Registers the RecordStore contract for one adapter. */
export function runRecordStoreContract({ name, create }: ContractOptions): void {
  describe(`RecordStore contract: ${name}`, () => {
    const closers: Array<() => Promise<void>> = [];
    after(async () => {
      for (const close of closers) await close();
    });
    const fresh = async () => {
      const { store, close } = await create();
      closers.push(close);
      return store;
    };

    it('adds, skips unchanged (no new cursor), updates changed content', async () => {
      const store = await fresh();
      assert.deepEqual(await store.save(scope, [rec('1'), rec('2')]), { added: 2, updated: 0, deleted: 0, unchanged: 0 });
      const before = await store.getByIds(scope, ['1', '2']);
      // Same content, other key order: unchanged.
      const again = await store.save(scope, [{ id: '1', data: { title: 't1', id: '1' } }, rec('2', { state: 'open' })]);
      assert.deepEqual(again, { added: 0, updated: 1, deleted: 0, unchanged: 1 });
      const afterSave = await store.getByIds(scope, ['1', '2']);
      assert.equal(afterSave.get('1')!.cursor, before.get('1')!.cursor);
      assert.equal(afterSave.get('1')!.last_action, 'ADDED');
      assert.notEqual(afterSave.get('2')!.cursor, before.get('2')!.cursor);
      assert.equal(afterSave.get('2')!.last_action, 'UPDATED');
      assert.equal(afterSave.get('2')!.first_seen_at, before.get('2')!.first_seen_at);
      assert.deepEqual(afterSave.get('2')!.data, { id: '2', title: 't2', state: 'open' });
      assert.equal(await store.count(scope), 2);
      // An id repeated in one batch: the last one wins and counts once.
      assert.deepEqual(await store.save(scope, [rec('9'), rec('9', { v: 2 })]), { added: 1, updated: 0, deleted: 0, unchanged: 0 });
      assert.equal((await store.getByIds(scope, ['9'])).get('9')!.data['v'], 2);
    });

    it('deep-merges updates, replaces arrays, ignores unknown ids', async () => {
      const store = await fresh();
      await store.save(scope, [{ id: 'a', data: { id: 'a', user: { name: 'x', tags: [1, 2] }, n: 1 } }]);
      const summary = await store.update(scope, [
        { id: 'a', data: { user: { tags: [3] } } },
        { id: 'missing', data: { n: 2 } },
      ]);
      assert.equal(summary.updated, 1);
      const a = (await store.getByIds(scope, ['a'])).get('a')!;
      assert.deepEqual(a.data, { id: 'a', user: { name: 'x', tags: [3] }, n: 1 });
      assert.equal((await store.update(scope, [{ id: 'a', data: { n: 1 } }])).unchanged, 1);
      assert.equal((await store.getByIds(scope, ['missing'])).size, 0);
    });

    it('soft-deletes; deleted records are queryable with their metadata and can come back', async () => {
      const store = await fresh();
      await store.save(scope, [rec('1'), rec('2')]);
      assert.equal((await store.delete(scope, ['1', 'nope'])).deleted, 1);
      assert.equal((await store.delete(scope, ['1'])).deleted, 0, 'deleting twice changes nothing');
      assert.equal(await store.count(scope), 1);
      assert.equal(await store.count(scope, { includeDeleted: true }), 2);
      assert.equal((await store.getByIds(scope, ['1'])).size, 0);
      const deleted = await all(store, scope, { filter: ['deleted'] });
      assert.deepEqual(deleted.map((r) => [r.id, r.last_action, typeof r.deleted_at]), [['1', 'DELETED', 'string']]);
      assert.deepEqual(await store.save(scope, [rec('1')]), { added: 1, updated: 0, deleted: 0, unchanged: 0 });
      assert.equal((await store.getByIds(scope, ['1'])).get('1')!.deleted_at, null);
    });

    it('pages by cursor in change order, filters by action and modifiedAfter', async () => {
      const store = await fresh();
      await store.save(scope, Array.from({ length: 10 }, (_, i) => rec(String(i))));
      await store.save(scope, [rec('3', { x: 1 })]);
      const records = await all(store, scope);
      assert.deepEqual(records.map((r) => r.id), ['0', '1', '2', '4', '5', '6', '7', '8', '9', '3']);
      assert.deepEqual((await all(store, scope, { filter: ['updated'] })).map((r) => r.id), ['3']);
      assert.deepEqual((await all(store, scope, { filter: ['added', 'updated'] })).length, 10);
      const future = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await all(store, scope, { modifiedAfter: future })).length, 0);
      assert.equal((await all(store, scope, { modifiedAfter: '2000-01-01' })).length, 10);
      assert.deepEqual((await store.query(scope, { ids: ['5', '7'] })).records.map((r) => r.id), ['5', '7']);
      const last = records[records.length - 1]!;
      assert.deepEqual(await store.query(scope, { cursor: last.cursor }), { records: [], nextCursor: null });
      await assert.rejects(store.query(scope, { cursor: 'garbage' }), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(store.query(scope, { limit: 0 }), { code: 'INVALID_ARGUMENT' });
    });

    it('paging is stable under concurrent writes', async () => {
      const store = await fresh();
      await store.save(scope, Array.from({ length: 50 }, (_, i) => rec(String(i))));
      const latest = new Map<string, string>();
      for (let i = 0; i < 50; i++) latest.set(String(i), `t${i}`);
      const seen = new Map<string, string[]>();
      let cursor: string | undefined;
      let round = 0;
      do {
        const page = await store.query(scope, { cursor, limit: 7 });
        for (const r of page.records) seen.set(r.id, [...(seen.get(r.id) ?? []), String(r.data['title'])]);
        cursor = page.nextCursor ?? undefined;
        // Write between pages: update an early record, an upcoming one, and add a new one.
        if (round < 5) {
          const changed = [rec(String(round), { title: `v${round}` }), rec(String(45 - round), { title: `w${round}` }), rec(`n${round}`)];
          await store.save(scope, changed);
          for (const c of changed) latest.set(c.id, String(c.data['title']));
          if (!cursor) cursor = page.records[page.records.length - 1]!.cursor;
        }
        round++;
      } while (cursor);
      for (const [id, title] of latest) {
        const versions = seen.get(id);
        assert.ok(versions, `record ${id} was never seen`);
        assert.equal(versions[versions.length - 1], title, `record ${id} last seen in its latest state`);
        const unchanged = !['0', '1', '2', '3', '4', '45', '44', '43', '42', '41'].includes(id);
        if (unchanged) assert.equal(versions.length, 1, `unchanged record ${id} seen exactly once`);
      }
    });

    it('tracks deletes: unseen records are deleted at the end of the session only', async () => {
      const store = await fresh();
      await store.save(scope, [rec('1'), rec('2'), rec('3')]);
      await store.markSeenStart(scope, 'run-1');
      await store.save(scope, [rec('1'), rec('3', { x: 1 })]);
      assert.equal(await store.count(scope), 3, 'nothing deleted before the end');
      assert.equal(await store.deleteUnseen(scope, 'other-run'), 0, 'only the session owner ends it');
      assert.equal(await store.deleteUnseen(scope, 'run-1'), 1);
      assert.deepEqual([...(await store.getByIds(scope, ['1', '2', '3'])).keys()].sort(), ['1', '3']);
      assert.equal(await store.deleteUnseen(scope, 'run-1'), 0, 'session closed');
      // A new session does not count sightings from the previous one.
      await store.markSeenStart(scope, 'run-2');
      await store.save(scope, [rec('3', { x: 1 })]);
      assert.equal(await store.deleteUnseen(scope, 'run-2'), 1);
      assert.deepEqual([...(await store.getByIds(scope, ['1', '3'])).keys()], ['3']);
    });

    it('counts what a delete pass would remove without removing it (the delete guard reads it)', async () => {
      const store = await fresh();
      assert.equal(await store.countUnseen(scope, 'nobody'), 0, 'unknown scope');
      await store.save(scope, [rec('1'), rec('2'), rec('3'), rec('4')]);
      await store.delete(scope, ['4']);
      assert.equal(await store.countUnseen(scope, 'run-1'), 0, 'no session open');
      await store.markSeenStart(scope, 'run-1');
      assert.equal(await store.countUnseen(scope, 'run-1'), 3, 'every live record is unseen at the start; deleted ones do not count');
      await store.save(scope, [rec('1'), rec('5')]);
      await store.update(scope, [{ id: '2', data: { title: 't2' } }]);
      assert.equal(await store.countUnseen(scope, 'run-1'), 1, 'saved, added and updated records are seen');
      assert.equal(await store.countUnseen(scope, 'other-run'), 0, 'only the session owner counts');
      assert.equal(await store.count(scope), 4, 'counting deletes nothing');
      assert.equal(await store.deleteUnseen(scope, 'run-1'), 1, 'the pass removes what was counted');
      assert.equal(await store.countUnseen(scope, 'run-1'), 0, 'session closed');
    });

    it('resumes an interrupted tracking session when asked', async () => {
      const store = await fresh();
      await store.save(scope, [rec('1'), rec('2'), rec('3')]);
      await store.markSeenStart(scope, 'crashed');
      await store.save(scope, [rec('1')]);
      // The crashed run never ends its session; the next run resumes from its checkpoint.
      await store.markSeenStart(scope, 'resumed', { resume: true });
      await store.markSeenStart(scope, 'resumed');
      await store.save(scope, [rec('2')]);
      assert.equal(await store.deleteUnseen(scope, 'resumed'), 1);
      assert.deepEqual([...(await store.getByIds(scope, ['1', '2', '3'])).keys()].sort(), ['1', '2']);
      // ifOpen: nothing to adopt, nothing started.
      await store.markSeenStart(scope, 'idle', { resume: true, ifOpen: true });
      assert.equal(await store.deleteUnseen(scope, 'idle'), 0, 'no session was opened');
      // Without resume, an abandoned session is discarded.
      await store.markSeenStart(scope, 'a');
      await store.save(scope, [rec('1')]);
      await store.markSeenStart(scope, 'b');
      await store.save(scope, [rec('2')]);
      assert.equal(await store.deleteUnseen(scope, 'b'), 1);
      assert.deepEqual([...(await store.getByIds(scope, ['1', '2'])).keys()], ['2']);
    });

    it('counts the changes after a cursor mark by last action, with the earliest change time and the newest cursor', async () => {
      const store = await fresh();
      const start = await store.mark(scope);
      assert.deepEqual(await store.changes(scope, { after: start }), { added: 0, updated: 0, deleted: 0, since: null, until: start });
      await store.save(scope, [rec('1'), rec('2'), rec('3')]);
      const afterFirst = await store.mark(scope);
      assert.notEqual(afterFirst, start);
      const first = await store.changes(scope, { after: start });
      const saved = [...(await store.getByIds(scope, ['1', '2', '3'])).values()];
      assert.deepEqual(first, { added: 3, updated: 0, deleted: 0, since: saved.map((r) => r.last_modified_at).sort()[0], until: afterFirst });
      await store.save(scope, [rec('1', { v: 2 }), rec('4'), rec('3')]);
      await store.delete(scope, ['2']);
      const afterSecond = await store.mark(scope);
      const second = await store.changes(scope, { after: afterFirst });
      assert.deepEqual([second.added, second.updated, second.deleted, second.until], [1, 1, 1, afterSecond], 'unchanged 3 not counted');
      assert.equal(await store.mark(scope), afterSecond, 'reading moves no mark');
      // From the start (no mark, or the empty scope's): each record once, as its last action says.
      const everything = await store.changes(scope);
      assert.deepEqual(everything, await store.changes(scope, { after: start }));
      assert.deepEqual([everything.added, everything.updated, everything.deleted], [2, 1, 1]);
      // Bounded: records whose latest change is in (start, afterFirst]; only 3 was not changed again.
      const bounded = await store.changes(scope, { after: start, until: afterFirst });
      assert.deepEqual([bounded.added, bounded.updated, bounded.deleted], [1, 0, 0]);
      // Other scopes: their own marks; an unknown scope has nothing.
      const other: RecordScope = { ...scope, connectionId: 'bob' };
      const otherStart = await store.mark(other);
      assert.deepEqual(await store.changes(other, { after: otherStart }), { added: 0, updated: 0, deleted: 0, since: null, until: otherStart });
      await assert.rejects(store.changes(scope, { after: 'garbage' }), { code: 'INVALID_ARGUMENT' });
    });

    it('a change window’s `since`, as modifiedAfter, returns every record in it, even ones written in the same millisecond as records before it', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-03-01T12:00:00.000Z') });
      const store = await fresh();
      await store.save(scope, [rec('1'), rec('2')]);
      const announced = await store.mark(scope); // the point an announcement covered
      await store.save(scope, [rec('3'), rec('1', { v: 2 })]); // same millisecond
      const window = await store.changes(scope, { after: announced });
      assert.deepEqual([window.added, window.updated, window.since], [1, 1, '2026-03-01T12:00:00.000Z']);
      const read = await all(store, scope, { modifiedAfter: window.since! });
      assert.ok(['1', '3'].every((id) => read.some((r) => r.id === id)), 'nothing in the window is lost to equal timestamps');
    });

    it('prunes payloads up to a cursor, oldest first, in batches; keeps ids and metadata; a later save restores the payload', async () => {
      const store = await fresh();
      await store.save(scope, [rec('1'), rec('2'), rec('3'), rec('4')]);
      const cursors = await store.getByIds(scope, ['1', '2', '3', '4']);
      const until = cursors.get('3')!.cursor;
      assert.deepEqual(await store.prune(scope, until, 2), { count: 2, hasMore: true });
      assert.deepEqual(await store.prune(scope, until, 2), { count: 1, hasMore: false });
      assert.deepEqual(await store.prune(scope, until, 2), { count: 0, hasMore: false }, 'pruned ones are not pruned again');
      const after = await store.getByIds(scope, ['1', '2', '3', '4']);
      for (const id of ['1', '2', '3']) {
        assert.deepEqual(after.get(id)!.data, { id }, `${id}: payload emptied, id kept`);
        assert.equal(after.get(id)!.cursor, cursors.get(id)!.cursor, 'pruning is not a change');
        assert.equal(after.get(id)!.first_seen_at, cursors.get(id)!.first_seen_at);
      }
      assert.deepEqual(after.get('4')!.data, rec('4').data, 'past the cursor: untouched');
      assert.equal(await store.count(scope), 4);
      // The next sync that sees a pruned record writes its payload back.
      assert.deepEqual(await store.save(scope, [rec('1'), rec('4')]), { added: 0, updated: 1, deleted: 0, unchanged: 1 });
      assert.deepEqual((await store.getByIds(scope, ['1'])).get('1')!.data, rec('1').data);
      assert.deepEqual(await store.prune({ ...scope, connectionId: 'nobody' }, until, 10), { count: 0, hasMore: false });
      await assert.rejects(store.prune(scope, 'not-a-cursor', 10), { code: 'INVALID_ARGUMENT' });
    });

    it('isolates scopes and purges by connection', async () => {
      const store = await fresh();
      const bob: RecordScope = { ...scope, connectionId: 'bob' };
      const other: RecordScope = { ...scope, model: 'Comment' };
      await store.save(scope, [rec('1')]);
      await store.save(bob, [rec('1', { title: 'bob' }), rec('2')]);
      await store.save(other, [rec('9')]);
      assert.equal((await store.getByIds(scope, ['1'])).get('1')!.data['title'], 't1');
      assert.equal(await store.count(bob), 2);
      await store.markSeenStart(bob, 'r');
      assert.equal(await store.deleteUnseen(bob, 'r'), 2);
      assert.equal(await store.count(scope), 1, 'other connection untouched');
      assert.equal(await store.purge({ integrationId: 'github', connectionId: 'alice' }), 2);
      assert.equal(await store.count(scope), 0);
      assert.equal(await store.count(other), 0);
      assert.equal(await store.count(bob, { includeDeleted: true }), 2);
    });
  });
}
