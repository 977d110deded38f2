/**
 * Record cursors. Inside a store a cursor is an integer that grows with every change of a scope
 * (integration, connection, model); readers see an opaque string. Paging `cursor > c ORDER BY
 * cursor` is stable under concurrent writes: a write always takes a cursor above every committed
 * one, so a record changed while a reader pages shows up again, later, in its newer state.
 */
import { PatchbayError } from '../errors.ts';

const PREFIX = 'c';

/** The opaque form of a cursor number. */
export function encodeCursor(value: number): string {
  return PREFIX + value.toString(36);
}

/** The cursor number of an opaque cursor; INVALID_ARGUMENT names what to pass instead. */
export function decodeCursor(cursor: string): number {
  if (typeof cursor === 'string' && cursor.startsWith(PREFIX)) {
    const value = Number.parseInt(cursor.slice(PREFIX.length), 36);
    if (Number.isSafeInteger(value) && value >= 0 && encodeCursor(value) === cursor) return value;
  }
  throw new PatchbayError(
    'INVALID_ARGUMENT',
    `Invalid cursor "${String(cursor).slice(0, 40)}". Pass the next_cursor (or a record's _nango_metadata.cursor) from an earlier response, or omit it to start from the beginning.`,
  );
}
