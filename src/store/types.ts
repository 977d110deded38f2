/**
 * Persistence, one interface per concern. Implementations sit side by side:
 * `store/memory/` (tests, dryrun), `store/sqlite/` (embedded default, node:sqlite in
 * PATCHBAY_HOME), `store/postgres/` (scale-out). Every implementation runs the same contract
 * tests (`test/store/*.contract.ts`).
 *
 * Secrets never reach a store in clear: `ConnectionRow.credentials` is the sealed (AES-256-GCM)
 * text produced by `connections/crypto.ts`.
 */
import type { SerializedError } from '../errors.ts';
import type { RecordStore } from '../records/types.ts';

export type { ChangeSummary, CursorRange, RecordQuery, RecordScope, RecordStore, SaveSummary, StoredRecord } from '../records/types.ts';

/** A stored connection. Credentials are sealed; everything else is plain. */
export interface ConnectionRow {
  integration_id: string;
  connection_id: string;
  provider: string;
  /** Sealed JSON of `Credentials` (see connections/crypto.ts). */
  credentials: string;
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  /** 'ok' | 'failed' after the last refresh; null when never refreshed. */
  refresh_status: 'ok' | 'failed' | null;
  refresh_error: string | null;
  last_refreshed_at: string | null;
  /** Bumped on every credential write; lets a writer detect a concurrent refresh. */
  credentials_version: number;
}

export interface ConnectionStore {
  get(integrationId: string, connectionId: string): Promise<ConnectionRow | undefined>;
  list(filter?: { integrationId?: string }): Promise<ConnectionRow[]>;
  /** Fails with CONNECTION_EXISTS when the pair exists. */
  insert(row: ConnectionRow): Promise<void>;
  /**
   * Replaces fields of an existing row. With `expectVersion`, the write happens only when the
   * stored `credentials_version` still equals it (compare-and-set); returns false otherwise.
   */
  update(
    integrationId: string,
    connectionId: string,
    patch: Partial<Omit<ConnectionRow, 'integration_id' | 'connection_id' | 'created_at'>>,
    options?: { expectVersion?: number },
  ): Promise<boolean>;
  delete(integrationId: string, connectionId: string): Promise<boolean>;
}

/**
 * Key-value with TTL (keyv-shaped): checkpoints, idempotency keys, OAuth `state`, small caches.
 * Keys are namespaced by the caller, e.g. `checkpoint:<integration>:<connection>:<function>`.
 */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** Leases: at most one holder of a key at once, across processes sharing the store. */
export interface LockStore {
  /** True when `owner` now holds `key` until `ttlMs` from now (re-acquiring one's own lease extends it). */
  tryAcquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<boolean>;
  /**
   * Who holds `key` and until when (epoch ms), or undefined when nobody does. An expired lease may
   * still be shown (with `expiresAt` in the past): it is free to take. For display and for
   * deciding when to try `tryAcquire`; only `tryAcquire` decides who holds it.
   */
  inspect(key: string): Promise<{ owner: string; expiresAt: number } | undefined>;
}

export interface SyncRunRow {
  id: string;
  integration_id: string;
  connection_id: string;
  sync_name: string;
  status: 'running' | 'success' | 'failed' | 'cancelled';
  started_at: string;
  finished_at: string | null;
  error: string | null;
  added: number;
  updated: number;
  deleted: number;
  duration_ms: number | null;
  /**
   * Each model's record cursor when the run started (`RecordStore.mark`): what the run saved is
   * what changed after it, so even a killed run's saves can be counted. `{}` when unknown.
   */
  start_cursors: Record<string, string>;
}

/**
 * How far the changes of one model were announced to the backend (the last delivered success
 * webhook, or the last successful run when no webhook is configured): records after `cursor` are
 * not announced yet, and the next success webhook covers them all.
 */
export interface SyncAnnouncementRow {
  integration_id: string;
  connection_id: string;
  sync_name: string;
  model: string;
  /** The newest record cursor the announcement covered. */
  cursor: string;
  announced_at: string;
}

export interface SyncStateRow {
  integration_id: string;
  connection_id: string;
  sync_name: string;
  paused: boolean;
  last_run_id: string | null;
  last_success_at: string | null;
  next_run_at: string | null;
  /** This connection's own frequency (`PUT /sync/update-connection-frequency`); null: the sync's. */
  frequency: string | null;
}

export interface SyncStore {
  /** Records a run as started; `start_cursors` defaults to `{}`. */
  startRun(
    run: Omit<SyncRunRow, 'finished_at' | 'error' | 'added' | 'updated' | 'deleted' | 'duration_ms' | 'start_cursors'> & { start_cursors?: Record<string, string> },
  ): Promise<void>;
  finishRun(id: string, patch: Pick<SyncRunRow, 'status' | 'error' | 'added' | 'updated' | 'deleted' | 'duration_ms'>): Promise<void>;
  /** Newest first; `limit` defaults to 50. */
  listRuns(filter: { integrationId?: string; connectionId?: string; syncName?: string; status?: SyncRunRow['status']; limit?: number }): Promise<SyncRunRow[]>;
  getRun?(id: string): Promise<SyncRunRow | undefined>;
  getState(integrationId: string, connectionId: string, syncName: string): Promise<SyncStateRow | undefined>;
  /**
   * Writes a state row. On an existing row `frequency` is kept: writers that read the row before
   * a frequency change (a run, the scheduler) never put the old one back; `setFrequency` changes it.
   */
  setState(row: SyncStateRow): Promise<void>;
  /** Sets one connection's own frequency on an existing state row; false when there is none. */
  setFrequency(integrationId: string, connectionId: string, syncName: string, frequency: string | null): Promise<boolean>;
  listStates(filter?: { integrationId?: string; syncName?: string }): Promise<SyncStateRow[]>;
  /** The announced points of one sync for one connection, one per model announced so far. */
  listAnnouncements(integrationId: string, connectionId: string, syncName: string): Promise<SyncAnnouncementRow[]>;
  /** Sets one model's announced point (insert or replace). */
  setAnnouncement(row: SyncAnnouncementRow): Promise<void>;
}

/** Keys for the HTTP API and `/mcp` (stored hashed). */
export interface ApiKeyRow {
  id: string;
  name: string;
  /** sha256 of the secret, hex. */
  hash: string;
  /** Connection ids (as `integration:connection` or `connection`) the key may use; null for all. */
  connections: string[] | null;
  /** Tool name globs the key may call; null for all. */
  tools: string[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyStore {
  insert(row: ApiKeyRow): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRow | undefined>;
  list(): Promise<ApiKeyRow[]>;
  revoke(idOrName: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

/**
 * One asynchronous action (`POST /action/trigger` with `X-Async: true`): persisted before the
 * caller hears 202, run by the queue (queue/async-actions.ts), its result kept for polling.
 */
export interface AsyncActionRow {
  id: string;
  integration_id: string;
  connection_id: string;
  action_name: string;
  /** The action's input (JSON); undefined when none was sent. */
  input: unknown;
  /** The triggering key's scope, as it was when the action was queued (JSON of an `ApiScope`). */
  scope: { keyId: string | null; connections: string[] | null; tools: string[] | null };
  /** Who may reuse `idempotency_key`: the key's id ('' for the full scope without a key). */
  idempotency_scope: string;
  idempotency_key: string | null;
  /** sha256 of what was asked (integration, connection, action, input): a reused key must match it. */
  request_hash: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** Attempts started (counted when claimed; rate-limit deferrals and stops given back). */
  attempts: number;
  /** Retries after a failed attempt (`X-Max-Retries`, 0-5). */
  max_retries: number;
  /** Times the provider's rate limit put it back in the queue. */
  deferrals: number;
  /** Epoch ms before which it does not run. */
  run_at: number;
  /** The output when succeeded. */
  output: unknown;
  /** The last failure (JSON of a PatchbayError): final when failed, the previous attempt's while retrying. */
  error: SerializedError | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The queue (process) running it while `running`: who may record its outcome. */
  claimed_by: string | null;
}

/** A connection's lane in the async queue, as `AsyncActionStore.due` takes it: `["github","alice"]`. */
export function laneKey(integrationId: string, connectionId: string): string {
  return JSON.stringify([integrationId, connectionId]);
}

export interface AsyncActionStore {
  /**
   * Stores a new row, unless its `idempotency_key` is already held in its `idempotency_scope`:
   * then nothing is written and the row holding it comes back with `created: false`.
   */
  insert(row: AsyncActionRow): Promise<{ row: AsyncActionRow; created: boolean }>;
  get(id: string): Promise<AsyncActionRow | undefined>;
  /** The row holding an idempotency key in a key scope, if any. */
  findByIdempotencyKey(idempotencyScope: string, idempotencyKey: string): Promise<AsyncActionRow | undefined>;
  /**
   * Queued rows due at `now` (`run_at <= now`), oldest first, at most `limit`, leaving out the
   * lanes in `skipLanes` (each a `laneKey(integration_id, connection_id)`).
   */
  due(now: number, limit: number, skipLanes: readonly string[]): Promise<AsyncActionRow[]>;
  /** The queued rows of one connection due at `now`, oldest first, at most `limit` (read by index). */
  dueInLane(integrationId: string, connectionId: string, now: number, limit: number): Promise<AsyncActionRow[]>;
  /**
   * queued → running for `owner` (sets `started_at`, counts an attempt); false when the row is
   * not queued any more (taken, gone).
   */
  claim(id: string, startedAt: string, owner: string): Promise<boolean>;
  /**
   * Records a running row's outcome, only while `owner` still holds it (running, claimed by it):
   * false when another queue took it over, so a late outcome never overwrites a newer one.
   */
  update(id: string, owner: string, patch: Partial<Pick<AsyncActionRow, 'status' | 'attempts' | 'deferrals' | 'run_at' | 'output' | 'error' | 'finished_at' | 'claimed_by' | 'input'>>): Promise<boolean>;
  /** Who runs the running rows ('' for rows of no known owner). */
  runningOwners(): Promise<string[]>;
  /**
   * The running rows of an owner that is gone: back to queued, due at `now`, or failed with
   * `error` when they had already started `max_retries + crashAllowance` attempts (an action that
   * takes its process down does not run forever). Returns how many went back, and the rows that
   * failed (their ids, to announce).
   */
  recoverOwner(
    owner: string,
    now: number,
    error: SerializedError,
    crashAllowance: number,
  ): Promise<{ requeued: number; failed: Array<Pick<AsyncActionRow, 'id' | 'integration_id' | 'connection_id' | 'action_name'>> }>;
  /** Rows not finished yet (queued or running), of one key scope or of all. */
  countUnfinished(idempotencyScope?: string): Promise<number>;
  /** Deletes rows finished before `before` (ISO time); returns how many. */
  prune(before: string): Promise<number>;
}

/** Everything patchbay persists. Open one with `openStore()` (store/open.ts). */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  readonly connections: ConnectionStore;
  readonly kv: KeyValueStore;
  readonly locks: LockStore;
  readonly records: RecordStore;
  readonly syncs: SyncStore;
  readonly keys: ApiKeyStore;
  readonly asyncActions: AsyncActionStore;
  /**
   * Moves every committed write into the main database file and empties the write-ahead log
   * (SQLite: `PRAGMA wal_checkpoint(TRUNCATE)`), so the file alone holds the current data and no
   * older copy of a page lingers in the log. `complete` is false when another process kept reading
   * an older snapshot past the busy timeout. A no-op in memory.
   */
  checkpoint(): Promise<{ complete: boolean }>;
  close(): Promise<void>;
}
