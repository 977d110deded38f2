/**
 * The key-value concern in memory: Keyv over its default Map. Also home of the small wrapper that
 * turns any Keyv into our KeyValueStore, so memory and SQLite behave the same way (the SQLite one
 * only swaps the Keyv storage).
 */
import { Keyv } from 'keyv';
import { PatchbayError } from '../../errors.ts';
import type { KeyValueStore } from '../types.ts';

/**
 * Wraps a Keyv as a KeyValueStore; Keyv's errors become STORE_ERROR.
 *
 * @example
 * const kv = keyValueStoreOver(new Keyv());
 */
export function keyValueStoreOver(keyv: Keyv): KeyValueStore {
  let failure: unknown;
  keyv.on('error', (error: unknown) => {
    failure = error;
  });
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    failure = undefined;
    try {
      const result = await fn();
      if (failure !== undefined) throw failure;
      return result;
    } catch (error) {
      throw new PatchbayError('STORE_ERROR', `Key-value ${what} failed: ${(error as Error).message ?? String(error)}.`, { cause: error });
    }
  };
  return {
    get: <T>(key: string) => guard('read', async () => (await keyv.get<T>(key)) ?? undefined),
    async set(key, value, ttlMs) {
      await guard('write', () => keyv.set(key, value, ttlMs));
    },
    delete: (key) => guard('delete', () => keyv.delete(key)),
  };
}

/** The in-memory KeyValueStore (tests, dry runs). */
export function createMemoryKeyValueStore(): KeyValueStore {
  return keyValueStoreOver(new Keyv());
}
