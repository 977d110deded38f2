/**
 * The `nango` object a function receives: its types, with Nango's names and semantics, so
 * `async (nango: NangoAction, input) => ...` type-checks and existing Nango functions compile.
 * The implementation lives in `runtime/context.ts`; this file is types only.
 */
import type * as z from 'zod';
import type { ActionError } from '../errors.ts';
import type { ZodCheckpoint, ZodMetadata, ZodModel } from './schema.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** Cursor, link or offset pagination, with Nango's field names. */
export interface CursorPagination {
  type: 'cursor';
  cursor_path_in_response: string;
  cursor_name_in_request: string;
  limit?: number | string;
  limit_name_in_request?: string;
  response_path?: string;
  in_body?: boolean;
  on_page?: (page: { nextPageParam?: string | number | undefined; response: ProxyResponse }) => Promise<void> | void;
}
export interface LinkPagination {
  type: 'link';
  link_rel_in_response_header?: string;
  link_path_in_response_body?: string;
  limit?: number | string;
  limit_name_in_request?: string;
  response_path?: string;
  in_body?: boolean;
  on_page?: (page: { nextPageParam?: string | number | undefined; response: ProxyResponse }) => Promise<void> | void;
}
export interface OffsetPagination {
  type: 'offset';
  offset_name_in_request: string;
  offset_start_value?: number;
  offset_calculation_method?: 'per-page' | 'by-response-size';
  limit?: number | string;
  limit_name_in_request?: string;
  response_path?: string;
  in_body?: boolean;
  on_page?: (page: { nextPageParam?: string | number | undefined; response: ProxyResponse }) => Promise<void> | void;
}
export type Pagination = CursorPagination | LinkPagination | OffsetPagination;

/**
 * Nango's `ProxyConfiguration`: one request to the provider, credentials injected for you.
 * Optional fields accept `undefined` (as in Nango), so functions type-check under exactOptionalPropertyTypes.
 */
export interface ProxyConfiguration {
  endpoint: string;
  method?: HttpMethod | Lowercase<HttpMethod> | undefined;
  headers?: Record<string, string | number | boolean | undefined> | undefined;
  params?: string | Record<string, string | number | boolean | string[] | number[] | undefined> | undefined;
  data?: unknown | undefined;
  /** How many times to retry a failed request (network error, 429, 5xx). */
  retries?: number | undefined;
  /** Extra statuses to retry on, e.g. [404] for eventually consistent APIs. */
  retryOn?: number[] | null | undefined;
  retryHeader?: { at?: string; after?: string; remaining?: string } | undefined;
  baseUrlOverride?: string | undefined;
  responseType?: 'json' | 'text' | 'arraybuffer' | 'blob' | 'stream' | 'document' | undefined;
  paginate?: Partial<Pagination> | undefined;
  decompress?: boolean | undefined;
  providerConfigKey?: string | undefined;
  connectionId?: string | undefined;
}

/** What `proxy`, `get`, `post`… resolve to (the subset of an axios response Nango functions use). */
export interface ProxyResponse<T = any> {
  data: T;
  status: number;
  statusText?: string;
  headers: Record<string, string>;
}

export interface OAuth2Credentials {
  type: 'OAUTH2' | 'OAUTH2_CC';
  access_token: string;
  refresh_token?: string;
  expires_at?: string;
  raw: Record<string, any>;
}
export interface ApiKeyCredentials {
  type: 'API_KEY';
  api_key: string;
  /** Nango's name for the same key; set on what `nango.getConnection()` returns. */
  apiKey?: string;
}
export interface BasicCredentials {
  type: 'BASIC';
  username: string;
  password: string;
}
export interface BearerCredentials {
  type: 'BEARER';
  token: string;
}
export interface NoCredentials {
  type: 'NONE';
}
export type Credentials = OAuth2Credentials | ApiKeyCredentials | BasicCredentials | BearerCredentials | NoCredentials;

/** A connection as a function sees it (`nango.getConnection()`), Nango's field names. */
export interface Connection {
  id?: number | string;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  credentials: Credentials;
  // `any`, as in Nango's types: functions read `connection_config['cloudId']` into a string.
  connection_config: Record<string, any>;
  metadata: Record<string, any> | null;
  created_at: string;
  updated_at: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** A record as Nango types it (`RawModel`): any object with an `id`. The default bound of `batchSave<T>`. */
export interface RawModel {
  [key: string]: unknown;
  id: string | number;
}

/** Nango's `uncontrolledFetch` options: a plain request, no credentials, no retries. */
export interface UncontrolledFetchOptions {
  url: URL | string;
  method?: HttpMethod | Lowercase<HttpMethod> | undefined;
  headers?: Record<string, string> | undefined;
  body?: string | null | undefined;
}

/** What `nango.getIntegration()` resolves to: the integration's public facts (never its secrets). */
export interface PublicIntegration {
  unique_key: string;
  provider: string;
  display_name: string;
  logo?: string;
  webhook_url?: string | null;
  created_at?: string;
  updated_at?: string;
  /** Only what may be shown: the client id and scopes, never the client secret. */
  credentials?: { type: string; client_id: string | null; scopes: string | null } | null;
}

/** A sync named by `triggerSync` / `startSync`: its name, or name and variant. */
export type SyncReference = string | { name: string; variant: string };

/** Nango's `triggerSync` 4th argument: a legacy mode, a full-resync flag, or options. */
export type TriggerSyncMode = 'incremental' | 'full_refresh' | 'full_refresh_and_clear_cache' | boolean | { reset?: boolean | undefined; emptyCache?: boolean | undefined };

type Infer<T> = T extends z.ZodType ? z.infer<T> : Record<string, unknown>;
/** A model's record type, or RawModel when the schema does not describe one with an id (distributes over a union). */
type ModelOf<T> = T extends z.ZodType ? (z.infer<T> extends RawModel ? z.infer<T> : RawModel) : RawModel;
// Without a schema, Nango types metadata as `never` (anything reads); `any` values keep `metadata?.[a]?.[b]` compiling.
type InferMetadata<T> = T extends z.ZodObject ? z.infer<T> : Record<string, any>;

/** The context of an action or on-event function (Nango's `NangoAction`). */
export interface NangoAction<TMetadata extends ZodMetadata = undefined, TCheckpoint extends ZodCheckpoint = undefined> {
  readonly connectionId: string;
  readonly providerConfigKey: string;
  readonly provider: string;
  readonly activityLogId?: string;
  /** Aborted when the caller cancels or the execution times out. */
  readonly signal: AbortSignal;
  ActionError: typeof ActionError;

  proxy<T = any>(config: ProxyConfiguration): Promise<ProxyResponse<T>>;
  get<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  post<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  put<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  patch<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  delete<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  paginate<T = any>(config: ProxyConfiguration): AsyncGenerator<T[], undefined, void>;

  log(message: unknown, ...args: unknown[]): Promise<void>;
  getConnection(providerConfigKeyOverride?: string, connectionIdOverride?: string): Promise<Connection>;
  getToken(): Promise<string | Credentials>;
  getMetadata<T = InferMetadata<TMetadata>>(): Promise<T>;
  setMetadata(metadata: InferMetadata<TMetadata>): Promise<void>;
  updateMetadata(metadata: Partial<InferMetadata<TMetadata>>): Promise<void>;
  getCheckpoint(): Promise<Infer<TCheckpoint> | null>;
  saveCheckpoint(checkpoint: Infer<TCheckpoint>): Promise<void>;
  clearCheckpoint(): Promise<void>;
  getEnvironmentVariables(): Promise<EnvironmentVariable[] | null>;
  getWebhookURL(): Promise<string | null | undefined>;
  triggerAction<In = unknown, Out = object>(
    providerConfigKey: string,
    connectionId: string,
    actionName: string,
    input?: In,
  ): Promise<Out>;
  tryAcquireLock(props: { key: string; ttlMs: number }): Promise<boolean>;
  releaseLock(props: { key: string }): Promise<boolean>;
  /** Releases every lock this execution holds (they are released at its end anyway). */
  releaseAllLocks(): Promise<void>;
  /** A plain `fetch` (no credentials, no retries) for URLs unrelated to the provider; honours `signal`. */
  uncontrolledFetch(options: UncontrolledFetchOptions): Promise<Response>;
  /** The integration's public configuration (unique key, provider, display name); secrets withheld. */
  getIntegration(queries?: { include?: Array<'webhook' | 'credentials'> | undefined }): Promise<PublicIntegration>;
  /** @deprecated Nango's: use getMetadata. `metadata.fieldMapping`, or `{}`. */
  getFieldMapping(): Promise<Record<string, string>>;
  /** @deprecated Nango's: use updateMetadata. Stores the mapping under `metadata.fieldMapping`. */
  setFieldMapping(fieldMapping: Record<string, string>): Promise<void>;
  /** The sync's attributes (Nango's sync config `attributes`); null when it has none. */
  getFlowAttributes<A = object>(): A | null;
  /** Starts a run of a sync for a connection; does not wait for it to finish. */
  triggerSync(providerConfigKey: string, connectionId: string, sync: SyncReference, syncMode?: TriggerSyncMode): Promise<void>;
  /** Starts (unpauses and runs) syncs, for one connection or every connection of the integration. */
  startSync(providerConfigKey: string, syncs: SyncReference[], connectionId?: string): Promise<void>;
  /** Accepted for Nango compatibility; patchbay's log level is set by the server (`PATCHBAY_LOG_LEVEL`). */
  setLogger(logger: { level: LogLevel | 'off' }): void;
  /** Whether the function runs from the CLI (`patchbay dryrun` / `patchbay test`). */
  readonly isCLI: boolean;
  /** Nango's team id; patchbay is single-tenant, so always 0. */
  readonly accountId: number;
  zodValidateInput<T = any, Z = any>(props: { zodSchema: z.ZodType<Z>; input: T }): Promise<z.ZodSafeParseSuccess<Z>>;
  /** Reports progress to the caller (MCP `notifications/progress`). patchbay extension. */
  reportProgress(progress: number, total?: number, message?: string): Promise<void>;
}

/** The context of a sync function (Nango's `NangoSync`). */
export interface NangoSync<
  TModels extends Record<string, ZodModel> = Record<string, ZodModel>,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
> extends NangoAction<TMetadata, TCheckpoint> {
  readonly lastSyncDate?: Date;
  readonly variant: string;
  batchSave<TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(results: TModel[], model: keyof TModels & string): Promise<boolean>;
  /** @deprecated Nango's older name of batchSave. */
  batchSend<TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(results: TModel[], model: keyof TModels & string): Promise<boolean | null>;
  batchUpdate<TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(results: (Pick<TModel, 'id'> & Partial<TModel>)[], model: keyof TModels & string): Promise<boolean>;
  batchDelete<TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(results: (Pick<TModel, 'id'> & Partial<TModel>)[], model: keyof TModels & string): Promise<boolean>;
  getRecordsByIds<TKey = string | number, TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(ids: TKey[], model: keyof TModels & string): Promise<Map<TKey, TModel>>;
  /** This connection's stored records of `model` (not deleted), oldest change first; resumable from a record's cursor. */
  listRecords<TModel extends RawModel = ModelOf<TModels[keyof TModels]>>(model: keyof TModels & string, options?: { cursor?: string | undefined }): AsyncGenerator<TModel>;
  trackDeletesStart(model: keyof TModels & string): Promise<void>;
  /** Soft-deletes the records not saved since trackDeletesStart; resolves their ids. */
  trackDeletesEnd(model: keyof TModels & string): Promise<{ deletedKeys: string[] }>;
  /** @deprecated Nango's older name for trackDeletes on full syncs. */
  deleteRecordsFromPreviousExecutions(model: keyof TModels & string): Promise<{ deletedKeys: string[] }>;
  /** `Model` for the base variant, `Model::variant` otherwise (Nango's naming). */
  modelFullName(model: string): string;
  setMergingStrategy(strategy: { strategy: 'ignore_if_modified_after' | 'override' }, model: keyof TModels & string): Promise<void>;
}
