import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasSecretKeys, redactValue } from '../../src/observability/redact.ts';

test('secret-named properties are replaced at any depth; the input is untouched', () => {
  const input = {
    connection: { connection_id: 'c1', credentials: { type: 'API_KEY', api_key: 'k1' } },
    headers: { Authorization: 'Bearer t2', accept: 'json' },
    list: [{ accessToken: 'a3' }, { 'X-API-KEY': 'x4' }],
    empty: { password: '' },
    n: 1,
  };
  const out = redactValue(input) as typeof input;
  const text = JSON.stringify(out);
  for (const secret of ['k1', 't2', 'a3', 'x4']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.equal(out.connection.connection_id, 'c1');
  assert.equal(out.connection.credentials as unknown, '[REDACTED]');
  assert.equal(out.headers.accept, 'json');
  assert.equal(out.n, 1);
  assert.equal(input.headers.Authorization, 'Bearer t2', 'the input is not modified');
  assert.equal(hasSecretKeys(input), true);
  assert.equal(hasSecretKeys({ a: [{ b: 1 }] }), false);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  assert.deepEqual(redactValue(cyclic), { a: 1, self: '[Circular]' });
});
