import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from 'zod';
import { createAction } from '../../src/define/create.ts';
import { PatchbayError } from '../../src/errors.ts';
import type { Capabilities } from '../../src/runtime/capabilities.ts';
import { memoryState } from '../../src/runtime/dry-run.ts';
import { invoke } from '../../src/runtime/invoke.ts';

const refuse = async (): Promise<never> => {
  throw new PatchbayError('INVALID_CONFIG', 'not in this test');
};
const caps: Capabilities = {
  ...memoryState(),
  proxy: refuse,
  getConnection: refuse,
  getEnvironmentVariables: async () => null,
  getWebhookURL: async () => null,
  triggerAction: refuse,
  tryAcquireLock: async () => true,
  releaseLock: async () => true,
  log: () => {},
  progress: () => {},
};
const options = (input: unknown, validate = true) => ({ info: { connectionId: 'c', providerConfigKey: 'p', provider: 'p', executionId: 'e' }, input, validate, validateState: false });
const signal = new AbortController().signal;

test('input: defaults applied before exec; missing input parsed as {}; z.void() accepts none', async () => {
  const withDefault = createAction({
    description: 'd',
    input: z.object({ limit: z.number().default(10), q: z.string().optional() }),
    output: z.object({ limit: z.number() }),
    exec: async (_nango, input) => ({ limit: input.limit }),
  });
  assert.deepEqual(await invoke(withDefault, caps, options(undefined), signal), { limit: 10 });
  const required = createAction({ description: 'r', input: z.object({ id: z.string() }), output: z.unknown(), exec: async () => null });
  await assert.rejects(invoke(required, caps, options(undefined), signal), (e: PatchbayError) => e.code === 'INVALID_INPUT' && /input\.id/.test(e.message));
  const none = createAction({ description: 'v', input: z.void(), output: z.string(), exec: async (_n, input) => String(input) });
  assert.equal(await invoke(none, caps, options(undefined), signal), 'undefined');
});

test('output: validated after exec, skipped with validate:false', async () => {
  const wrong = createAction({ description: 'w', input: z.object({}), output: z.object({ items: z.array(z.string()) }), exec: async () => ({ items: ['a', 2] }) as never });
  await assert.rejects(invoke(wrong, caps, options({}), signal), (e: PatchbayError) => {
    assert.equal(e.code, 'INVALID_OUTPUT');
    assert.match(e.message, /output\.items\[1\]: .*expected string/);
    return true;
  });
  assert.deepEqual(await invoke(wrong, caps, options({}, false), signal), { items: ['a', 2] });
});
