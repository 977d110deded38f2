/** Shared set-up for connection tests: a temp PATCHBAY_HOME with a SQLite store and key file; mask checks. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';

export interface TempHome {
  dir: string;
  dbFile: string;
  keyFile: string;
  open(): Promise<Store>;
  cleanup(): void;
}

/** A fresh temporary home; `cleanup` removes it. */
export function tempHome(prefix = 'patchbay-conn-'): TempHome {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const dbFile = path.join(dir, 'patchbay.db');
  return {
    dir,
    dbFile,
    keyFile: path.join(dir, 'encryption.key'),
    open: () => openStore({ kind: 'sqlite', file: dbFile }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A random secret of `length` characters (base64url). */
export function secretOf(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** Fails when `output` holds 5 consecutive characters of `secret`. */
export function assertRevealsAtMost4(output: string, secret: string, where = 'output'): void {
  for (let i = 0; i + 5 <= secret.length; i++) {
    assert.ok(!output.includes(secret.slice(i, i + 5)), `${where} reveals "${secret.slice(i, i + 5)}…" (5+ characters) of a secret: ${output}`);
  }
}
