/**
 * `listIntegrations`, `getIntegration`, `listProviders` and `getProvider` with `@nangohq/node`
 * against `patchbay serve`: the project's integrations with their functions and schemas, the
 * provider catalog, scoped keys' views, no secret in any answer, and writes refused with where
 * to make the change.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Nango } from '@nangohq/node';
import { createApiKey } from '../../src/connections/api-keys.ts';
import { SECRET } from '../mcp/helpers.ts';
import { failure, startApiServer, type ApiServer } from './helpers.ts';

const OTHER_ONLY = 'pb_sk_test_other_only_key_0123456789';

let ctx: ApiServer;
before(async () => {
  ctx = await startApiServer({
    prepare: async (runtime) => {
      await runtime.connections.add({ integrationId: 'other', connectionId: 'olga', credentials: { type: 'API_KEY', api_key: 'other-key' } });
      await createApiKey(runtime.store, { name: 'other-only', connections: ['other:olga'], secret: OTHER_ONLY });
    },
  });
});
after(() => ctx.close());

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey });
const status = failure;

describe('integrations and providers with @nangohq/node', () => {
  it('listIntegrations lists the project’s integrations', async () => {
    const { configs } = await nango().listIntegrations();
    assert.deepEqual(configs.map((i) => i.unique_key).sort(), ['fake', 'other']);
    assert.equal(configs.find((i) => i.unique_key === 'fake')?.provider, 'fake');
  });

  it('getIntegration has its functions with their tool names and JSON schemas, and no secret', async () => {
    const { data } = (await nango().getIntegration({ uniqueKey: 'fake' }, { include: ['webhook', 'credentials'] })) as unknown as {
      data: { unique_key: string; functions: Array<{ name: string; type: string; tool?: string; input?: { properties?: Record<string, unknown> }; models?: Record<string, unknown> }> };
    };
    assert.equal(data.unique_key, 'fake');
    const get = data.functions.find((fn) => fn.name === 'get-issue')!;
    assert.equal(get.type, 'action');
    assert.equal(get.tool, 'fake_get-issue');
    assert.ok(get.input?.properties?.['id'], 'the input schema is there');
    assert.ok(data.functions.find((fn) => fn.name === 'issues')?.models?.['Issue'], 'syncs list their models');
    assert.doesNotMatch(JSON.stringify(data), /test-api-key|secret"\s*:\s*"/);
  });

  it('a scoped key sees only its integrations and the actions its globs match', async () => {
    const other = await nango(OTHER_ONLY).listIntegrations();
    assert.deepEqual(other.configs.map((i) => i.unique_key), ['other']);
    assert.equal((await status(nango(OTHER_ONLY).getIntegration({ uniqueKey: 'fake' }))).status, 403);
    const scoped = (await nango(ctx.project.scopedSecret).getIntegration({ uniqueKey: 'fake' })) as unknown as { data: { functions: Array<{ name: string; type: string }> } };
    const actions = scoped.data.functions.filter((fn) => fn.type === 'action').map((fn) => fn.name);
    assert.ok(actions.length > 0 && actions.every((name) => name.startsWith('get-')), actions.join(', '));
  });

  it('providers: search and one by name; unknown names are 404 with a suggestion', async () => {
    const { data } = await nango().listProviders({ search: 'github' });
    assert.ok(data.some((p) => p.name === 'github'));
    const github = await nango().getProvider({ provider: 'github' });
    assert.equal(github.data.name, 'github');
    assert.ok(github.data.auth_mode);
    const typo = await status(nango().getProvider({ provider: 'githib' }));
    assert.equal(typo.status, 404);
    assert.equal(typo.error.code, 'PROVIDER_NOT_FOUND');
    assert.match(typo.error.message, /github/);
  });

  it('unknown integrations are 404; creating, changing or deleting one is 501 naming the files', async () => {
    assert.equal((await status(nango().getIntegration({ uniqueKey: 'nope' }))).status, 404);
    const create = await status(nango().createIntegration({ provider: 'github', unique_key: 'gh' } as never));
    assert.equal(create.status, 501);
    assert.match(create.error.message, /integrations\/<id>/);
    assert.equal((await status(nango().deleteIntegration('fake'))).status, 501);
  });
});
