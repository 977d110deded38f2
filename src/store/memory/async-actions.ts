/** Asynchronous actions in memory (tests, dry runs); behaves like the SQLite table. */
import { laneKey, type AsyncActionRow, type AsyncActionStore } from '../types.ts';

const lane = (row: AsyncActionRow): string => laneKey(row.integration_id, row.connection_id);

/** The in-memory AsyncActionStore. */
export function createMemoryAsyncActionStore(): AsyncActionStore {
  // Insertion order is the queue order among rows due at the same time.
  const rows = new Map<string, AsyncActionRow>();
  const queued = (skipLanes: readonly string[]): AsyncActionRow[] => {
    const skip = new Set(skipLanes);
    return [...rows.values()].filter((row) => row.status === 'queued' && !skip.has(lane(row)));
  };
  return {
    async insert(row) {
      if (row.idempotency_key !== null) {
        for (const held of rows.values()) {
          if (held.idempotency_key === row.idempotency_key && held.idempotency_scope === row.idempotency_scope) return { row: structuredClone(held), created: false };
        }
      }
      rows.set(row.id, structuredClone(row));
      return { row: structuredClone(row), created: true };
    },
    async get(id) {
      const row = rows.get(id);
      return row ? structuredClone(row) : undefined;
    },
    async findByIdempotencyKey(idempotencyScope, idempotencyKey) {
      for (const row of rows.values()) if (row.idempotency_scope === idempotencyScope && row.idempotency_key === idempotencyKey) return structuredClone(row);
      return undefined;
    },
    async due(now, limit, skipLanes) {
      return queued(skipLanes)
        .filter((row) => row.run_at <= now)
        .sort((a, b) => a.run_at - b.run_at)
        .slice(0, limit)
        .map((row) => structuredClone(row));
    },
    async dueInLane(integrationId, connectionId, now, limit) {
      return [...rows.values()]
        .filter((row) => row.status === 'queued' && row.integration_id === integrationId && row.connection_id === connectionId && row.run_at <= now)
        .sort((a, b) => a.run_at - b.run_at)
        .slice(0, limit)
        .map((row) => structuredClone(row));
    },
    async claim(id, startedAt, owner) {
      const row = rows.get(id);
      if (!row || row.status !== 'queued') return false;
      Object.assign(row, { status: 'running', started_at: startedAt, claimed_by: owner, attempts: row.attempts + 1 });
      return true;
    },
    async update(id, owner, patch) {
      const row = rows.get(id);
      if (!row || row.status !== 'running' || row.claimed_by !== owner) return false;
      Object.assign(row, structuredClone(patch));
      return true;
    },
    async runningOwners() {
      return [...new Set([...rows.values()].filter((row) => row.status === 'running').map((row) => row.claimed_by ?? ''))];
    },
    async recoverOwner(owner, now, error, crashAllowance) {
      const out: Awaited<ReturnType<AsyncActionStore['recoverOwner']>> = { requeued: 0, failed: [] };
      for (const row of rows.values()) {
        if (row.status !== 'running' || (row.claimed_by ?? '') !== owner) continue;
        if (row.attempts > row.max_retries + crashAllowance) {
          Object.assign(row, { status: 'failed', error: structuredClone(error), finished_at: new Date(now).toISOString(), claimed_by: null, input: null });
          out.failed.push({ id: row.id, integration_id: row.integration_id, connection_id: row.connection_id, action_name: row.action_name });
        } else {
          Object.assign(row, { status: 'queued', run_at: now, claimed_by: null });
          out.requeued++;
        }
      }
      return out;
    },
    async countUnfinished(idempotencyScope) {
      let count = 0;
      for (const row of rows.values()) {
        if ((row.status === 'queued' || row.status === 'running') && (idempotencyScope === undefined || row.idempotency_scope === idempotencyScope)) count++;
      }
      return count;
    },
    async prune(before) {
      let count = 0;
      for (const [id, row] of rows) {
        if (row.finished_at !== null && row.finished_at < before) {
          rows.delete(id);
          count++;
        }
      }
      return count;
    },
  };
}
