/**
 * The definitions a function file exports: what `createAction`, `createSync` and
 * `createOnEvent` return. Pure data plus `exec`; the loader registers them.
 */
import type * as z from 'zod';
import type { NangoAction, NangoSync } from './context.ts';
import type { ZodCheckpoint, ZodMetadata, ZodModel } from './schema.ts';
type MaybePromise<T> = T | Promise<T>;

/** Brand put on every definition so the loader recognises one from any bundled copy. */
export const DEFINITION_BRAND: unique symbol = Symbol.for('patchbay.definition') as never;

/** MCP tool hints; inferred from the HTTP methods an action uses when not given. */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface EndpointDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  group?: string;
}

export interface CreateActionProps<
  TInput extends z.ZodType = z.ZodType,
  TOutput extends z.ZodType = z.ZodType,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
> {
  description: string;
  version?: string;
  /** @deprecated in Nango; kept for compatibility. */
  endpoint?: EndpointDefinition;
  input: TInput;
  output: TOutput;
  metadata?: TMetadata;
  checkpoint?: TCheckpoint;
  scopes?: string[];
  /** patchbay extension: MCP tool hints and title. */
  annotations?: ToolAnnotations;
  /** patchbay extension: execution timeout in ms (default 60 s). */
  timeoutMs?: number;
  exec: (nango: NangoAction<TMetadata, TCheckpoint>, input: z.infer<TInput>) => MaybePromise<z.infer<TOutput>>;
}

export interface CreateSyncProps<
  TModels extends Record<string, ZodModel> = Record<string, ZodModel>,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
> {
  description: string;
  version?: string;
  /** @deprecated in Nango; kept for compatibility. */
  endpoints?: EndpointDefinition[];
  /** 'every hour', 'every 30 minutes', 'every day', or a cron expression. */
  frequency: string;
  models: TModels;
  syncType?: 'full' | 'incremental';
  trackDeletes?: boolean;
  autoStart?: boolean;
  scopes?: string[];
  metadata?: TMetadata;
  checkpoint?: TCheckpoint;
  webhookSubscriptions?: string[];
  /** patchbay extension: execution timeout in ms (default 1 hour). */
  timeoutMs?: number;
  exec: (nango: NangoSync<TModels, TMetadata, TCheckpoint>) => MaybePromise<void>;
  onWebhook?: (nango: NangoSync<TModels, TMetadata, TCheckpoint>, payload: any) => MaybePromise<void>;
}

export type OnEventName = 'post-connection-creation' | 'pre-connection-deletion' | 'validate-connection';

export interface CreateOnEventProps<TMetadata extends ZodMetadata = undefined, TCheckpoint extends ZodCheckpoint = undefined> {
  description: string;
  version?: string;
  event: OnEventName;
  metadata?: TMetadata;
  checkpoint?: TCheckpoint;
  timeoutMs?: number;
  exec: (nango: NangoAction<TMetadata, TCheckpoint>) => MaybePromise<void>;
}

export type ActionDefinition<
  TInput extends z.ZodType = z.ZodType,
  TOutput extends z.ZodType = z.ZodType,
  TMetadata extends ZodMetadata = any,
  TCheckpoint extends ZodCheckpoint = any,
> = CreateActionProps<TInput, TOutput, TMetadata, TCheckpoint> & { type: 'action' };

export type SyncDefinition<
  TModels extends Record<string, ZodModel> = Record<string, ZodModel>,
  TMetadata extends ZodMetadata = any,
  TCheckpoint extends ZodCheckpoint = any,
> = CreateSyncProps<TModels, TMetadata, TCheckpoint> & { type: 'sync' };

export type OnEventDefinition<TMetadata extends ZodMetadata = any, TCheckpoint extends ZodCheckpoint = any> = CreateOnEventProps<
  TMetadata,
  TCheckpoint
> & { type: 'onEvent' };

export type AnyDefinition = ActionDefinition<any, any, any, any> | SyncDefinition<any, any, any> | OnEventDefinition<any, any>;
export type FunctionType = AnyDefinition['type'];

/*
 * Nango's names for the same definitions (what its `nango` package exports), so code that
 * annotates with them, e.g. `const action: CreateActionResponse<typeof In, typeof Out> = …`,
 * compiles against patchbay unchanged.
 */

/** Nango's name for {@link ActionDefinition}: what `createAction` returns. */
export type CreateActionResponse<
  TInput extends z.ZodType = z.ZodType,
  TOutput extends z.ZodType = z.ZodType,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
> = ActionDefinition<TInput, TOutput, TMetadata, TCheckpoint>;

/** Nango's name for {@link SyncDefinition}: what `createSync` returns. */
export type CreateSyncResponse<
  TModels extends Record<string, ZodModel> = Record<string, ZodModel>,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
> = SyncDefinition<TModels, TMetadata, TCheckpoint>;

/** Nango's name for {@link OnEventDefinition}: what `createOnEvent` returns. */
export type CreateOnEventResponse<TMetadata extends ZodMetadata = undefined, TCheckpoint extends ZodCheckpoint = undefined> = OnEventDefinition<
  TMetadata,
  TCheckpoint
>;

/** Nango's name for {@link AnyDefinition}: any of the three. */
export type CreateAnyResponse = AnyDefinition;
