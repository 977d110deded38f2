/**
 * The public SDK: what integration files import as `patchbay` (or `nango`, which the bundler
 * resolves here). It must stay light: no CLI, no store, no server code is reachable from here.
 */
export { createAction, createSync, createOnEvent, isDefinition } from './define/create.ts';
export type {
  ActionDefinition,
  AnyDefinition,
  CreateActionProps,
  CreateActionResponse,
  CreateAnyResponse,
  CreateOnEventProps,
  CreateOnEventResponse,
  CreateSyncProps,
  CreateSyncResponse,
  EndpointDefinition,
  FunctionType,
  OnEventDefinition,
  OnEventName,
  SyncDefinition,
  ToolAnnotations,
} from './define/types.ts';
export type { ZodCheckpoint, ZodMetadata, ZodModel } from './define/schema.ts';
export type { ActionInput, ActionOutput, FunctionContext, SyncRecord } from './define/infer.ts';
export type {
  ApiKeyCredentials,
  BasicCredentials,
  BearerCredentials,
  Connection,
  Credentials,
  CursorPagination,
  EnvironmentVariable,
  HttpMethod,
  LinkPagination,
  LogLevel,
  NangoAction,
  NangoSync,
  NoCredentials,
  OAuth2Credentials,
  OffsetPagination,
  Pagination,
  ProxyConfiguration,
  ProxyResponse,
  PublicIntegration,
  RawModel,
  SyncReference,
  TriggerSyncMode,
  UncontrolledFetchOptions,
} from './define/context.ts';
export { ActionError, PatchbayError } from './errors.ts';
export type { ErrorCode, SerializedError } from './errors.ts';
