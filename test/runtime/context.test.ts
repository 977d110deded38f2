import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from 'zod';
import { ActionError, PatchbayError } from '../../src/errors.ts';
import type { Capabilities, ContextInfo } from '../../src/runtime/capabilities.ts';
import { createContext, toLogEntry, tokenOf } from '../../src/runtime/context.ts';
import { createRecordCollector, memoryState } from '../../src/runtime/dry-run.ts';
import type { ProxyConfiguration } from '../../src/define/context.ts';
import type { LogEntry } from '../../src/runtime/types.ts';

const info: ContextInfo = { connectionId: 'c1', providerConfigKey: 'fake', provider: 'fake-provider', executionId: 'e1' };

/** Capabilities over the in-memory dry-run state; proxy answers from `pages`. */
function caps(pages: unknown[] = []): { caps: Capabilities; calls: ProxyConfiguration[]; logs: LogEntry[]; collector: ReturnType<typeof createRecordCollector> } {
  const calls: ProxyConfiguration[] = [];
  const logs: LogEntry[] = [];
  const collector = createRecordCollector();
  const c: Capabilities = {
    ...memoryState({ metadata: { team: 'core' } }),
    async proxy(config) {
      calls.push(config);
      return { data: pages[calls.length - 1] ?? { items: [] }, status: 200, headers: {} };
    },
    async getConnection() {
      return { connection_id: 'c1', provider_config_key: 'fake', provider: 'fake', credentials: { type: 'BASIC', username: 'u', password: 'p' }, connection_config: {}, metadata: null, created_at: '', updated_at: '' };
    },
    async getEnvironmentVariables() {
      return null;
    },
    async getWebhookURL() {
      return null;
    },
    async triggerAction() {
      return { nested: true };
    },
    async tryAcquireLock() {
      return true;
    },
    async releaseLock() {
      return true;
    },
    log: (entry) => logs.push(entry),
    progress: () => {},
    records: collector.caps,
  };
  return { caps: c, calls, logs, collector };
}

test('log accepts Nango’s variants', () => {
  assert.deepEqual(pick(toLogEntry(['hello'])), { level: 'info', message: 'hello' });
  assert.deepEqual(pick(toLogEntry(['oops', { level: 'error' }])), { level: 'error', message: 'oops' });
  assert.deepEqual(pick(toLogEntry(['data', { a: 1 }])), { level: 'info', message: 'data', payload: { a: 1 } });
  assert.deepEqual(pick(toLogEntry(['data', { a: 1 }, { level: 'warn' }])), { level: 'warn', message: 'data', payload: { a: 1 } });
  assert.deepEqual(pick(toLogEntry([{ x: 1 }])), { level: 'info', message: '{"x":1}' });
  assert.deepEqual(pick(toLogEntry(['a', 1, 2])), { level: 'info', message: 'a', payload: [1, 2] });
  assert.deepEqual(pick(toLogEntry([new Error('boom')])), { level: 'info', message: 'boom' });
});

function pick(entry: LogEntry): Partial<LogEntry> {
  const { time, ...rest } = entry;
  assert.ok(!Number.isNaN(Date.parse(time)));
  return rest;
}

test('getToken follows Nango: token string, or the credentials object for basic auth', async () => {
  assert.equal(tokenOf({ type: 'OAUTH2', access_token: 'at', raw: {} }), 'at');
  assert.equal(tokenOf({ type: 'API_KEY', api_key: 'k' }), 'k');
  assert.equal(tokenOf({ type: 'BEARER', token: 't' }), 't');
  const { caps: c } = caps();
  const nango = createContext(c, info, 'action', new AbortController().signal);
  assert.deepEqual(await nango.getToken(), { type: 'BASIC', username: 'u', password: 'p' });
});

test('get/post set the method; paginate walks pages through proxy with provider defaults', async () => {
  const { caps: c, calls } = caps([
    { items: [1, 2], next: 'b' },
    { items: [3], next: null },
  ]);
  const nango = createContext(c, { ...info, paginationDefaults: { type: 'cursor', cursor_path_in_response: 'next', cursor_name_in_request: 'cursor', response_path: 'items' } }, 'action', new AbortController().signal);
  const pages: number[][] = [];
  for await (const page of nango.paginate<number>({ endpoint: '/things' })) pages.push(page);
  assert.deepEqual(pages, [[1, 2], [3]]);
  assert.equal(calls[1]?.params && (calls[1].params as Record<string, unknown>)['cursor'], 'b');
  await nango.post({ endpoint: '/x', data: { a: 1 } });
  assert.equal(calls.at(-1)?.method, 'POST');
  await assert.rejects(nango.proxy({} as ProxyConfiguration), (e: PatchbayError) => e.code === 'INVALID_ARGUMENT');
});

test('an aborted signal stops proxy calls with the abort reason', async () => {
  const { caps: c } = caps();
  const controller = new AbortController();
  const nango = createContext(c, info, 'action', controller.signal);
  controller.abort(new PatchbayError('TIMEOUT', 'too slow'));
  await assert.rejects(nango.get({ endpoint: '/x' }), (e: PatchbayError) => e.code === 'TIMEOUT');
});

test('sync methods validate records against their model and reach the record capabilities', async () => {
  const { caps: c, collector } = caps();
  const definition = { type: 'sync', models: { Thing: z.object({ id: z.string(), n: z.number() }) } } as never;
  const nango = createContext(c, info, 'sync', new AbortController().signal, { definition });
  assert.equal(await nango.batchSave([{ id: 'a', n: 1 }], 'Thing'), true);
  await nango.batchUpdate([{ id: 'a', n: 2 }], 'Thing');
  await nango.batchDelete([{ id: 'b' }], 'Thing');
  assert.deepEqual(collector.records(), { Thing: { saved: [{ id: 'a', n: 1 }, { id: 'a', n: 2 }], deleted: [{ id: 'b' }] } });
  assert.deepEqual((await nango.getRecordsByIds(['a'], 'Thing')).get('a'), { id: 'a', n: 2 });
  await assert.rejects(nango.batchSave([{ id: 'x', n: 'one' }] as never, 'Thing'), (e: PatchbayError) => {
    assert.equal(e.code, 'INVALID_RECORD');
    assert.match(e.message, /Thing\[0\] \(id x\)\.n: .*expected number/);
    return true;
  });
  await assert.rejects(nango.batchSave([{ n: 1 }] as never, 'Thing'), /Thing\[0\]\.id/);
  await assert.rejects(nango.batchSave([], 'Other' as never), /Unknown model "Other". This sync declares: Thing/);
  await assert.rejects(nango.batchDelete([{}] as never, 'Thing'), /has no "id"/);
  // validate: false lets a wrong shape through (ids are still required by the store).
  const lax = createContext(c, info, 'sync', new AbortController().signal, { definition, validate: false });
  assert.equal(await lax.batchSave([{ id: 'y', n: 'one' }] as never, 'Thing'), true);
});

test('zodValidateInput returns the parse result or throws Nango’s ActionError and logs each issue', async () => {
  const { caps: c, logs } = caps();
  const nango = createContext(c, info, 'action', new AbortController().signal);
  const ok = await nango.zodValidateInput({ zodSchema: z.object({ a: z.number() }), input: { a: 1 } });
  assert.deepEqual(ok.data, { a: 1 });
  await assert.rejects(nango.zodValidateInput({ zodSchema: z.object({ a: z.number() }), input: { a: 'x' } }), (e: unknown) => e instanceof ActionError);
  assert.match(logs.at(-1)!.message, /Invalid input provided: .* at path a/);
});

test('strict state validation checks metadata and checkpoints against their schemas', async () => {
  const { caps: c } = caps();
  const definition = { type: 'action', metadata: z.object({ team: z.string() }), checkpoint: z.object({ page: z.number() }) } as never;
  const strict = createContext(c, info, 'action', new AbortController().signal, { definition, validateState: true });
  assert.deepEqual(await strict.getMetadata(), { team: 'core' });
  await assert.rejects(strict.setMetadata({ team: 5 } as never), /metadata\.team/);
  await assert.rejects(strict.saveCheckpoint({ page: 'x' } as never), /checkpoint\.page/);
  await strict.saveCheckpoint({ page: 2 } as never);
  assert.deepEqual(await strict.getCheckpoint(), { page: 2 });
});

test('upstream failures also read axios-style: error.response.status and .data', async () => {
  const { caps: c } = caps();
  c.proxy = async () => {
    throw new PatchbayError('UPSTREAM_HTTP_ERROR', 'The API answered 404', { status: 404, excerpt: '{"message":"Not Found"}', details: { headers: { 'x-id': '1' } } });
  };
  const nango = createContext(c, info, 'action', new AbortController().signal);
  await assert.rejects(nango.get({ endpoint: '/missing' }), (error: PatchbayError & { response: { status: number; data: unknown; headers: unknown } }) => {
    assert.equal(error.code, 'UPSTREAM_HTTP_ERROR');
    assert.equal(error.response.status, 404);
    assert.deepEqual(error.response.data, { message: 'Not Found' });
    assert.deepEqual(error.response.headers, { 'x-id': '1' });
    return true;
  });
});
