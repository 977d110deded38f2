import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionError, PatchbayError, toPatchbayError } from '../src/errors.ts';

test('PatchbayError keeps its code through JSON and instanceof across copies', () => {
  const err = new PatchbayError('RATE_LIMITED', 'rate limited by GitHub, retry after 40 s', { status: 429, retryAfter: 40 });
  const copy = PatchbayError.fromJSON(JSON.parse(JSON.stringify(err)));
  assert.equal(copy.code, 'RATE_LIMITED');
  assert.equal(copy.retryAfter, 40);
  assert.ok(copy instanceof PatchbayError);
  // A look-alike carrying the brand from another bundled copy still counts.
  const foreign = Object.defineProperty(new Error('x'), Symbol.for('patchbay.error'), { value: true });
  assert.ok(foreign instanceof PatchbayError);
  assert.ok(!(new Error('plain') instanceof PatchbayError));
});

test('ActionError payload passes through toPatchbayError', () => {
  const err = toPatchbayError(new ActionError({ message: 'Repository not found', repo: 'a/b' }));
  assert.equal(err.code, 'ACTION_ERROR');
  assert.deepEqual(err.details, { message: 'Repository not found', repo: 'a/b' });
  assert.equal(err.message, 'Repository not found');
});
