import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecordsRequest } from '../../src/http/routes/records.ts';
import { queryRecords } from '../../src/records/query.ts';
import { createMemoryRecordStore } from '../../src/store/memory/records.ts';

const headers = { 'connection-id': 'alice', 'provider-config-key': 'github' };

test('parses Nango’s GET /records query and headers, and answers in its shape', async () => {
  const params = new URLSearchParams('model=Issue&limit=2&filter=added,UPDATED&modified_after=2026-01-01T00:00:00Z&ids=1&ids=2');
  const { scope, query } = parseRecordsRequest(params, headers);
  assert.deepEqual(scope, { integrationId: 'github', connectionId: 'alice', model: 'Issue' });
  assert.deepEqual(query, { limit: 2, modifiedAfter: '2026-01-01T00:00:00Z', filter: ['added', 'updated'], ids: ['1', '2'] });
  const store = createMemoryRecordStore();
  await store.save(scope, [1, 2, 3].map((n) => ({ id: String(n), data: { id: String(n), n } })));
  const page = await queryRecords(store, scope, query);
  assert.deepEqual(page.records.map((r) => [r['id'], r['n'], r._nango_metadata.last_action]), [['1', 1, 'ADDED'], ['2', 2, 'ADDED']]);
  assert.equal(page.next_cursor, null);
  assert.equal(parseRecordsRequest(new URLSearchParams('model=M&delta=2026-02-01'), headers).query.modifiedAfter, '2026-02-01');
});

test('bad requests name the parameter to fix', () => {
  const bad = (qs: string, h: Record<string, string> = headers) => () => parseRecordsRequest(new URLSearchParams(qs), h);
  assert.throws(bad('limit=5'), /Missing query parameter model/);
  assert.throws(bad('model=M', { 'provider-config-key': 'github' }), /Connection-Id/);
  assert.throws(bad('model=M', { 'connection-id': 'a' }), /Provider-Config-Key/);
  assert.throws(bad('model=M&limit=0'), /limit must be an integer from 1 to 10000/);
  assert.throws(bad('model=M&limit=20000'), /limit/);
  assert.throws(bad('model=M&sort=asc'), /Unknown query parameter "sort"/);
  assert.throws(bad(`model=M&${Array.from({ length: 101 }, (_, i) => `ids=${i}`).join('&')}`), /at most 100/);
});
