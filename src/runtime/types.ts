/**
 * The executor's contract: one way to run a function, used alike by dryrun, the MCP server,
 * the HTTP API, `patchbay test` and the sync scheduler.
 */
import type { ApiScope } from '../access/scope.ts';
import type { FunctionManifest } from '../build/manifest.ts';
import type { HttpCallLog, LogEntry } from '../observability/types.ts';
import type { DeleteGuard } from '../records/delete-guard.ts';

export type { HttpCallLog, LogEntry } from '../observability/types.ts';

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

export interface ExecutionRequest {
  integrationId: string;
  /** Function name (the file's base name). */
  name: string;
  connectionId: string;
  /** Action input (validated against the action's zod input unless `validate` is false). */
  input?: unknown;
  /** Cancels the execution and its in-flight HTTP request. */
  signal?: AbortSignal;
  /** Overrides the function's timeout (ms). */
  timeoutMs?: number;
  /** Validate input, output and sync records (default true). */
  validate?: boolean;
  /** Also validate metadata and checkpoints read or written against their schemas (dryrun --validation). */
  validateState?: boolean;
  /** For `dryrun`: records and metadata/checkpoint writes go to memory, nothing persists. */
  dryRun?: boolean;
  /** dryRun only: the metadata the run starts from (default: the connection's). */
  metadata?: Record<string, unknown>;
  /** dryRun only: the checkpoint the run starts from (default: the stored one). */
  checkpoint?: Record<string, unknown>;
  /** Sync: the run id (trackDeletes, checkpoints). */
  runId?: string;
  /** Sync: set when called by a webhook (onWebhook). */
  webhookPayload?: unknown;
  /**
   * What the caller may reach (its API key's scope; full for the CLI and the scheduler). It
   * travels with the execution: a function's cross-connection calls (`getConnection`, `proxy`
   * with another `connectionId`, `triggerAction`, `triggerSync`/`startSync`) are checked
   * against it, and nested executions inherit it.
   */
  scope?: ApiScope;
  /** Set by `nango.triggerAction`: how many executions deep this one is (the executor refuses past 8). */
  depth?: number;
  onProgress?: (update: ProgressUpdate) => void;
  onLog?: (entry: LogEntry) => void;
  /**
   * Sync: how `trackDeletesEnd` / `deleteRecordsFromPreviousExecutions` weigh their pass (the sync
   * runner resolves it). Absent: the default guard (half a model, no opt-in).
   */
  deleteGuard?: DeleteGuard;
}

/** What a sync run changed, per model. */
export type SyncChanges = Record<string, { added: number; updated: number; deleted: number; unchanged: number }>;

export interface ExecutionResult<T = unknown> {
  executionId: string;
  function: Pick<FunctionManifest, 'integrationId' | 'name' | 'type'>;
  /** The action's output (after output validation), undefined for syncs and on-events. */
  output: T;
  durationMs: number;
  logs: LogEntry[];
  http: HttpCallLog[];
  /** Syncs: counts per model. In dryRun, `records` holds what would have been saved. */
  changes?: SyncChanges;
  records?: Record<string, { saved: unknown[]; deleted: unknown[] }>;
}

/** Runs functions. Failures reject with a `PatchbayError` (see errors.ts for codes). */
export interface Executor {
  run<T = unknown>(request: ExecutionRequest): Promise<ExecutionResult<T>>;
  /** Executions running now (actions, syncs, on-events, nested ones included): what `/health` reports. */
  inFlight(): number;
  close(): Promise<void>;
}
