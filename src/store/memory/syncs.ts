/**
 * The in-memory SyncStore (tests, dryrun): sync runs and per-(integration, connection, sync)
 * scheduling state, held in Maps. Same contract as the SQLite one.
 */
import { PatchbayError } from '../../errors.ts';
import type { SyncAnnouncementRow, SyncRunRow, SyncStateRow, SyncStore } from '../types.ts';

const stateKey = (i: string, c: string, s: string): string => JSON.stringify([i, c, s]);

/**
 * A SyncStore held in memory.
 *
 * @example const syncs = createMemorySyncStore(); await syncs.startRun({ id, integration_id, … });
 */
export function createMemorySyncStore(): SyncStore & { getRun(id: string): Promise<SyncRunRow | undefined> } {
  const runs = new Map<string, SyncRunRow>();
  const states = new Map<string, SyncStateRow>();
  const announcements = new Map<string, SyncAnnouncementRow>();
  return {
    async startRun(run) {
      if (runs.has(run.id)) throw new PatchbayError('STORE_ERROR', `Sync run ${run.id} already exists.`);
      runs.set(run.id, { ...run, start_cursors: { ...run.start_cursors }, finished_at: null, error: null, added: 0, updated: 0, deleted: 0, duration_ms: null });
    },
    async finishRun(id, patch) {
      const run = runs.get(id);
      if (!run) throw new PatchbayError('NOT_FOUND', `No sync run ${id}.`);
      runs.set(id, { ...run, ...patch, finished_at: new Date().toISOString() });
    },
    async getRun(id) {
      const run = runs.get(id);
      return run ? { ...run, start_cursors: { ...run.start_cursors } } : undefined;
    },
    async listRuns(filter) {
      return [...runs.values()]
        .filter((r) => filter.integrationId === undefined || r.integration_id === filter.integrationId)
        .filter((r) => filter.connectionId === undefined || r.connection_id === filter.connectionId)
        .filter((r) => filter.syncName === undefined || r.sync_name === filter.syncName)
        .filter((r) => filter.status === undefined || r.status === filter.status)
        .sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0))
        .slice(0, filter.limit ?? 50)
        .map((r) => ({ ...r, start_cursors: { ...r.start_cursors } }));
    },
    async getState(integrationId, connectionId, syncName) {
      const row = states.get(stateKey(integrationId, connectionId, syncName));
      return row ? { ...row } : undefined;
    },
    async setState(row) {
      const key = stateKey(row.integration_id, row.connection_id, row.sync_name);
      const held = states.get(key);
      states.set(key, { ...row, frequency: held ? held.frequency : (row.frequency ?? null) });
    },
    async setFrequency(integrationId, connectionId, syncName, frequency) {
      const held = states.get(stateKey(integrationId, connectionId, syncName));
      if (!held) return false;
      held.frequency = frequency;
      return true;
    },
    async listStates(filter = {}) {
      return [...states.values()]
        .filter((r) => filter.integrationId === undefined || r.integration_id === filter.integrationId)
        .filter((r) => filter.syncName === undefined || r.sync_name === filter.syncName)
        .map((r) => ({ ...r }));
    },
    async listAnnouncements(integrationId, connectionId, syncName) {
      return [...announcements.values()]
        .filter((r) => r.integration_id === integrationId && r.connection_id === connectionId && r.sync_name === syncName)
        .map((r) => ({ ...r }));
    },
    async setAnnouncement(row) {
      announcements.set(JSON.stringify([row.integration_id, row.connection_id, row.sync_name, row.model]), { ...row });
    },
  };
}
