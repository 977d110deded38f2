/**
 * Capabilities: the services a function's `nango` context calls. They live on the main thread
 * (credentials, store, sockets); the context inside a worker reaches them by message, an inline
 * context calls them directly. `patchbay test` swaps in fixture-backed ones. The `nango` object
 * itself (runtime/context.ts) is a thin layer over this interface plus pure pagination.
 */
import type { Connection, EnvironmentVariable, ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import type { LogEntry, ProgressUpdate } from './types.ts';

/** Records of one sync run, by model. */
export interface RecordCapabilities {
  save(model: string, records: Record<string, unknown>[]): Promise<void>;
  update(model: string, records: Record<string, unknown>[]): Promise<void>;
  delete(model: string, records: Record<string, unknown>[]): Promise<void>;
  getByIds(model: string, ids: string[]): Promise<Array<[string, Record<string, unknown>]>>;
  trackDeletesStart(model: string): Promise<void>;
  trackDeletesEnd(model: string): Promise<void>;
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
  log(entry: LogEntry): void;
  progress(update: ProgressUpdate): void;
  /** Present for syncs only. */
  records?: RecordCapabilities;
}

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
}
