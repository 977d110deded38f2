/** Token requests against the fake API's OAuth server: code exchange with PKCE, auth methods, clear failures. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PatchbayError } from '../../src/errors.ts';
import { authorizationUrl, checkCallback, createPkce, createState } from '../../src/connections/oauth/authorize.ts';
import { clientCredentialsToken, exchangeCode, refreshAccessToken } from '../../src/connections/oauth/oauth2.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { fakeIntegration } from '../upstream/helpers.ts';

let api: FakeApi;
before(async () => {
  api = await startFakeApi({ accessTokenTtl: 120 });
});
after(() => api.close());

const REDIRECT = 'http://127.0.0.1:3003/callback';

/** Runs the authorize step as a browser would and returns the code. */
async function authorize(challenge?: string): Promise<string> {
  const url = new URL(`${api.url}/oauth/authorize`);
  url.searchParams.set('client_id', 'test-client-id');
  url.searchParams.set('redirect_uri', REDIRECT);
  url.searchParams.set('state', 'st');
  if (challenge) {
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  const res = await fetch(url, { redirect: 'manual' });
  return new URL(res.headers.get('location')!).searchParams.get('code')!;
}

test('exchangeCode with a PKCE verifier returns credentials with expires_at', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const code = await authorize(createHash('sha256').update(verifier).digest('base64url'));
  const integration = fakeIntegration(api.url, 'OAUTH2', { token_params: { audience: 'api' } });
  const now = Date.now();
  const credentials = await exchangeCode(integration, { code, redirectUri: REDIRECT, codeVerifier: verifier }, { now });
  assert.equal(credentials.type, 'OAUTH2');
  assert.ok(credentials.access_token.startsWith('at-'));
  assert.ok(credentials.refresh_token?.startsWith('rt-'));
  assert.equal(credentials.expires_at, new Date(now + 120_000).toISOString());
  const request = api.state.tokenRequests.at(-1)!;
  assert.equal(request.params['audience'], 'api');
  assert.equal(request.params['code_verifier'], verifier);
});

test('a wrong verifier is OAUTH_FAILED with the provider’s reason, and without the secret', async () => {
  const code = await authorize(createHash('sha256').update('right').digest('base64url'));
  const err = await exchangeCode(fakeIntegration(api.url, 'OAUTH2'), { code, redirectUri: REDIRECT, codeVerifier: 'wrong-verifier' }).catch((e: unknown) => e);
  assert.ok(err instanceof PatchbayError);
  assert.equal(err.code, 'OAUTH_FAILED');
  assert.match(err.message, /refused the authorization_code grant: invalid_grant \(PKCE verification failed\)/);
  assert.ok(!JSON.stringify(err.toJSON()).includes('test-client-secret'));
});

test('token_request_auth_method basic sends the client in the Authorization header', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2_CC', { token_request_auth_method: 'basic' });
  const credentials = await clientCredentialsToken(integration);
  assert.equal(credentials.type, 'OAUTH2_CC');
  const request = api.state.tokenRequests.at(-1)!;
  assert.equal(request.client_auth, 'basic');
  assert.equal(request.params['client_secret'], undefined);
});

test('refresh keeps the old refresh token when the provider sends none; failures are AUTH_REFRESH_FAILED / NEEDS_REAUTH', async () => {
  const noRotation = await startFakeApi({ rotateRefreshTokens: false });
  try {
    const seeded = noRotation.seedTokens();
    const integration = fakeIntegration(noRotation.url, 'OAUTH2');
    const next = await refreshAccessToken(integration, { type: 'OAUTH2', access_token: seeded.access_token, refresh_token: seeded.refresh_token, raw: {} });
    assert.equal(next.refresh_token, seeded.refresh_token);
    assert.notEqual(next.access_token, seeded.access_token);
    noRotation.state.oauth.tokenFailure = 'server';
    const outage = await refreshAccessToken(integration, next).catch((e: unknown) => e);
    assert.ok(outage instanceof PatchbayError && outage.code === 'AUTH_REFRESH_FAILED');
    assert.deepEqual(outage.details, { transient: true });
    const missing = await refreshAccessToken(integration, { type: 'OAUTH2', access_token: 'x', raw: {} }).catch((e: unknown) => e);
    assert.ok(missing instanceof PatchbayError && missing.code === 'NEEDS_REAUTH');
  } finally {
    await noRotation.close();
  }
});

test('an unreachable token endpoint is a transient failure naming the endpoint', async () => {
  const gone = await startFakeApi();
  const url = gone.url;
  await gone.close();
  const err = await clientCredentialsToken(fakeIntegration(url, 'OAUTH2_CC')).catch((e: unknown) => e);
  assert.ok(err instanceof PatchbayError && err.code === 'OAUTH_FAILED');
  assert.match(err.message, new RegExp(`Could not reach the token endpoint of FakeAPI \\(${url}/oauth/token\\)`));
});

test('the whole authorization-code flow: authorize URL with PKCE, callback check, exchange; denial is explained', async () => {
  const integration = fakeIntegration(api.url, 'OAUTH2', { authorization_params: { prompt: 'consent' }, default_scopes: ['read', 'write'], scope_separator: ',' });
  const pkce = createPkce();
  const state = createState();
  const url = authorizationUrl(integration, { redirectUri: REDIRECT, state, pkce });
  assert.equal(url.searchParams.get('scope'), 'read,write');
  assert.equal(url.searchParams.get('prompt'), 'consent');
  const redirect = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
  assert.throws(() => checkCallback(redirect, 'another-state'), /state that does not match/);
  const code = checkCallback(redirect, state);
  const credentials = await exchangeCode(integration, { code, redirectUri: REDIRECT, codeVerifier: pkce.verifier });
  assert.ok(api.state.accessTokens.has(credentials.access_token));

  api.state.oauth.deny = true;
  try {
    const denied = new URL((await fetch(authorizationUrl(integration, { redirectUri: REDIRECT, state, pkce }), { redirect: 'manual' })).headers.get('location')!);
    assert.throws(() => checkCallback(denied, state), (e: unknown) => e instanceof PatchbayError && e.code === 'OAUTH_FAILED' && /access_denied.*declined/.test(e.message));
  } finally {
    api.state.oauth.deny = false;
  }
});
