/** Shared set-up for connection tests: a temp PATCHBAY_HOME with a SQLite store and key file. */
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
