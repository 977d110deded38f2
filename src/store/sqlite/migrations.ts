/**
 * Schema migrations, one ordered list per concern (connections, kv, locks, api keys, records,
 * syncs). Each concern migrates itself when its store is created, so a concern's schema lives next
 * to its queries and the Postgres adapter can mirror the same lists one to one.
 *
 * Applied versions are kept in `migrations(concern, version, applied_at)`; a step never runs twice,
 * and steps of one concern run in a single transaction.
 */
import type { DatabaseSync } from 'node:sqlite';
import { PatchbayError } from '../../errors.ts';
import { statement, transaction } from './database.ts';

/** One concern's ordered schema steps; index + 1 is the version. Append, never edit. */
export interface MigrationList {
  concern: string;
  steps: string[];
}

/**
 * Brings `list.concern` up to date. Safe to call from several processes at once: the check and the
 * steps run under one IMMEDIATE transaction.
 *
 * @example
 * migrate(db, { concern: 'records', steps: ['CREATE TABLE records (...)'] });
 */
export function migrate(db: DatabaseSync, list: MigrationList): void {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    concern TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (concern, version)
  )`);
  try {
    transaction(db, () => {
      const row = statement(db, 'SELECT MAX(version) AS v FROM migrations WHERE concern = ?').get(list.concern) as { v: number | null } | undefined;
      const current = row?.v ?? 0;
      if (current > list.steps.length) {
        throw new PatchbayError(
          'STORE_ERROR',
          `The database schema for "${list.concern}" is at version ${current}, newer than this patchbay knows (${list.steps.length}). Upgrade patchbay.`,
        );
      }
      for (let version = current + 1; version <= list.steps.length; version++) {
        db.exec(list.steps[version - 1]!);
        statement(db, 'INSERT INTO migrations (concern, version, applied_at) VALUES (?, ?, ?)').run(list.concern, version, new Date().toISOString());
      }
    });
  } catch (error) {
    if (error instanceof PatchbayError) throw error;
    throw new PatchbayError('STORE_ERROR', `Migrating "${list.concern}" failed: ${(error as Error).message}.`, { cause: error });
  }
}
