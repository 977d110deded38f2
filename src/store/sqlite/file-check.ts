/**
 * What is at the database path before SQLite touches it. SQLite opens a zero-byte or missing file
 * as a new, empty database, so a truncated copy, an interrupted restore or `> patchbay.db` would
 * silently come back as a fresh install: every connection, record and API key gone, and a new
 * API key printed as if nothing happened. patchbay refuses such a file with one line that says
 * what it is and what to do, and never writes to it.
 *
 * A new database is made under a temporary name (0600, header written, WAL mode set) and
 * hard-linked into place, so the real path is never seen empty — not by a second process starting
 * at the same moment, and not after a crash — and is never readable by another user.
 */
import { closeSync, fsyncSync, linkSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createPrivateFile, restrictFile, syncDir } from '../../config/private-files.ts';
import { PatchbayError } from '../../errors.ts';

const MAGIC = 'SQLite format 3\0';
/** SQLite result codes that mean "this file is not (or no longer) a database". */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** The one-line refusal: what the file is, that patchbay leaves it alone, and what to do. */
export function unusableDatabase(file: string, what: string, cause?: unknown): PatchbayError {
  return new PatchbayError(
    'STORE_ERROR',
    `${file} ${what}; patchbay will not overwrite it. Restore it from a backup, or move it away to start with an empty database (mv ${file} ${file}.broken).`,
    cause === undefined ? {} : { cause },
  );
}

/** The error as is, or the refusal above when SQLite found the file corrupt or not a database. */
export function explainOpenFailure(file: string, error: unknown): unknown {
  // A migration wraps SQLite's error in its own; look one level down too.
  for (const candidate of [error, (error as { cause?: unknown } | null)?.cause]) {
    const errcode = (candidate as { errcode?: unknown } | null)?.errcode;
    if (errcode === SQLITE_CORRUPT || errcode === SQLITE_NOTADB) {
      return unusableDatabase(file, `is damaged (SQLite: ${(candidate as Error).message})`, error);
    }
  }
  return error;
}

function sizeOf(file: string): number | undefined {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new PatchbayError('STORE_ERROR', `${file} is not a regular file. Point PATCHBAY_HOME (or --home) at a folder patchbay can use.`);
    return stat.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(100);
    const read = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** True when SQLite has something to recover from beside the file (a WAL with frames, a hot journal). */
function hasRecoveryFile(file: string): boolean {
  return (sizeOf(`${file}-wal`) ?? 0) > 32 || (sizeOf(`${file}-journal`) ?? 0) > 0;
}

/**
 * Refuses a file at `file` that is not a whole SQLite database: empty, another kind of file, or
 * shorter than its own header says (when no WAL or journal could make up the difference).
 */
function checkExisting(file: string, size: number): void {
  if (size === 0) {
    throw unusableDatabase(file, 'is empty (0 bytes): a patchbay database is never empty, so it was truncated or not copied completely');
  }
  const header = readHeader(file);
  if (header.length < 100 || header.toString('latin1', 0, 16) !== MAGIC) {
    throw unusableDatabase(file, `is not a SQLite database (${size} bytes that do not start with "SQLite format 3")`);
  }
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw unusableDatabase(file, `has a damaged header (page size ${raw})`);
  }
  if (hasRecoveryFile(file)) return;
  // The page count in the header is valid when "version-valid-for" equals the change counter.
  const pages = header.readUInt32BE(28);
  const counted = header.readUInt32BE(92) === header.readUInt32BE(24) && pages > 0;
  if (size % pageSize !== 0 || (counted && pages * pageSize > size)) {
    throw unusableDatabase(file, `is truncated (${size} bytes${counted ? `, its header says ${pages * pageSize}` : `, not a whole number of ${pageSize}-byte pages`})`);
  }
}

/** Makes a new database at `file` atomically, 0600 (see the module comment). */
function createDatabaseFile(file: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  createPrivateFile(tmp);
  try {
    const db = new DatabaseSync(tmp);
    try {
      db.exec('PRAGMA journal_mode = WAL'); // writes the header page: the file is a database now
    } finally {
      db.close();
    }
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
    } catch (error) {
      // Another process created it a moment ago, the same way: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    syncDir(path.dirname(file));
  } finally {
    for (const leftover of [tmp, `${tmp}-wal`, `${tmp}-shm`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // Absent already.
      }
    }
  }
}

/**
 * Gets `file` ready for `new DatabaseSync(file)`: refuses what is not a usable database, creates a
 * missing one, and takes group/other bits off the file and its `-wal`/`-shm` before SQLite opens
 * them (SQLite creates `-wal` and `-shm` with the database file's own mode, so they follow).
 *
 * @example
 * prepareDatabaseFile('/srv/.patchbay/patchbay.db');
 */
export function prepareDatabaseFile(file: string): void {
  const size = sizeOf(file);
  if (size === undefined) {
    if ((sizeOf(`${file}-wal`) ?? 0) > 32) {
      throw new PatchbayError(
        'STORE_ERROR',
        `${file} is missing but its write-ahead log ${file}-wal is still there, and SQLite would replay it into a new, empty database; patchbay will not create one. Restore ${file} from a backup, or move ${file}-wal away to start with an empty database.`,
      );
    }
    createDatabaseFile(file);
  } else {
    checkExisting(file, size);
  }
  for (const part of [file, `${file}-wal`, `${file}-shm`]) restrictFile(part);
}
