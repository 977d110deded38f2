/**
 * The record model: what a sync's change-tracked records look like and the interface every
 * record store implements (store/memory, store/sqlite). It lives here, below the store, so the
 * pure record rules (hashing, cursors, merging, query limits) and the adapters share one
 * definition without importing each other in a circle.
 */

/** A change-tracked record of a sync. */
export interface StoredRecord {
  id: string;
  data: Record<string, unknown>;
  hash: string;
  first_seen_at: string;
  last_modified_at: string;
  last_action: 'ADDED' | 'UPDATED' | 'DELETED';
  deleted_at: string | null;
  /** Monotonic, opaque to readers; orders changes. */
  cursor: string;
}

/** Which (integration, connection, model) a record set belongs to. */
export interface RecordScope {
  integrationId: string;
  connectionId: string;
  model: string;
}

export interface RecordQuery {
  modifiedAfter?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  filter?: Array<'added' | 'updated' | 'deleted'> | undefined;
  ids?: string[] | undefined;
}

export interface SaveSummary {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

/**
 * What changed in a scope within a cursor range, each record counted once by its last action:
 * the changes a reader gets by following cursors (or `modifiedAfter: since`) through that range.
 */
export interface ChangeSummary {
  added: number;
  updated: number;
  deleted: number;
  /**
   * The earliest `last_modified_at` among them (null when none). `modifiedAfter` is inclusive,
   * so passed as `modifiedAfter` it returns every one of them, even records written in the same
   * millisecond as earlier ones (those may come again; none is missed).
   */
  since: string | null;
  /** The newest cursor among them; the range's start when none. A mark for the next range. */
  until: string;
}

/** A cursor range `(after, until]`; either end open when omitted. */
export interface CursorRange {
  after?: string | undefined;
  until?: string | undefined;
}

export interface RecordStore {
  /** Upserts; a record whose content hash is unchanged is not touched (no new cursor). */
  save(scope: RecordScope, records: Array<{ id: string; data: Record<string, unknown> }>, runId?: string): Promise<SaveSummary>;
  /** Deep-merges partial records into existing ones (arrays replaced). */
  update(scope: RecordScope, records: Array<{ id: string; data: Record<string, unknown> }>, runId?: string): Promise<SaveSummary>;
  /** Soft-deletes. */
  delete(scope: RecordScope, ids: string[], runId?: string): Promise<SaveSummary>;
  getByIds(scope: RecordScope, ids: string[]): Promise<Map<string, StoredRecord>>;
  query(scope: RecordScope, query: RecordQuery): Promise<{ records: StoredRecord[]; nextCursor: string | null }>;
  /** trackDeletes: records not seen since `runId` started are soft-deleted; returns how many. */
  deleteUnseen(scope: RecordScope, runId: string): Promise<number>;
  /**
   * How many live records `deleteUnseen(scope, runId)` would delete now, deleting nothing (0 when
   * `runId` holds no open session). The delete guard weighs a pass with it before running it.
   */
  countUnseen(scope: RecordScope, runId: string): Promise<number>;
  /**
   * Marks the start of deletion tracking for a run. `resume: true` continues the session an
   * interrupted run left open (the run resumes from a checkpoint); otherwise a new session starts
   * unless this run already opened one. `ifOpen: true` (with resume) starts no session when none is open.
   */
  markSeenStart(scope: RecordScope, runId: string, options?: { resume?: boolean; ifOpen?: boolean }): Promise<void>;
  count(scope: RecordScope, options?: { includeDeleted?: boolean }): Promise<number>;
  /**
   * The scope's newest cursor (its start, `c0`, when empty): a mark from which `changes` later
   * counts what was written after it. Reading it writes nothing.
   */
  mark(scope: RecordScope): Promise<string>;
  /** Records whose latest change has a cursor in `range`, counted by last action (see ChangeSummary). */
  changes(scope: RecordScope, range?: CursorRange): Promise<ChangeSummary>;
  /**
   * Empties the payload of up to `limit` records whose cursor is at or before `untilCursor`,
   * oldest first (Nango's prune): each keeps its id and metadata, and its content hash is cleared,
   * so the next sync that sees it writes the payload back. Already-pruned records are skipped;
   * `hasMore` is true when some are left. Pruning is not a change: no cursor moves.
   */
  prune(scope: RecordScope, untilCursor: string, limit: number): Promise<{ count: number; hasMore: boolean }>;
  /** Removes every record of a connection (connection deleted). */
  purge(filter: { integrationId: string; connectionId?: string; model?: string }): Promise<number>;
}
