/**
 * Tool schemas every client can read. Zod's JSON Schema carries `$schema`, `$defs`/`$ref` and
 * root `anyOf` (unions, nullable objects); several clients reject those at a tool's root or
 * ignore `$ref`. Here each schema becomes a flat object at the root: references inlined
 * (recursion cut to `{}` after one expansion), unions of objects merged, anything else wrapped
 * as `{ input: … }` / `{ result: … }`. The shape records the wrapping so a call can unwrap.
 *
 * @example
 * toolInputSchema({ type: 'string' }) // { schema: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] }, wrap: 'input' }
 */
import type { JsonSchema } from '../build/manifest.ts';

/** How tool arguments map to the action's input: as is, under `input`, or nothing at all. */
export type InputWrap = 'none' | 'input' | 'empty';
/** How the action's output maps to `structuredContent`: as is or under `result`. */
export type OutputWrap = 'none' | 'result';

export interface ToolInputSchema {
  schema: JsonSchema & { type: 'object' };
  wrap: InputWrap;
}

export interface ToolOutputSchema {
  schema: JsonSchema & { type: 'object' };
  wrap: OutputWrap;
}

const DROPPED_KEYS = new Set(['$schema', '$defs', 'definitions', '$id', '$anchor', '$comment']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookup(root: JsonSchema, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isRecord(node)) return undefined;
    node = node[part];
  }
  return node;
}

function inline(node: unknown, root: JsonSchema, expanding: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => inline(item, root, expanding));
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  const ref = typeof node['$ref'] === 'string' ? node['$ref'] : undefined;
  if (ref !== undefined) {
    const target = lookup(root, ref);
    // A reference to something already being expanded is recursion: stop with "any".
    if (isRecord(target) && !expanding.includes(ref)) {
      Object.assign(out, inline(target, root, [...expanding, ref]) as Record<string, unknown>);
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' || DROPPED_KEYS.has(key)) continue;
    if (key === 'properties' && isRecord(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, inline(schema, root, expanding)]));
    } else out[key] = inline(value, root, expanding);
  }
  return out;
}

/** A schema without `$schema`/`$defs` and with every local `$ref` replaced by its target. */
export function inlineRefs(schema: JsonSchema): JsonSchema {
  return inline(schema, schema, ['#']) as JsonSchema;
}

function isObjectSchema(schema: JsonSchema): boolean {
  if (schema['type'] === 'object') return true;
  return schema['type'] === undefined && isRecord(schema['properties']) && schema['anyOf'] === undefined && schema['oneOf'] === undefined;
}

function isNullSchema(schema: unknown): boolean {
  return isRecord(schema) && schema['type'] === 'null';
}

/** Merges a union of object schemas into one object: all properties, required by every branch. */
function mergeObjects(branches: JsonSchema[], base: JsonSchema): JsonSchema & { type: 'object' } {
  const properties: Record<string, unknown[]> = {};
  let required: string[] | undefined;
  for (const branch of branches) {
    for (const [name, schema] of Object.entries(isRecord(branch['properties']) ? branch['properties'] : {})) {
      const seen = (properties[name] ??= []);
      if (!seen.some((existing) => JSON.stringify(existing) === JSON.stringify(schema))) seen.push(schema);
    }
    const branchRequired = Array.isArray(branch['required']) ? (branch['required'] as string[]) : [];
    required = required === undefined ? [...branchRequired] : required.filter((name) => branchRequired.includes(name));
  }
  const merged: JsonSchema & { type: 'object' } = { type: 'object', properties: {} };
  for (const [name, schemas] of Object.entries(properties)) {
    (merged['properties'] as Record<string, unknown>)[name] = schemas.length === 1 ? schemas[0] : { anyOf: schemas };
  }
  if (required && required.length > 0) merged['required'] = required;
  if (typeof base['description'] === 'string') merged['description'] = base['description'];
  return merged;
}

type Flat = { kind: 'object'; schema: JsonSchema & { type: 'object' } } | { kind: 'other'; schema: JsonSchema; nullable: boolean };

function flatten(schema: JsonSchema, allowNullableObject: boolean): Flat {
  const clean = inlineRefs(schema);
  if (isObjectSchema(clean)) return { kind: 'object', schema: { ...clean, type: 'object' } };
  const union = (clean['anyOf'] ?? clean['oneOf']) as unknown;
  if (Array.isArray(union) && Object.keys(clean).every((key) => ['anyOf', 'oneOf', 'description', 'title'].includes(key))) {
    const branches = union.filter(isRecord) as JsonSchema[];
    const nonNull = branches.filter((branch) => !isNullSchema(branch));
    const nullable = nonNull.length !== branches.length;
    if (nonNull.length > 0 && nonNull.every(isObjectSchema) && (!nullable || allowNullableObject)) {
      return { kind: 'object', schema: nonNull.length === 1 ? { ...nonNull[0], type: 'object' } : mergeObjects(nonNull, clean) };
    }
    return { kind: 'other', schema: clean, nullable };
  }
  return { kind: 'other', schema: clean, nullable: false };
}

function isAnything(schema: JsonSchema): boolean {
  return Object.keys(schema).every((key) => key === 'description' || key === 'title');
}

/**
 * The tool's `inputSchema`. No input, or an input that accepts anything, becomes an optional
 * `input` (or no argument at all when the manifest has none); a nullable object input is offered
 * as the object (a model never needs to send null).
 */
export function toolInputSchema(input: JsonSchema | undefined): ToolInputSchema {
  if (input === undefined) return { schema: { type: 'object', properties: {} }, wrap: 'empty' };
  const flat = flatten(input, true);
  if (flat.kind === 'object') return { schema: flat.schema, wrap: 'none' };
  const optional = isAnything(flat.schema) || flat.nullable;
  const schema: JsonSchema & { type: 'object' } = { type: 'object', properties: { input: flat.schema } };
  if (!optional) schema['required'] = ['input'];
  return { schema, wrap: 'input' };
}

/** The tool's `outputSchema`, or undefined when the action declares no output shape. */
export function toolOutputSchema(output: JsonSchema | undefined): ToolOutputSchema | undefined {
  if (output === undefined) return undefined;
  const flat = flatten(output, false);
  if (flat.kind === 'object') return { schema: flat.schema, wrap: 'none' };
  // `result` is not required: an action typed `z.void()` or `z.any()` may return nothing.
  return { schema: { type: 'object', properties: { result: flat.schema } }, wrap: 'result' };
}

/** The action's input from tool arguments, undoing the wrapping. */
export function unwrapArguments(args: Record<string, unknown> | undefined, wrap: InputWrap): unknown {
  if (wrap === 'empty') return undefined;
  if (wrap === 'input') return args?.['input'];
  return args ?? {};
}

/** `structuredContent` for an output, matching `toolOutputSchema`'s wrapping. */
export function structuredOutput(output: unknown, wrap: OutputWrap): Record<string, unknown> {
  if (wrap === 'result') return output === undefined ? {} : { result: output };
  return isRecord(output) ? output : { result: output };
}
