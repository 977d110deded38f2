import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffValues, formatDiff, toJsonValue } from '../../src/nango-test/compare.ts';
import { judge } from '../../src/nango-test/verdict.ts';
import { fixtureFromUnified } from '../../src/nango-test/fixture.ts';
import { ActionError } from '../../src/errors.ts';

describe('diffValues', () => {
  it('reports changed, missing, unexpected and length differences with paths', () => {
    const diff = diffValues({ a: 1, items: [{ t: 'x' }], extra: true }, { a: 2, items: [{ t: 'y' }, { t: 'z' }], gone: null });
    assert.deepEqual(
      diff.map((d) => `${d.kind} ${d.path}`),
      ['changed a', 'length items', 'changed items[0].t', 'missing gone', 'unexpected extra'],
    );
    assert.match(formatDiff(diff), /items\[0\]\.t: expected "y", received "x"/);
  });

  it('treats undefined fields as absent and dates as their JSON text', () => {
    const value = toJsonValue({ a: undefined, at: new Date('2026-01-01T00:00:00Z') });
    assert.deepEqual(diffValues(value, { at: '2026-01-01T00:00:00.000Z' }), []);
  });
});

describe('judge', () => {
  const empty = new Map<string, unknown[]>();
  it('passes an action whose raw output equals the fixture, fails one that differs', () => {
    const fixture = fixtureFromUnified({ output: { id: 1, extra: 'kept' } }, 'f.json');
    assert.deepEqual(judge({ type: 'action', fixture, outcome: { ok: true, value: { id: 1, extra: 'kept', u: undefined } }, saved: empty, deleted: empty }), []);
    const failures = judge({ type: 'action', fixture, outcome: { ok: true, value: { id: 1 } }, saved: empty, deleted: empty });
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /extra: missing/);
  });

  it('compares every model of a sync strictly and rejects unexpected models', () => {
    const fixture = fixtureFromUnified({ nango: { batchSave: { A: [{ id: '1' }] }, batchDelete: { A: [{ id: '9' }] } } }, 'f.json');
    const ok = judge({ type: 'sync', fixture, outcome: { ok: true, value: undefined }, saved: new Map([['A', [{ id: '1' }]]]), deleted: new Map([['A', [{ id: '9' }]]]) });
    assert.deepEqual(ok, []);
    const bad = judge({ type: 'sync', fixture, outcome: { ok: true, value: undefined }, saved: new Map([['A', [{ id: '1' }]], ['B', [{ id: '2' }]]]), deleted: empty });
    assert.deepEqual(bad.map((f) => f.what), ['batchSave:B', 'batchDelete:A']);
  });

  it('checks an expected failure', () => {
    const fixture = fixtureFromUnified({ error: { code: 'ACTION_ERROR', payload: { reason: 'gone' } } }, 'f.json');
    const thrown = new ActionError({ message: 'nope', reason: 'gone' });
    assert.deepEqual(judge({ type: 'action', fixture, outcome: { ok: false, error: thrown }, saved: empty, deleted: empty }), []);
    assert.equal(judge({ type: 'action', fixture, outcome: { ok: true, value: 1 }, saved: empty, deleted: empty }).length, 1);
  });
});
