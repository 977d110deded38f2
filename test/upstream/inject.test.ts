/** The pure parts of a request: base URL templates, credential injection, URL joining and redaction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchbayError } from '../../src/errors.ts';
import { buildUrl } from '../../src/upstream/build.ts';
import { injectAuth, mayReceiveCredentials, resolveBaseUrl } from '../../src/upstream/inject.ts';
import { addHeaderSecrets, emptySecrets, redactHeaders, redactText, redactUrl } from '../../src/upstream/redact.ts';
import { fakeIntegration } from './helpers.ts';

test('base_url placeholders, Nango `A || B` alternatives and a clear error for a missing field', () => {
  const integration = fakeIntegration('https://${connectionConfig.subdomain}.example.com/api || https://www.example.com/api', 'NONE');
  assert.equal(resolveBaseUrl(integration, { subdomain: 'acme' }), 'https://acme.example.com/api');
  assert.equal(resolveBaseUrl(integration, {}), 'https://www.example.com/api');
  const strict = fakeIntegration('https://${connectionConfig.subdomain}.example.com', 'NONE');
  assert.throws(() => resolveBaseUrl(strict, {}), (e: unknown) => e instanceof PatchbayError && e.code === 'INVALID_CONFIG' && /needs connectionConfig\.subdomain/.test(e.message));
  assert.throws(() => resolveBaseUrl(strict, { subdomain: '' }), PatchbayError);
});

test('connection config cannot move the base URL to another host', () => {
  const strict = fakeIntegration('https://${connectionConfig.subdomain}.example.com/api/${connectionConfig.tenant}', 'NONE');
  assert.equal(resolveBaseUrl(strict, { subdomain: 'acme-eu', tenant: 't1' }), 'https://acme-eu.example.com/api/t1');
  for (const subdomain of ['evil.io#', 'evil.io/x?', 'user@evil.io', 'evil.io\\']) {
    assert.throws(() => resolveBaseUrl(strict, { subdomain, tenant: 't1' }), (e: unknown) => e instanceof PatchbayError && e.code === 'INVALID_CONFIG', subdomain);
  }
  assert.throws(() => resolveBaseUrl(strict, { subdomain: 'acme', tenant: '../admin' }), PatchbayError);
  assert.throws(() => resolveBaseUrl(strict, { subdomain: 'acme', tenant: 't1?x=1' }), PatchbayError);
  const whole = fakeIntegration('${connectionConfig.instance_url}', 'NONE');
  assert.equal(resolveBaseUrl(whole, { instance_url: 'https://acme.my.salesforce.com' }), 'https://acme.my.salesforce.com');
});

test('buildUrl keeps the base path and joins slashes like Nango', () => {
  assert.equal(buildUrl('https://api.x.com/v2/', '/users', { a: 1 }).toString(), 'https://api.x.com/v2/users?a=1');
  assert.equal(buildUrl('https://api.x.com/v2', 'users/1').toString(), 'https://api.x.com/v2/users/1');
  assert.equal(buildUrl('https://api.x.com', 'https://uploads.x.com/f').toString(), 'https://uploads.x.com/f');
  assert.equal(buildUrl('https://api.x.com', '/s?q=1', '?page=2').toString(), 'https://api.x.com/s?q=1&page=2');
});

test('injection: defaults per mode, provider headers override authorization, base64 and credentials.* placeholders', () => {
  const bearer = injectAuth(fakeIntegration('https://a.io', 'OAUTH2'), { type: 'OAUTH2', access_token: 'tok-123', raw: {} }, {});
  assert.deepEqual(bearer.headers, { authorization: 'Bearer tok-123' });
  const custom = injectAuth(
    fakeIntegration('https://a.io', 'OAUTH2', { proxy: { base_url: 'https://a.io', headers: { Authorization: 'token ${accessToken}', Accept: 'application/json' } } }),
    { type: 'OAUTH2', access_token: 'tok-123', raw: {} },
    {},
  );
  assert.deepEqual(custom.headers, { authorization: 'token tok-123' });
  const basic = injectAuth(
    fakeIntegration('https://a.io', 'BASIC', { proxy: { base_url: 'https://a.io', headers: { authorization: 'Basic ${base64(${credentials.username}:${credentials.password})}' } } }),
    { type: 'BASIC', username: 'u', password: 'p' },
    {},
  );
  assert.equal(basic.headers['authorization'], `Basic ${Buffer.from('u:p').toString('base64')}`);
  const key = injectAuth(fakeIntegration('https://a.io', 'API_KEY'), { type: 'API_KEY', api_key: 'k-secret' }, {});
  assert.deepEqual(key.headers, {}, 'API_KEY has no default: the provider says where the key goes');
  assert.ok(key.secrets.values.includes('k-secret'));
});

test('credential host rules: origin, allowed hosts with wildcards, never plain http to a foreign host', () => {
  assert.ok(mayReceiveCredentials(new URL('https://api.x.com/a'), 'https://api.x.com/v2'));
  assert.ok(!mayReceiveCredentials(new URL('https://evil.io/a'), 'https://api.x.com'));
  assert.ok(!mayReceiveCredentials(new URL('https://api.x.com.evil.io/a'), 'https://api.x.com'));
  assert.ok(mayReceiveCredentials(new URL('https://uploads.x.com/a'), 'https://api.x.com', ['*.x.com']));
  assert.ok(!mayReceiveCredentials(new URL('http://uploads.x.com/a'), 'https://api.x.com', ['*.x.com']));
});

test('redaction by name and by value', () => {
  const secrets = emptySecrets();
  secrets.names.add('x-team-key');
  secrets.values.push('s3cr3t-value');
  assert.equal(redactUrl('https://u:p@a.io/x?api_key=1&x-team-key=2&q=s3cr3t-value&page=3', secrets), 'https://a.io/x?api_key=[REDACTED]&x-team-key=[REDACTED]&q=[REDACTED]&page=3');
  assert.deepEqual(redactHeaders({ Authorization: 'Bearer x', 'x-team-key': 'k', accept: 'json', other: 'has s3cr3t-value' }, secrets), {
    Authorization: '[REDACTED]',
    'x-team-key': '[REDACTED]',
    accept: 'json',
    other: 'has [REDACTED]',
  });
});

test('addHeaderSecrets: every secret header value sent, after its scheme, basic halves, cookie values', () => {
  const secrets = emptySecrets();
  secrets.names.add('x-workspace-token');
  addHeaderSecrets(secrets, {
    Authorization: `Basic ${Buffer.from('someone-long:pass-word-123').toString('base64')}`,
    cookie: 'theme=dark; session=sess-abcdef123456',
    'X-Workspace-Token': 'Token ws-0123456789',
    accept: 'application/json-secretish',
  });
  const text = redactText('pass-word-123 sess-abcdef123456 ws-0123456789 dark application/json-secretish', secrets);
  assert.equal(text, '[REDACTED] [REDACTED] [REDACTED] dark application/json-secretish');
});
