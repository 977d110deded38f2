/**
 * The whole Store in memory: every concern side by side, nothing persisted. For tests and dry runs;
 * behaves like SQLite (both run the same contract tests).
 */
import type { Store } from '../types.ts';
import { createMemoryAsyncActionStore } from './async-actions.ts';
import { createMemoryConnectionStore } from './connections.ts';
import { createMemoryApiKeyStore } from './keys.ts';
import { createMemoryKeyValueStore } from './kv.ts';
import { createMemoryLockStore } from './locks.ts';
import { createMemoryRecordStore } from './records.ts';
import { createMemorySyncStore } from './syncs.ts';

/** A fresh, empty in-memory Store. Prefer `openStore({ kind: 'memory' })`. */
export function createMemoryStore(): Store {
  return {
    kind: 'memory',
    connections: createMemoryConnectionStore(),
    kv: createMemoryKeyValueStore(),
    locks: createMemoryLockStore(),
    records: createMemoryRecordStore(),
    syncs: createMemorySyncStore(),
    keys: createMemoryApiKeyStore(),
    asyncActions: createMemoryAsyncActionStore(),
    async checkpoint() {
      return { complete: true };
    },
    async close() {},
  };
}
