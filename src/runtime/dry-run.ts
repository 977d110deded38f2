/**
 * Capabilities that keep state in memory instead of the store: what `dryrun` uses so a run
 * persists nothing (records collected for display, metadata and checkpoint writes kept for the
 * run only), and what tests use to run a function without a database.
 */
import type { Capabilities, RecordCapabilities } from './capabilities.ts';
import type { ExecutionResult, SyncChanges } from './types.ts';

/** The metadata and checkpoint half of Capabilities, backed by two variables. */
export type StateCapabilities = Pick<
  Capabilities,
  'getMetadata' | 'setMetadata' | 'updateMetadata' | 'getCheckpoint' | 'saveCheckpoint' | 'clearCheckpoint'
>;

/**
 * Metadata and checkpoint held in memory, seeded from `initial` (e.g. `--metadata`, `--checkpoint`).
 *
 * @example
 * const state = memoryState({ metadata: { team: 'core' } });
 */
export function memoryState(initial: { metadata?: Record<string, unknown> | null; checkpoint?: Record<string, unknown> | null } = {}): StateCapabilities & {
  snapshot(): { metadata: Record<string, unknown> | null; checkpoint: Record<string, unknown> | null };
} {
  let metadata = initial.metadata ?? null;
  let checkpoint = initial.checkpoint ?? null;
  return {
    getMetadata: async () => (metadata ? structuredClone(metadata) : null),
    setMetadata: async (value) => {
      metadata = structuredClone(value);
    },
    updateMetadata: async (patch) => {
      metadata = { ...(metadata ?? {}), ...structuredClone(patch) };
    },
    getCheckpoint: async () => (checkpoint ? structuredClone(checkpoint) : null),
    saveCheckpoint: async (value) => {
      checkpoint = structuredClone(value);
    },
    clearCheckpoint: async () => {
      checkpoint = null;
    },
    snapshot: () => ({ metadata, checkpoint }),
  };
}

/** A RecordCapabilities that only collects: what a dry-run sync would have saved and deleted. */
export interface RecordCollector {
  caps: RecordCapabilities;
  /** By model: records saved or updated (in call order) and records deleted. */
  records(): NonNullable<ExecutionResult['records']>;
  /** Counts as the change summary would show them (every saved record counts as added). */
  changes(): SyncChanges;
}

/**
 * Collects records in memory. `getByIds` answers from what this run saved, or from `lookup`
 * (the real store, read-only) when given.
 */
export function createRecordCollector(lookup?: RecordCapabilities['getByIds']): RecordCollector {
  const byModel = new Map<string, { saved: Record<string, unknown>[]; deleted: Record<string, unknown>[]; updated: number }>();
  const model = (name: string) => {
    let entry = byModel.get(name);
    if (!entry) byModel.set(name, (entry = { saved: [], deleted: [], updated: 0 }));
    return entry;
  };
  const caps: RecordCapabilities = {
    async save(name, records) {
      model(name).saved.push(...records);
    },
    async update(name, records) {
      const entry = model(name);
      entry.saved.push(...records);
      entry.updated += records.length;
    },
    async delete(name, records) {
      model(name).deleted.push(...records);
    },
    async getByIds(name, ids) {
      const wanted = new Set(ids);
      const found = new Map<string, Record<string, unknown>>();
      if (lookup) for (const [id, record] of await lookup(name, ids)) found.set(id, record);
      for (const record of byModel.get(name)?.saved ?? []) {
        const id = String(record['id']);
        if (wanted.has(id)) found.set(id, { ...(found.get(id) ?? {}), ...record });
      }
      return [...found];
    },
    async trackDeletesStart() {},
    async trackDeletesEnd() {},
  };
  return {
    caps,
    records: () => Object.fromEntries([...byModel].map(([name, e]) => [name, { saved: e.saved, deleted: e.deleted }])),
    changes: () =>
      Object.fromEntries(
        [...byModel].map(([name, e]) => [name, { added: e.saved.length - e.updated, updated: e.updated, deleted: e.deleted.length, unchanged: 0 }]),
      ),
  };
}
