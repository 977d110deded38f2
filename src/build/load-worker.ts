/**
 * Runs in a worker thread: imports one bundle at a time, reads its default export and turns its
 * zod schemas into JSON Schemas. User code runs here, never in the compiling thread, so a bundle
 * with side effects or an endless loop at top level cannot hang compile (the parent times out
 * and terminates this worker).
 */
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { isDefinition } from '../define/create.ts';
import type { LoadReply, LoadedFunction } from './load-protocol.ts';

type JsonSchema = Record<string, unknown>;

function isZod(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

function toSchema(value: unknown, io: 'input' | 'output', what: string, problems: string[]): JsonSchema | undefined {
  if (value === undefined) return undefined;
  if (!isZod(value)) {
    problems.push(`${what} is not a zod schema (import { z } from 'zod' and use z.object(...))`);
    return undefined;
  }
  try {
    return z.toJSONSchema(value, {
      io,
      unrepresentable: 'any',
      override: (ctx) => {
        const def = (ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
        if (def?.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
      },
    }) as JsonSchema;
  } catch (error) {
    problems.push(`${what} cannot be converted to JSON Schema: ${(error as Error).message}`);
    return undefined;
  }
}

function describe(def: Record<string, unknown>): LoadedFunction {
  const problems: string[] = [];
  const info: LoadedFunction = {
    type: def['type'] as LoadedFunction['type'],
    hasExec: typeof def['exec'] === 'function',
    modelsWithoutId: [],
    problems,
  };
  for (const key of ['description', 'version', 'frequency', 'syncType', 'event'] as const) {
    if (def[key] !== undefined) (info as unknown as Record<string, unknown>)[key] = def[key];
  }
  for (const key of ['trackDeletes', 'autoStart', 'timeoutMs', 'scopes', 'webhookSubscriptions', 'annotations'] as const) {
    if (def[key] !== undefined) (info as unknown as Record<string, unknown>)[key] = def[key];
  }
  if (info.type === 'action') {
    const input = toSchema(def['input'], 'input', 'input', problems);
    const output = toSchema(def['output'], 'output', 'output', problems);
    if (input) info.input = input;
    if (output) info.output = output;
  }
  const metadata = toSchema(def['metadata'], 'input', 'metadata', problems);
  const checkpoint = toSchema(def['checkpoint'], 'input', 'checkpoint', problems);
  if (metadata) info.metadata = metadata;
  if (checkpoint) info.checkpoint = checkpoint;
  if (info.type === 'sync' && def['models'] !== undefined) {
    const models = def['models'];
    if (typeof models !== 'object' || models === null) problems.push('models must be an object of zod schemas: { Issue: IssueSchema }');
    else {
      info.models = {};
      for (const [name, model] of Object.entries(models)) {
        const schema = toSchema(model, 'output', `model "${name}"`, problems);
        if (!schema) continue;
        info.models[name] = schema;
        const shape = (model as { shape?: Record<string, unknown> }).shape;
        if (!shape || !('id' in shape)) info.modelsWithoutId.push(name);
      }
    }
  }
  return info;
}

async function load(bundle: string): Promise<LoadReply> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, rule: 'load-error', message: `loading the file threw: ${message.split('\n')[0]}` };
  }
  const def = mod['default'];
  if (def === undefined) {
    return { ok: false, rule: 'missing-default-export', message: 'no default export. End the file with `export default createAction({...})` (or createSync / createOnEvent).' };
  }
  if (typeof def === 'function') {
    return {
      ok: false,
      rule: 'missing-default-export',
      message:
        "the default export is a plain function (Nango's older nango.yaml style). Wrap it: export default createSync({ ..., exec: fetchData }) or createAction({ ..., exec: runAction }); Nango's `nango migrate-to-zero-yaml` does this for a whole project.",
    };
  }
  if (!isDefinition(def)) {
    const t = (def as { type?: unknown } | null)?.type;
    if (t === 'action' || t === 'sync' || t === 'onEvent') return { ok: true, info: describe(def as Record<string, unknown>) };
    return { ok: false, rule: 'missing-default-export', message: 'the default export is not a function definition. Export the result of createAction, createSync or createOnEvent.' };
  }
  return { ok: true, info: describe(def as unknown as Record<string, unknown>) };
}

parentPort!.on('message', (message: { bundle: string }) => {
  load(message.bundle).then(
    (reply) => parentPort!.postMessage(reply),
    (error: unknown) => parentPort!.postMessage({ ok: false, rule: 'load-error', message: String(error) } satisfies LoadReply),
  );
});

// Tells the parent this worker has started (zod and the SDK loaded): per-file timeouts start now.
parentPort!.postMessage({ ready: true });
