/**
 * The read side of synced records, in Nango's `GET /records` shape. One function shared by
 * `patchbay records`, the MCP `query_records` tool and the HTTP `GET /records` route, so every
 * front end pages, filters and formats the same way.
 */
import type { RecordQuery, RecordScope, RecordStore, StoredRecord } from './types.ts';

/** Nango's per-record metadata. */
export interface NangoRecordMetadata {
  first_seen_at: string;
  last_modified_at: string;
  last_action: StoredRecord['last_action'];
  deleted_at: string | null;
  cursor: string;
}

export type NangoRecord = Record<string, unknown> & { _nango_metadata: NangoRecordMetadata };

/** `{ records, next_cursor }`, as Nango's GET /records answers. */
export interface RecordsPage {
  records: NangoRecord[];
  next_cursor: string | null;
}

/** A stored record as Nango returns it: its data plus `_nango_metadata`. */
export function toNangoRecord(record: StoredRecord): NangoRecord {
  return {
    ...record.data,
    _nango_metadata: {
      first_seen_at: record.first_seen_at,
      last_modified_at: record.last_modified_at,
      last_action: record.last_action,
      deleted_at: record.deleted_at,
      cursor: record.cursor,
    },
  };
}

/**
 * One page of records of a scope. Pass `next_cursor` back as `cursor` for the next page; a page
 * without `next_cursor` is the last one. Paging is stable while syncs write: a record changed
 * meanwhile comes again later in its newer state, none is skipped. Errors (bad cursor, limit,
 * date, filter) are INVALID_ARGUMENT with what to pass instead.
 *
 * @example
 * const page = await queryRecords(store, { integrationId: 'github', connectionId: 'alice', model: 'Issue' }, { limit: 100 });
 */
export async function queryRecords(store: Pick<RecordStore, 'query'>, scope: RecordScope, query: RecordQuery = {}): Promise<RecordsPage> {
  const page = await store.query(scope, query);
  return { records: page.records.map(toNangoRecord), next_cursor: page.nextCursor };
}
