/**
 * Masking: whatever shows a secret masked shows at most 4 characters of it, for every auth mode
 * and for fields patchbay does not know; short secrets show none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Credentials } from '../../src/define/context.ts';
import { maskCredentials, maskSecret } from '../../src/connections/credentials.ts';
import { assertRevealsAtMost4, secretOf } from './helpers.ts';

describe('masks', () => {
  it('maskSecret shows the last 4 characters of a long secret, none of a short one', () => {
    assert.equal(maskSecret('ghp_0123456789abcdef'), '…cdef');
    assert.equal(maskSecret('0123456789abcdef'), '…cdef');
    assert.equal(maskSecret('0123456789abcde'), '****');
    assert.equal(maskSecret(''), '****');
    for (const length of [1, 8, 12, 15, 16, 40, 200]) {
      const secret = secretOf(length);
      const masked = maskSecret(secret);
      assertRevealsAtMost4(masked, secret);
      assert.ok(masked.replace(/[…*]/g, '').length <= 4, masked);
    }
  });

  it('maskCredentials masks every secret field of every auth mode, unknown fields included', () => {
    const secrets = { access: secretOf(40), refresh: secretOf(40), api: secretOf(32), nango: secretOf(32), user: secretOf(24), pass: secretOf(24), token: secretOf(36), extra: secretOf(30), raw: secretOf(30) };
    const all: Credentials[] = [
      { type: 'OAUTH2', access_token: secrets.access, refresh_token: secrets.refresh, expires_at: '2030-01-01T00:00:00.000Z', raw: { id_token: secrets.raw } },
      { type: 'API_KEY', api_key: secrets.api, apiKey: secrets.nango },
      { type: 'BASIC', username: secrets.user, password: secrets.pass },
      { type: 'BEARER', token: secrets.token },
      { type: 'BEARER', token: secrets.token, client_secret: secrets.extra } as Credentials,
    ];
    for (const credentials of all) {
      const masked = JSON.stringify(maskCredentials(credentials));
      for (const secret of Object.values(secrets)) assertRevealsAtMost4(masked, secret, credentials.type);
    }
    assert.deepEqual(maskCredentials(all[0]!), { type: 'OAUTH2', access_token: `…${secrets.access.slice(-4)}`, refresh_token: `…${secrets.refresh.slice(-4)}`, expires_at: '2030-01-01T00:00:00.000Z', raw: '[hidden]' });
    assert.deepEqual(maskCredentials({ type: 'BASIC', username: 'me@acme.io', password: '' }), { type: 'BASIC', username: '****', password: '****' });
    assert.deepEqual(maskCredentials({ type: 'NONE' }), { type: 'NONE' });
  });
});
