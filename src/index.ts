/**
 * The public SDK: what integration files import as `patchbay` (or `nango`, which the bundler
 * resolves here). It must stay light: no CLI, no store, no server code is reachable from here.
 */
export { createAction, createSync, createOnEvent, isDefinition } from './define/create.ts';
export type {
  ActionDefinition,
  AnyDefinition,
  CreateActionProps,
  CreateOnEventProps,
  CreateSyncProps,
  EndpointDefinition,
  FunctionType,
  OnEventDefinition,
  OnEventName,
  SyncDefinition,
  ToolAnnotations,
  ZodCheckpoint,
  ZodMetadata,
  ZodModel,
} from './define/types.ts';
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
