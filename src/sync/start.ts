/**
 * `nango.triggerSync` / `nango.startSync` on a live runtime: start sync runs through the sync
 * runner and return at once. The caller's execution does not wait for (nor fail with) the runs:
 * like Nango's trigger API, starting is the contract; each run's outcome goes to the server log
 * and its run row (`patchbay sync status`).
 */
import { connectionAllowed, FULL_SCOPE, type ApiScope } from '../access/scope.ts';
import { PatchbayError } from '../errors.ts';
import type { SyncStartRequest } from '../runtime/capabilities.ts';
import { checkpointKey } from '../runtime/live-capabilities.ts';
import type { LogEntry } from '../runtime/types.ts';
import { findSync, runSync } from './runner.ts';
import type { SyncRuntime } from './types.ts';

/**
 * Validates the request (unknown syncs fail the caller with FUNCTION_NOT_FOUND), applies reset and
 * unpause, then starts one background run per (sync, connection) — without a connection, per
 * connection of the integration that `scope` allows.
 *
 * @example
 * await startSyncRuns(runtime, { integrationId: 'github', syncNames: ['issues'], connectionId: 'alice' }, log);
 */
export async function startSyncRuns(runtime: SyncRuntime, request: SyncStartRequest, log: (entry: LogEntry) => void, scope: ApiScope = FULL_SCOPE): Promise<void> {
  for (const name of request.syncNames) findSync(runtime, request.integrationId, name);
  const connectionIds = request.connectionId
    ? [request.connectionId]
    : (await runtime.store.connections.list({ integrationId: request.integrationId }))
        .map((c) => c.connection_id)
        .filter((id) => connectionAllowed(scope, request.integrationId, id));
  if (request.connectionId && !(await runtime.store.connections.get(request.integrationId, request.connectionId))) {
    throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${request.connectionId}" for integration "${request.integrationId}"; the sync was not started.`);
  }
  for (const connectionId of connectionIds) {
    for (const syncName of request.syncNames) {
      await prepare(runtime, request, connectionId, syncName);
      const where = `${request.integrationId}/${syncName} for ${connectionId}`;
      log({ time: new Date().toISOString(), level: 'info', message: `sync ${where} started${request.reset ? ' (full resync)' : ''}` });
      void runSync(runtime, { integrationId: request.integrationId, connectionId, syncName, trigger: 'api' }).then(
        (run) => runtime.logger?.info({ integrationId: request.integrationId, connectionId, sync: syncName, status: run.status }, 'sync started by a function finished'),
        (error: unknown) => runtime.logger?.warn({ integrationId: request.integrationId, connectionId, sync: syncName, error: (error as Error).message }, 'sync started by a function did not run'),
      );
    }
  }
}

/** Full resync: forget the checkpoint and the last success (so `lastSyncDate` is unset). startSync: unpause. */
async function prepare(runtime: SyncRuntime, request: SyncStartRequest, connectionId: string, syncName: string): Promise<void> {
  if (!request.reset && !request.unpause) return;
  if (request.reset) await runtime.store.kv.delete(checkpointKey(request.integrationId, connectionId, syncName));
  const state = await runtime.store.syncs.getState(request.integrationId, connectionId, syncName);
  if (!state) return;
  await runtime.store.syncs.setState({
    ...state,
    ...(request.reset ? { last_success_at: null } : {}),
    ...(request.unpause ? { paused: false } : {}),
  });
}
