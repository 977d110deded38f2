/**
 * The helper types of src/define/infer.ts name exactly what `exec` sees. The assertions are
 * compile-time (`npm run typecheck` fails on a wrong one); the runtime part only checks that
 * the definitions used are what `createX` returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as z from 'zod';
import {
  createAction,
  createOnEvent,
  createSync,
  type ActionInput,
  type ActionOutput,
  type CreateActionResponse,
  type FunctionContext,
  type NangoAction,
  type NangoSync,
  type SyncRecord,
} from '../../src/index.ts';

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

const Input = z.object({ repo: z.string(), labels: z.array(z.string()).default([]), body: z.string().optional() });
const Output = z.object({ id: z.number() });
const action = createAction({ description: 'a', input: Input, output: Output, exec: async () => ({ id: 1 }) });

const models = { Issue: z.object({ id: z.string(), title: z.string() }), Label: z.object({ id: z.number(), name: z.string() }) };
const Metadata = z.object({ owner: z.string() });
const sync = createSync({ description: 's', frequency: 'every hour', models, metadata: Metadata, exec: async () => {} });

const onEvent = createOnEvent({ description: 'e', event: 'post-connection-creation', exec: async () => {} });

test('ActionInput and ActionOutput are the parsed input and the output', () => {
  // Defaults applied: `labels` is always there for exec; `body` stays optional.
  expectType<Equal<ActionInput<typeof action>, { repo: string; labels: string[]; body?: string | undefined }>>();
  expectType<Equal<ActionOutput<typeof action>, { id: number }>>();
  // Nango's name for the definition is the same type.
  expectType<Equal<CreateActionResponse<typeof Input, typeof Output>, typeof action>>();
  assert.equal(action.type, 'action');
});

test('FunctionContext is the nango of exec, per kind', () => {
  expectType<Equal<FunctionContext<typeof sync>, NangoSync<typeof models, typeof Metadata>>>();
  expectType<Equal<FunctionContext<typeof action>, NangoAction>>();
  expectType<Equal<FunctionContext<typeof onEvent>, NangoAction>>();
  assert.equal(sync.type, 'sync');
  assert.equal(onEvent.type, 'onEvent');
});

test('SyncRecord is one model, or the union of all', () => {
  expectType<Equal<SyncRecord<typeof sync, 'Issue'>, { id: string; title: string }>>();
  expectType<Equal<SyncRecord<typeof sync>, { id: string; title: string } | { id: number; name: string }>>();
  // @ts-expect-error: not a model of this sync
  expectType<Equal<SyncRecord<typeof sync, 'Repo'>, never>>();
  // @ts-expect-error: a sync has no input
  expectType<Equal<ActionInput<typeof sync>, never>>();
});
