import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from '../../src/config/similar.ts';

test('editDistance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('githb', 'github'), 1);
  assert.equal(editDistance('same', 'same'), 0);
});

test('closest: typos, prefixes, other separators and reordered words; best first, ties in candidate order', () => {
  assert.deepEqual(closest('get-isue', ['list-issues', 'get-issue', 'create-issue']), ['get-issue']);
  assert.deepEqual(closest('githb', ['gitlab', 'github', 'gitea']), ['github', 'gitlab', 'gitea']);
  assert.deepEqual(closest('GitHub', ['gitlab', 'github-enterprise']), ['github-enterprise', 'gitlab'], 'a prefix (1) ranks above two edits (2)');
  assert.deepEqual(closest('create_issue', ['fake_get-issue', 'fake_create-issue']), ['fake_create-issue']);
  assert.deepEqual(closest('issue create', ['fake_shout', 'fake_create-issue']), ['fake_create-issue']);
  assert.deepEqual(closest('zzzzzzzzzzzz', ['github', 'gitlab']), []);
  assert.deepEqual(closest('git', ['gitlab', 'github', 'gitlab'], 1), ['gitlab'], 'duplicates count once; max applies');
  assert.deepEqual(closest('ab', ['abcdef-long-name']), [], 'a short term does not match by containment');
});

test('closest: a megabyte term is answered (no match), not refused or thrown on', () => {
  // Its cost is bounded by the length check before any edit distance (see closest's doc); timing
  // it here would make the test depend on the machine's load.
  assert.deepEqual(closest('a'.repeat(1_000_000), ['fake_get-issue', 'fake_create-issue']), []);
});
