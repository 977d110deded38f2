/**
 * A token endpoint that echoes what it was sent (client_secret, refresh_token, code, the basic
 * Authorization header) in its error must not leak it: neither through the provider's
 * error_description in the message, nor through an excerpt cut inside the secret.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { PatchbayError } from '../../src/errors.ts';
import { errorResult } from '../../src/mcp/result.ts';
import { clientCredentialsToken, exchangeCode, refreshAccessToken } from '../../src/connections/oauth/oauth2.ts';
import type { IntegrationConfig } from '../../src/providers/types.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { assertNoLeak, fakeIntegration, randomSecret } from '../upstream/helpers.ts';

let api: FakeApi;
before(async () => {
  api = await startFakeApi();
});
after(() => api.close());

/** Where oauth2.ts cuts the excerpt of a token endpoint's body. */
const EXCERPT = 200;
const JSON_HEAD = '{"error":"invalid_request","error_description":"';

/** Makes the token endpoint echo `field` with a padding that cuts the excerpt 3 characters before the secret ends. */
function echo(field: string, secret: string, type: 'json' | 'text', status = 400, scheme = ''): void {
  const before = (type === 'json' ? JSON_HEAD.length : 0) + `${field}=${scheme}`.length;
  api.state.oauth.tokenFailure = 'echo';
  api.state.oauth.echo = { field, pad: EXCERPT - before - (secret.length - 3), status, type };
}

function integrationWithSecret(secret: string, extra: Parameters<typeof fakeIntegration>[2] = {}): IntegrationConfig {
  const integration = fakeIntegration(api.url, 'OAUTH2', extra);
  integration.oauth.client_secret = secret;
  return integration;
}

async function failure(work: Promise<unknown>, code: string): Promise<PatchbayError> {
  const error = await work.then(() => assert.fail('expected the token request to fail'), (e: unknown) => e);
  assert.ok(error instanceof PatchbayError, String(error));
  assert.equal(error.code, code, error.message);
  return error;
}

function assertNowhere(error: PatchbayError, secret: string): void {
  assertNoLeak(error.message, secret, 'the error message');
  assertNoLeak(error.excerpt ?? '', secret, 'the excerpt');
  assertNoLeak(JSON.stringify(error.toJSON()), secret, 'the error JSON');
  assertNoLeak(JSON.stringify(errorResult(error, { integrationId: 'fake', connectionId: 'c' })), secret, 'the MCP error result');
}

test('a refresh token echoed in error_description (JSON) is redacted in the message and the cut excerpt', async () => {
  const refresh = randomSecret('rt_');
  echo('refresh_token', refresh, 'json');
  const error = await failure(refreshAccessToken(fakeIntegration(api.url, 'OAUTH2'), { type: 'OAUTH2', access_token: 'x', refresh_token: refresh, raw: {} }), 'AUTH_REFRESH_FAILED');
  assert.equal(api.state.tokenRequests.at(-1)?.params['refresh_token'], refresh, 'the endpoint did receive the secret');
  assertNowhere(error, refresh);
});

test('a client_secret echoed back (JSON and text bodies) is redacted', async () => {
  const secret = randomSecret('cs_');
  echo('client_secret', secret, 'json');
  assertNowhere(await failure(clientCredentialsToken(integrationWithSecret(secret, {})), 'OAUTH_FAILED'), secret);
  echo('client_secret', secret, 'text', 401);
  assertNowhere(await failure(clientCredentialsToken(integrationWithSecret(secret, {})), 'OAUTH_FAILED'), secret);
});

test('an authorization code and a PKCE verifier echoed back are redacted', async () => {
  const code = randomSecret('code_');
  const verifier = randomSecret('ver_');
  echo('code', code, 'text', 401);
  assertNowhere(await failure(exchangeCode(fakeIntegration(api.url, 'OAUTH2'), { code, redirectUri: 'http://127.0.0.1/cb', codeVerifier: verifier }), 'OAUTH_FAILED'), code);
  echo('code_verifier', verifier, 'json');
  assertNowhere(await failure(exchangeCode(fakeIntegration(api.url, 'OAUTH2'), { code, redirectUri: 'http://127.0.0.1/cb', codeVerifier: verifier }), 'OAUTH_FAILED'), verifier);
});

test('the basic Authorization header of token_request_auth_method basic is redacted when echoed', async () => {
  const secret = randomSecret('cs_');
  const header = Buffer.from(`test-client-id:${secret}`).toString('base64');
  echo('authorization', header, 'text', 401, 'Basic ');
  const error = await failure(clientCredentialsToken(integrationWithSecret(secret, { token_request_auth_method: 'basic' })), 'OAUTH_FAILED');
  assertNowhere(error, header);
  assertNowhere(error, secret);
});
