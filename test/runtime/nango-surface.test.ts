/**
 * The rest of Nango's `nango` surface, end to end through the real runtime (workers, SQLite,
 * the fake API): listRecords, uncontrolledFetch, field mappings, getIntegration, trackDeletesEnd's
 * deletedKeys, triggerSync, releaseAllLocks, and Nango's loose `batchSave<T>` typing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileProject, formatDiagnostic } from '../../src/build/index.ts';
import type { PatchbayError } from '../../src/errors.ts';
import type { App } from '../../src/app.ts';
import { tempProject } from '../build/project.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

// A Nango-style sync: explicit loose record types on batchSave / getRecordsByIds / batchUpdate,
// listRecords, trackDeletesEnd's deletedKeys, batchSend, modelFullName.
const SURFACE_SYNC = `import { z } from 'zod';
import { createSync } from 'nango';

const Item = z.object({ id: z.string(), label: z.string() });
type LooseItem = { id: string; label: string; note?: string | null };

export default createSync({
    description: 'Items from metadata, then read back.',
    frequency: 'every day',
    models: { Item },
    metadata: z.object({ labels: z.array(z.string()) }),
    exec: async (nango) => {
        const { labels } = await nango.getMetadata();
        await nango.trackDeletesStart('Item');
        const loose: LooseItem[] = labels.map((label) => ({ id: label, label }));
        await nango.batchSave<LooseItem>(loose.slice(0, 1), 'Item');
        await nango.batchSend(loose.slice(1), 'Item');
        await nango.batchUpdate<LooseItem>([{ id: labels[0]!, label: labels[0]!.toUpperCase() }], 'Item');
        const { deletedKeys } = await nango.trackDeletesEnd('Item');
        const found = await nango.getRecordsByIds<string, LooseItem>([labels[0]!], 'Item');
        const listed: string[] = [];
        for await (const record of nango.listRecords<LooseItem>('Item')) listed.push(record.id + '=' + record.label);
        await nango.log('surface', { deletedKeys, listed, found: found.get(labels[0]!)?.label ?? null, full: nango.modelFullName('Item') });
    }
});
`;

const SURFACE_ACTION = `import { z } from 'zod';
import { createAction } from 'nango';

export default createAction({
    description: 'Exercise the non-proxy surface.',
    input: z.object({ url: z.string(), op: z.string() }),
    output: z.unknown(),
    exec: async (nango, input) => {
        nango.setLogger({ level: 'warn' });
        if (input.op === 'fetch') {
            const response = await nango.uncontrolledFetch({ url: input.url, method: 'POST', headers: { 'content-type': 'application/json', 'x-probe': 'yes' }, body: '{"hello":"world"}' });
            return { status: response.status, echo: await response.json() };
        }
        if (input.op === 'mapping') {
            const before = await nango.getFieldMapping();
            await nango.setFieldMapping({ email: 'Email__c' });
            return { before, after: await nango.getFieldMapping(), metadata: await nango.getMetadata(), attributes: nango.getFlowAttributes(), isCLI: nango.isCLI };
        }
        if (input.op === 'locks') {
            const first = await nango.tryAcquireLock({ key: 'a', ttlMs: 60000 });
            await nango.tryAcquireLock({ key: 'b', ttlMs: 60000 });
            await nango.releaseAllLocks();
            // A nested execution is another lock owner: it gets both only if they were released.
            const other = await nango.triggerAction(nango.providerConfigKey, nango.connectionId, 'surface', { url: '', op: 'grab' });
            return { first, other };
        }
        if (input.op === 'grab') {
            return [await nango.tryAcquireLock({ key: 'a', ttlMs: 60000 }), await nango.tryAcquireLock({ key: 'b', ttlMs: 60000 })];
        }
        if (input.op === 'trigger') {
            await nango.triggerSync(nango.providerConfigKey, nango.connectionId, 'surface-items', true);
            return { triggered: true };
        }
        if (input.op === 'integration') return await nango.getIntegration();
        if (input.op === 'apikey') {
            const { credentials } = await nango.getConnection();
            return credentials.type === 'API_KEY' ? { nango: credentials.apiKey === input.url, patchbay: credentials.api_key === input.url } : null;
        }
        throw new nango.ActionError({ message: 'unknown op' });
    }
});
`;

let project: RuntimeProject;
let runtime: App;

function write(relative: string, content: string): void {
  const file = path.join(project.root, 'integrations', relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

before(async () => {
  project = await runtimeProject();
  write('fake/syncs/surface-items.ts', SURFACE_SYNC);
  write('fake/actions/surface.ts', SURFACE_ACTION);
  write('oauthy/actions/surface.ts', SURFACE_ACTION);
  runtime = await project.open();
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'c1', credentials: { type: 'API_KEY', api_key: 'surface-secret-key' }, metadata: { labels: ['a', 'b', 'c'] } });
  await runtime.connections.add({ integrationId: 'oauthy', connectionId: 'o1', credentials: { type: 'OAUTH2', access_token: 'oauth-token', raw: {} } });
});
after(() => project.cleanup());

const act = (op: string, extra: Record<string, unknown> = {}) =>
  runtime.executor.run({ integrationId: 'fake', name: 'surface', connectionId: 'c1', input: { url: `${project.api.url}/echo/probe?x=1`, op }, ...extra });

interface SurfaceLog {
  deletedKeys: string[];
  listed: string[];
  found: string | null;
  full: string;
}
async function syncOnce(labels: string[]): Promise<SurfaceLog> {
  await runtime.connections.setMetadata('fake', 'c1', { labels });
  const result = await runtime.executor.run({ integrationId: 'fake', name: 'surface-items', connectionId: 'c1' });
  const entry = result.logs.find((l) => l.message === 'surface');
  assert.ok(entry, 'the sync logged its findings');
  return entry.payload as SurfaceLog;
}

test('listRecords reads back what batchSave stored (updates applied, deletes left out); trackDeletesEnd resolves deletedKeys', async () => {
  const first = await syncOnce(['a', 'b', 'c']);
  assert.deepEqual(first.listed, ['b=b', 'c=c', 'a=A'], 'cursor order: the update of "a" moved it last');
  assert.deepEqual(first.deletedKeys, []);
  assert.equal(first.found, 'A');
  assert.equal(first.full, 'Item');
  const second = await syncOnce(['a', 'c']);
  assert.deepEqual(second.deletedKeys, ['b'], 'the record not saved again is deleted and named');
  assert.deepEqual(second.listed.sort(), ['a=A', 'c=c'], 'a deleted record is not listed');
  const stored = await runtime.store.records.getByIds({ integrationId: 'fake', connectionId: 'c1', model: 'Item' }, ['b']);
  assert.notEqual(stored.get('b')?.deleted_at, null);
});

test('uncontrolledFetch is a plain fetch: the request arrives without credentials, the Response is standard', async () => {
  const before = project.api.requests.length;
  const result = await act('fetch');
  const out = result.output as { status: number; echo: { method: string; path: string; query: Record<string, string>; headers: Record<string, string>; body: unknown } };
  assert.equal(out.status, 200);
  assert.equal(out.echo.method, 'POST');
  assert.equal(out.echo.path, '/echo/probe');
  assert.deepEqual(out.echo.body, { hello: 'world' });
  const seen = project.api.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.headers['x-probe'], 'yes');
  assert.equal(seen[0]!.headers['authorization'], undefined, 'no Authorization header');
  assert.equal(seen[0]!.headers['x-api-key'], undefined, 'the connection API key is not injected');
  assert.doesNotMatch(JSON.stringify(seen[0]!.headers), /surface-secret-key/);
  assert.ok(result.logs.some((l) => l.level === 'debug' && /uncontrolledFetch POST .*\/echo\/probe → 200/.test(l.message) && !l.message.includes('x=1')));
});

test('uncontrolledFetch refuses non-http URLs and is aborted with the execution', async () => {
  await assert.rejects(act('fetch', { input: { url: 'file:///etc/passwd', op: 'fetch' } }), (error: PatchbayError) => {
    assert.equal(error.code, 'ACTION_ERROR');
    assert.match(error.message, /only fetches http: and https: URLs \(got file:\)/);
    return true;
  });
  const closedBefore = project.api.state.closedEarly;
  const requestsBefore = project.api.requests.length;
  const controller = new AbortController();
  const pending = act('fetch', { input: { url: `${project.api.url}/slow?ms=30000`, op: 'fetch' }, signal: controller.signal });
  for (let i = 0; i < 500 && !project.api.requests.slice(requestsBefore).some((r) => r.path === '/slow'); i++) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  await assert.rejects(pending, (error: PatchbayError) => error.code === 'ABORTED');
  for (let i = 0; i < 250 && project.api.state.closedEarly === closedBefore; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(project.api.state.closedEarly, closedBefore + 1, 'the fake API saw the client hang up');
});

test('field mapping round-trips through the connection metadata; flow attributes are null; isCLI follows dry runs', async () => {
  const result = await act('mapping');
  const out = result.output as Record<string, unknown>;
  assert.deepEqual(out['before'], {});
  assert.deepEqual(out['after'], { email: 'Email__c' });
  assert.deepEqual((out['metadata'] as Record<string, unknown>)['fieldMapping'], { email: 'Email__c' });
  assert.ok(Array.isArray((out['metadata'] as Record<string, unknown>)['labels']), 'the rest of the metadata is kept');
  assert.equal(out['attributes'], null);
  assert.equal(out['isCLI'], false);
  assert.deepEqual((await runtime.connections.get('fake', 'c1')).metadata?.['fieldMapping'], { email: 'Email__c' });
  assert.ok(result.logs.some((l) => l.level === 'warn' && /getFieldMapping is deprecated/.test(l.message)));
  const dry = await act('mapping', { dryRun: true });
  assert.equal((dry.output as Record<string, unknown>)['isCLI'], true);
});

test('getIntegration gives the public configuration and never the client secret', async () => {
  const result = await runtime.executor.run({ integrationId: 'oauthy', name: 'surface', connectionId: 'o1', input: { url: '', op: 'integration' } });
  const out = result.output as Record<string, unknown>;
  assert.equal(out['unique_key'], 'oauthy');
  assert.equal(typeof out['provider'], 'string');
  assert.equal(typeof out['display_name'], 'string');
  assert.deepEqual(out['credentials'], { type: 'OAUTH2', client_id: 'test-client-id', scopes: null });
  assert.doesNotMatch(JSON.stringify(out), /test-client-secret|client_secret/);
});

test('releaseAllLocks lets go of every lock the execution took', async () => {
  const result = await act('locks');
  assert.deepEqual(result.output, { first: true, other: [true, true] });
});

test('triggerSync starts a run without waiting for it; a dry run only logs', async () => {
  await runtime.connections.setMetadata('fake', 'c1', { labels: ['z'] });
  const runsBefore = (await runtime.store.syncs.listRuns({ integrationId: 'fake', syncName: 'surface-items', limit: 1000 })).length;
  const dry = await act('trigger', { dryRun: true });
  assert.ok(dry.logs.some((l) => /dry run: not started/.test(l.message)));
  const result = await act('trigger');
  assert.deepEqual(result.output, { triggered: true });
  assert.ok(result.logs.some((l) => /sync fake\/surface-items for c1 started \(full resync\)/.test(l.message)));
  let runs = await runtime.store.syncs.listRuns({ integrationId: 'fake', syncName: 'surface-items', limit: 1000 });
  for (let i = 0; i < 500 && !(runs.length > runsBefore && runs[0]!.status === 'success'); i++) {
    await new Promise((r) => setTimeout(r, 20));
    runs = await runtime.store.syncs.listRuns({ integrationId: 'fake', syncName: 'surface-items', limit: 1000 });
  }
  assert.equal(runs.length, runsBefore + 1, 'exactly one run: the dry run started none');
  assert.equal(runs[0]!.status, 'success');
  const live = await runtime.store.records.query({ integrationId: 'fake', connectionId: 'c1', model: 'Item' }, { filter: ['added', 'updated'] });
  assert.deepEqual(live.records.map((r) => r.id), ['z']);
});

test("Nango's loose batchSave<T> typing type-checks; a record type without id does not", async (t) => {
  const ok = tempProject({ 'demo/syncs/surface-items.ts': SURFACE_SYNC });
  t.after(ok.cleanup);
  const result = await compileProject(ok.paths, { typecheck: true, force: true });
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
  const bad = tempProject({ 'demo/syncs/surface-items.ts': SURFACE_SYNC.replace('type LooseItem = { id: string;', 'type LooseItem = { key: string;').replace(/id: label, label/, 'key: label, label').replace("{ id: labels[0]!, label", "{ key: labels[0]!, label").replace("record.id +", "record.key +") });
  t.after(bad.cleanup);
  const failed = await compileProject(bad.paths, { typecheck: true, force: true });
  const errors = failed.diagnostics.filter((d) => d.severity === 'error');
  assert.ok(errors.some((d) => /^TS\d+$/.test(d.code) && /RawModel|'id'/.test(d.message)), errors.map(formatDiagnostic).join('\n'));
});

test('patchbay test answers uncontrolledFetch from the recordings (by URL path, as Nango templates mock it)', async (t) => {
  const action = `import { z } from 'zod';
import { createAction } from 'nango';
export default createAction({
    description: 'Roles from a side service.',
    input: z.object({}),
    output: z.object({ roles: z.array(z.string()), status: z.number() }),
    exec: async (nango) => {
        const response = await nango.uncontrolledFetch({ url: new URL('https://side.example.invalid/v1/roles'), headers: { 'X-Tenant': 't1' } });
        const body = (await response.json()) as { data: string[] };
        return { roles: body.data, status: response.status };
    }
});
`;
  const fixture = {
    input: {},
    output: { roles: ['admin', 'viewer'], status: 200 },
    nango: {},
    api: { get: { '/v1/roles': { response: { data: ['admin', 'viewer'] }, status: 200, headers: { 'content-type': 'application/json' } } } },
  };
  const replay = tempProject({ 'side/actions/roles.ts': action, 'side/tests/roles.test.json': JSON.stringify(fixture) });
  t.after(replay.cleanup);
  const { execFile } = await import('node:child_process');
  const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [main, '--integrations', path.join(replay.root, 'integrations'), '--home', path.join(replay.root, 'home'), 'test'], { cwd: replay.root, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /✓ side\/roles/);
});

test("getConnection() carries an API key under Nango's name (apiKey) as well as api_key", async () => {
  const result = await runtime.executor.run({ integrationId: 'fake', name: 'surface', connectionId: 'c1', input: { url: 'surface-secret-key', op: 'apikey' } });
  assert.deepEqual(result.output, { nango: true, patchbay: true });
});
