/**
 * End to end through the executor (worker threads): an upstream error body and a token endpoint
 * error that echo a credential, cut by the excerpt inside the secret, reach neither the error,
 * nor the MCP error result, nor the pino log, nor the stored refresh error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { PatchbayError } from '../../src/errors.ts';
import { errorResult } from '../../src/mcp/result.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { assertNoLeak, randomSecret } from '../upstream/helpers.ts';
import { captureLog } from './helpers.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

let project: RuntimeProject;
let runtime: App;
const log = captureLog();

before(async () => {
  project = await runtimeProject();
  runtime = await project.open({ logger: createLogger({ destination: log.stream, level: 'debug' }) });
});
after(() => project.cleanup());

async function failing(work: Promise<unknown>): Promise<PatchbayError> {
  const error = await work.then(() => assert.fail('expected the run to fail'), (e: unknown) => e);
  assert.ok(error instanceof PatchbayError, String(error));
  return error;
}

function assertNowhere(error: PatchbayError, secret: string, context: { integrationId: string; connectionId: string }): void {
  assertNoLeak(error.message, secret, 'the error message');
  assertNoLeak(JSON.stringify(error.toJSON()), secret, 'the error JSON');
  assertNoLeak(JSON.stringify(errorResult(error, context)), secret, 'the MCP error result');
  assertNoLeak(log.text(), secret, 'the pino log');
}

test('an API key echoed by the provider, cut inside by the excerpt, does not reach the result or the log', async () => {
  const key = randomSecret();
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'leaky', credentials: { type: 'API_KEY', api_key: key } });
  const run = (params: Record<string, string>) => runtime.executor.run({ integrationId: 'fake', name: 'reflect', connectionId: 'leaky', input: { params: { echo: 'x-api-key', ...params } } });
  const probe = JSON.stringify((await run({ status: '200' })).output);
  const pad = 300 - probe.indexOf(key) - (key.length - 3);
  const error = await failing(run({ status: '403', pad: String(pad) }));
  assert.equal(error.code, 'UPSTREAM_HTTP_ERROR', error.message);
  assert.equal(project.api.requests.at(-1)?.headers['x-api-key'], key, 'the provider did receive the key');
  assert.match(log.text(), /answered 403/, 'the failure was logged');
  assertNowhere(error, key, { integrationId: 'fake', connectionId: 'leaky' });
});

test('a refresh token echoed by the token endpoint does not reach the result, the log or the stored refresh error', async () => {
  const refresh = randomSecret('rt_');
  await runtime.connections.add({
    integrationId: 'oauthy',
    connectionId: 'leaky',
    credentials: { type: 'OAUTH2', access_token: randomSecret('at_'), refresh_token: refresh, expires_at: new Date(Date.now() - 1000).toISOString(), raw: {} },
  });
  const before = '{"error":"invalid_request","error_description":"refresh_token='.length;
  project.api.state.oauth.tokenFailure = 'echo';
  project.api.state.oauth.echo = { field: 'refresh_token', pad: 200 - before - (refresh.length - 3), status: 400, type: 'json' };
  try {
    const error = await failing(runtime.executor.run({ integrationId: 'oauthy', name: 'whoami', connectionId: 'leaky', input: {} }));
    assert.equal(project.api.state.tokenRequests.at(-1)?.params['refresh_token'], refresh, 'the endpoint did receive the refresh token');
    assertNowhere(error, refresh, { integrationId: 'oauthy', connectionId: 'leaky' });
    const stored = await runtime.store.connections.get('oauthy', 'leaky');
    assertNoLeak(JSON.stringify(stored?.refresh_error ?? ''), refresh, 'the stored refresh error');
  } finally {
    project.api.state.oauth.tokenFailure = null;
  }
});
