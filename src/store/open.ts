/**
 * The one way to get a Store. Callers say which kind; everything behind is chosen here, so the
 * runtime, the CLI and the servers never import an adapter directly.
 */
import { PatchbayError } from '../errors.ts';
import { createMemoryStore } from './memory/index.ts';
import { createSqliteStore } from './sqlite/index.ts';
import type { Store } from './types.ts';

/** Which store to open: in memory, an embedded SQLite file, or (later) Postgres. */
export type StoreOptions = { kind: 'memory' } | { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/**
 * Opens a Store; close it with `store.close()`.
 *
 * @example
 * const store = await openStore({ kind: 'sqlite', file: paths.databaseFile });
 * try { ... } finally { await store.close(); }
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  switch (options.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite':
      return createSqliteStore(options.file);
    case 'postgres':
      throw new PatchbayError('STORE_ERROR', 'The Postgres store is not available yet. Use the embedded SQLite store (the default) for now.');
    default:
      throw new PatchbayError('INVALID_CONFIG', `Unknown store kind "${(options as { kind: string }).kind}". Use "memory" or "sqlite".`);
  }
}
