/**
 * The per-connection state row of a sync (paused, last run, last success, next run), as it is
 * before anything has happened to it.
 */
import type { SyncStateRow } from '../store/types.ts';

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
  };
}
