/** Leases in memory: one process only, same semantics as the SQLite table. */
import type { LockStore } from '../types.ts';

/** The in-memory LockStore. */
export function createMemoryLockStore(): LockStore {
  const leases = new Map<string, { owner: string; expiresAt: number }>();
  return {
    async tryAcquire(key, owner, ttlMs) {
      const now = Date.now();
      const lease = leases.get(key);
      if (lease && lease.expiresAt > now && lease.owner !== owner) return false;
      leases.set(key, { owner, expiresAt: now + ttlMs });
      return true;
    },
    async release(key, owner) {
      const lease = leases.get(key);
      if (!lease || lease.owner !== owner || lease.expiresAt <= Date.now()) return false;
      leases.delete(key);
      return true;
    },
    async inspect(key) {
      const lease = leases.get(key);
      return lease ? { ...lease } : undefined;
    },
  };
}
