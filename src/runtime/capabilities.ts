/**
 * Capabilities: the services a function's `nango` context calls. They live on the main thread
 * (credentials, store, sockets); the context inside a worker reaches them by message, an inline
 * context calls them directly. `patchbay test` swaps in fixture-backed ones. The `nango` object
 * itself (runtime/context.ts) is a thin layer over this interface plus pure pagination.
 */
import type { ApiScope } from '../access/scope.ts';
import type { Connection, Credentials, EnvironmentVariable, ProxyConfiguration, ProxyResponse, PublicIntegration } from '../define/context.ts';
import type { HttpCallLog, LogEntry, ProgressUpdate } from './types.ts';
import type { IntegrationConfig } from '../providers/types.ts';

/** Records of one sync run, by model. */
export interface RecordCapabilities {
  save(model: string, records: Record<string, unknown>[]): Promise<void>;
  update(model: string, records: Record<string, unknown>[]): Promise<void>;
  delete(model: string, records: Record<string, unknown>[]): Promise<void>;
  getByIds(model: string, ids: string[]): Promise<Array<[string, Record<string, unknown>]>>;
  trackDeletesStart(model: string): Promise<void>;
  /** Resolves the ids it deleted (older implementations resolve nothing: read as none). */
  trackDeletesEnd(model: string): Promise<void | { deletedKeys: string[] }>;
  /**
   * One page of this connection's stored, not deleted records of `model`, in cursor order, after
   * `cursor` (a value from a previous page's `nextCursor`). `listRecords` walks these pages.
   */
  list?(model: string, page: { cursor?: string; limit: number }): Promise<RecordPage>;
}

/** A page of `RecordCapabilities.list`. */
export interface RecordPage {
  records: Record<string, unknown>[];
  /** Pass back for the next page; null after the last. */
  nextCursor: string | null;
}

/** An `uncontrolledFetch` request, as plain data (it may cross to the main thread). */
export interface FetchRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A buffered answer to a FetchRequest; the context turns it into a `Response`. */
export interface FetchAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Which sync runs `triggerSync` / `startSync` ask for. */
export interface SyncStartRequest {
  integrationId: string;
  syncNames: string[];
  /** One connection; absent: every connection of the integration (startSync). */
  connectionId?: string;
  /** Forget the checkpoint and last sync date first (Nango's full resync / reset). */
  reset?: boolean;
  /** Also unpause the syncs (startSync). */
  unpause?: boolean;
}

export interface Capabilities {
  /** One authenticated, retried, logged request to the provider (no pagination). */
  proxy(config: ProxyConfiguration): Promise<ProxyResponse>;
  getConnection(integrationId?: string, connectionId?: string): Promise<Connection>;
  getMetadata(): Promise<Record<string, unknown> | null>;
  setMetadata(metadata: Record<string, unknown>): Promise<void>;
  updateMetadata(patch: Record<string, unknown>): Promise<void>;
  getCheckpoint(): Promise<Record<string, unknown> | null>;
  saveCheckpoint(checkpoint: Record<string, unknown>): Promise<void>;
  clearCheckpoint(): Promise<void>;
  getEnvironmentVariables(): Promise<EnvironmentVariable[] | null>;
  getWebhookURL(): Promise<string | null>;
  triggerAction(integrationId: string, connectionId: string, actionName: string, input: unknown): Promise<unknown>;
  tryAcquireLock(key: string, ttlMs: number): Promise<boolean>;
  releaseLock(key: string): Promise<boolean>;
  /** The integration's public configuration (no secrets). Optional so older capability sets still type-check. */
  getIntegration?(): Promise<PublicIntegration>;
  /**
   * Answers `uncontrolledFetch` instead of the network (`patchbay test` replays it from the
   * recordings). Absent (live runs), the context fetches itself, where the function runs.
   */
  fetch?(request: FetchRequest): Promise<FetchAnswer>;
  /** Starts sync runs without waiting for them (fire-and-forget); a dry run only logs. */
  startSyncs?(request: SyncStartRequest): Promise<void>;
  /**
   * New credentials for the execution's own connection (the runner's HTTP client asks after a
   * 401 or ahead of expiry): refreshed single-flight by the server's credential manager.
   */
  refreshCredentials?(reason: 'expired' | 'unauthorized'): Promise<Credentials>;
  /** Keeps an HTTP call made where the function runs (a runner's own client) in the result. */
  recordHttpCall?(call: HttpCallLog): void;
  log(entry: LogEntry): void;
  progress(update: ProgressUpdate): void;
  /** Present for syncs only. */
  records?: RecordCapabilities;
}

/**
 * Starts sync runs for `nango.triggerSync` / `startSync` without waiting for them. The sync layer
 * implements it (sync/start.ts) and the composition root hands it down: the runtime sits below
 * the sync runner and never imports it. Without a connection it starts every connection of the
 * integration that `scope` allows.
 */
export type SyncStarter = (request: SyncStartRequest, log: (entry: LogEntry) => void, scope: ApiScope) => Promise<void>;

/** Static facts the context needs besides capabilities (sent to the worker with the job). */
export interface ContextInfo {
  connectionId: string;
  providerConfigKey: string;
  provider: string;
  executionId: string;
  /** Provider default pagination, merged under each `paginate()` call's own config. */
  paginationDefaults?: ProxyConfiguration['paginate'];
  lastSyncDate?: string;
  variant?: string;
  /** Runs from the CLI (`dryrun`, `patchbay test`): Nango's `isCLI`. */
  isCLI?: boolean;
}

/**
 * What a runner needs to call the execution's own connection itself, without a round trip to
 * the server per request: the integration (provider, proxy settings; no OAuth client secret, no
 * webhook secret) and the connection's credentials and config. A function can already read the
 * credentials with `nango.getConnection()`; the secrets of the server never cross.
 */
export interface DirectHttp {
  integration: IntegrationConfig;
  credentials: Credentials;
  connectionConfig: Record<string, unknown>;
}
