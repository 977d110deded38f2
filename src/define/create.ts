/**
 * The authoring API: `createAction`, `createSync`, `createOnEvent`. Pure: each returns a branded
 * plain object (Nango's shape, `{ type, ...props }`), which the loader finds as the file's default
 * export and registers.
 *
 * @example
 * export default createAction({
 *   description: 'Create an issue',
 *   input: z.object({ title: z.string() }),
 *   output: z.object({ id: z.number() }),
 *   exec: async (nango, input) => (await nango.post({ endpoint: '/issues', data: input })).data,
 * });
 */
import type * as z from 'zod';
import {
  DEFINITION_BRAND,
  type ActionDefinition,
  type AnyDefinition,
  type CreateActionProps,
  type CreateOnEventProps,
  type CreateSyncProps,
  type OnEventDefinition,
  type SyncDefinition,
  type ZodCheckpoint,
  type ZodMetadata,
  type ZodModel,
} from './types.ts';

function brand<T extends object>(definition: T): T {
  Object.defineProperty(definition, DEFINITION_BRAND, { value: true, enumerable: false });
  return definition;
}

export function createAction<
  TInput extends z.ZodType,
  TOutput extends z.ZodType,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
>(props: CreateActionProps<TInput, TOutput, TMetadata, TCheckpoint>): ActionDefinition<TInput, TOutput, TMetadata, TCheckpoint> {
  return brand({ type: 'action' as const, ...props });
}

export function createSync<
  TModels extends Record<string, ZodModel>,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
>(props: CreateSyncProps<TModels, TMetadata, TCheckpoint>): SyncDefinition<TModels, TMetadata, TCheckpoint> {
  return brand({ type: 'sync' as const, ...props });
}

export function createOnEvent<TMetadata extends ZodMetadata = undefined, TCheckpoint extends ZodCheckpoint = undefined>(
  props: CreateOnEventProps<TMetadata, TCheckpoint>,
): OnEventDefinition<TMetadata, TCheckpoint> {
  return brand({ type: 'onEvent' as const, ...props });
}

/**
 * True for anything `createX` returned, from this copy of the module or another bundled one.
 * Nango's own helpers return `{ type, ...props }` without the brand; accept that shape too.
 */
export function isDefinition(value: unknown): value is AnyDefinition {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[DEFINITION_BRAND] === true) return true;
  const v = value as Record<string, unknown>;
  return (v['type'] === 'action' || v['type'] === 'sync' || v['type'] === 'onEvent') && typeof v['exec'] === 'function';
}
