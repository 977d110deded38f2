import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionError, PatchbayError, excerptOf, toPatchbayError } from '../src/errors.ts';
import { addSecretValue } from '../src/observability/secrets.ts';

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

test('excerptOf redacts the whole text before cutting, and a secret prefix left at the end', () => {
  const token = 'tok_0123456789abcdef0123456789';
  const secrets = { values: [] as string[] };
  addSecretValue(secrets, token);
  const body = `${'.'.repeat(270)} Bearer ${token}`;
  // Cut first, the token would survive minus its last characters.
  assert.ok(body.slice(0, 300).includes(token.slice(0, 20)));
  assert.equal(excerptOf(body, { secrets }), `${'.'.repeat(270)} Bearer [REDACTED]`);
  const straddling = excerptOf(`${'.'.repeat(285)} Bearer ${token}`, { secrets });
  assert.match(straddling, /Bearer \[REDACTED\]…$/, 'a marker straddling the cut is kept whole');
  // The provider cut the echo itself: the prefix left at the end goes.
  assert.equal(excerptOf(`invalid token ${token.slice(0, 10)}`, { secrets }), 'invalid token [REDACTED]');
  assert.equal(excerptOf(`invalid token ${token.slice(0, 5)}`, { secrets }), `invalid token ${token.slice(0, 5)}`, 'under 6 characters is not a secret prefix');
  // Encoded forms are secrets too.
  assert.equal(excerptOf({ echoed: Buffer.from(token).toString('base64'), url: `?t=${encodeURIComponent(token)}` }, { secrets }), '{"echoed":"[REDACTED]","url":"?t=[REDACTED]"}');
  assert.equal(excerptOf('  a \n\n b  '), 'a b');
  assert.equal(excerptOf('x'.repeat(50), { max: 10 }), `${'x'.repeat(10)}…`);
});
