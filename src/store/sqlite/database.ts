/**
 * Opening the embedded SQLite database (node:sqlite) the way every concern expects it: WAL so
 * readers never block the writer, a busy timeout so two processes sharing the file wait for each
 * other instead of failing, foreign keys on, and prepared statements cached per database. The
 * file, its `-wal` and `-shm` are 0600 and a file that is not a whole database is refused before
 * SQLite can mistake it for a new one (file-check.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { PRIVATE_DIR_MODE } from '../../config/private-files.ts';
import { PatchbayError } from '../../errors.ts';
import { explainOpenFailure, prepareDatabaseFile } from './file-check.ts';

/** Milliseconds a writer waits for another process's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating when missing, 0600) the database file with WAL and busy_timeout set.
 * Fails with STORE_ERROR naming the file when it cannot be opened, and refuses an empty,
 * truncated or non-SQLite file instead of initialising it.
 *
 * @example
 * const db = openDatabase('/srv/.patchbay/patchbay.db');
 */
export function openDatabase(file: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    if (file !== ':memory:') {
      // A missing folder is created owner-only; an existing one is the caller's (app.ts tightens PATCHBAY_HOME).
      mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      prepareDatabaseFile(file);
    }
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof PatchbayError) throw error;
    const explained = explainOpenFailure(file, error);
    if (explained instanceof PatchbayError) throw explained;
    throw new PatchbayError(
      'STORE_ERROR',
      `Cannot open the database ${file}: ${(error as Error).message}. Check the folder exists and is writable, or set PATCHBAY_HOME.`,
      { cause: error },
    );
  }
}

const caches = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/**
 * A prepared statement for `sql`, compiled once per database and reused: statements are the
 * hot path of every store call, and compiling SQL each time costs more than running it.
 *
 * @example
 * statement(db, 'SELECT * FROM connections WHERE integration_id = ?').all('github');
 */
export function statement(db: DatabaseSync, sql: string): StatementSync {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

/**
 * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (rolled back when it throws). IMMEDIATE takes the
 * write lock up front, so a read-then-write cannot be overtaken by another process.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
