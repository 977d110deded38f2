/**
 * Rules every RecordStore shares: query defaults and limits, and the options of delete tracking.
 * Kept in one place so the memory and SQLite stores cannot drift apart.
 */
import { PatchbayError } from '../errors.ts';
import type { RecordQuery, StoredRecord } from './types.ts';

/** Default page size of a records query (Nango's default). */
export const DEFAULT_LIMIT = 100;
/** Largest page a query returns. */
export const MAX_LIMIT = 10_000;

/**
 * Options of `markSeenStart`. `resume: true` continues the open tracking session left by an
 * interrupted run (the next run resumes from a checkpoint, so records saved before the crash
 * still count as seen); without it an open session of another run is discarded.
 */
export interface MarkSeenOptions {
  resume?: boolean;
  /** With `resume`: only adopt an open session; start none when there is none. */
  ifOpen?: boolean;
}

export interface NormalizedQuery {
  cursor?: string;
  limit: number;
  modifiedAfter?: string;
  actions?: Set<StoredRecord['last_action']>;
  ids?: string[];
}

const ACTIONS = { added: 'ADDED', updated: 'UPDATED', deleted: 'DELETED' } as const;

/** Validates a RecordQuery; errors say which field is wrong and what is accepted. */
export function normalizeQuery(query: RecordQuery): NormalizedQuery {
  const out: NormalizedQuery = { limit: DEFAULT_LIMIT };
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new PatchbayError('INVALID_ARGUMENT', `limit must be a positive integer (got ${String(query.limit)}); at most ${MAX_LIMIT}.`);
    }
    out.limit = Math.min(query.limit, MAX_LIMIT);
  }
  if (query.modifiedAfter !== undefined) {
    const time = new Date(query.modifiedAfter);
    if (Number.isNaN(time.getTime())) {
      throw new PatchbayError('INVALID_ARGUMENT', `modifiedAfter "${query.modifiedAfter}" is not a date. Use an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z.`);
    }
    out.modifiedAfter = time.toISOString();
  }
  if (query.filter !== undefined && query.filter.length > 0) {
    out.actions = new Set();
    for (const name of query.filter) {
      const action = ACTIONS[String(name).toLowerCase() as keyof typeof ACTIONS];
      if (!action) throw new PatchbayError('INVALID_ARGUMENT', `Unknown filter "${String(name)}". Use added, updated and/or deleted.`);
      out.actions.add(action);
    }
  }
  if (query.cursor !== undefined && query.cursor !== '') out.cursor = query.cursor;
  if (query.ids !== undefined) out.ids = query.ids.map(String);
  return out;
}
