/**
 * The per-connection state row of a sync (paused, last run, last success, next run), as it is
 * before anything has happened to it.
 */
import type { Store, SyncStateRow } from '../store/types.ts';

/**
 * The state of a sync that has never run, was never paused and is not scheduled yet. Every place
 * that finds no stored row (a first run, `sync pause`, the scheduler's first sight of a
 * connection) starts from this one value, so a field added to the row gets its default once.
 *
 * @example
 * const state = (await store.syncs.getState('github', 'alice', 'issues')) ?? defaultSyncState('github', 'alice', 'issues');
 * await store.syncs.setState({ ...state, paused: true });
 */
export function defaultSyncState(integrationId: string, connectionId: string, syncName: string): SyncStateRow {
  return {
    integration_id: integrationId,
    connection_id: connectionId,
    sync_name: syncName,
    paused: false,
    last_run_id: null,
    last_success_at: null,
    next_run_at: null,
    frequency: null,
  };
}

/**
 * Pauses (no more scheduled runs) or resumes a sync for one connection. Resuming schedules the
 * next run right away: the scheduler picks it up on its next tick.
 *
 * @example
 * await setSyncPaused(store, 'github', 'alice', 'issues', true);
 */
export async function setSyncPaused(store: Pick<Store, 'syncs'>, integrationId: string, connectionId: string, syncName: string, paused: boolean): Promise<void> {
  const state = (await store.syncs.getState(integrationId, connectionId, syncName)) ?? defaultSyncState(integrationId, connectionId, syncName);
  const next_run_at = paused ? state.next_run_at : (state.next_run_at ?? new Date().toISOString());
  await store.syncs.setState({ ...state, paused, next_run_at });
}
