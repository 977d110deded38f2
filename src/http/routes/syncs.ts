/**
 * Nango's sync API, as `@nangohq/node` calls it: `POST /sync/trigger` (`triggerSync`: run now,
 * `full_refresh` forgets the checkpoint first), `POST /sync/start` (`startSync`: unpause and run
 * now), `POST /sync/pause` (`pauseSync`: no more scheduled runs) and `GET /sync/status`
 * (`syncStatus`). No syncs named means every sync of the integration; no connection means every
 * connection of the integration the key may use. Runs start in the background, as in Nango: the
 * answer says they started; `GET /sync/status` and `patchbay sync status` show how they ended.
 *
 * `PUT /sync/update-connection-frequency` (`updateSyncConnectionFrequency`) gives one connection
 * its own frequency (or takes it back with `null`). Sync variants answer 501 until they exist.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { connectionAllowed, type ApiScope } from '../../access/scope.ts';
import type { FunctionManifest, Manifest } from '../../build/manifest.ts';
import { PatchbayError } from '../../errors.ts';
import type { SyncStartRequest } from '../../runtime/capabilities.ts';
import type { Store } from '../../store/types.ts';
import { checkpointKey } from '../../runtime/live-capabilities.ts';
import { findSync } from '../../sync/runner.ts';
import { forConnection, nextRunAt } from '../../sync/schedule.ts';
import { defaultSyncState, setSyncPaused } from '../../sync/state.ts';
import { parseFrequency } from '../../build/frequency.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, invalid, readJsonBody } from './request.ts';

export interface SyncRouteDeps {
  store: Pick<Store, 'syncs' | 'connections' | 'records' | 'kv'>;
  manifest(): Manifest;
  /** Starts runs in the background under the caller's scope (sync/start.ts's startSyncRuns). */
  start(request: SyncStartRequest, scope: ApiScope): Promise<void>;
}

const SyncName = z.union([z.string().min(1), z.object({ name: z.string().min(1), variant: z.string().min(1) })]);

/** The body of `POST /sync/{trigger,start,pause}`. */
export const SyncsBody = z.object({
  syncs: z.array(SyncName).max(1000).default([]),
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1).optional(),
  sync_mode: z.enum(['incremental', 'full_refresh', 'full_refresh_and_clear_cache']).optional(),
  opts: z.object({ reset: z.boolean().optional(), emptyCache: z.boolean().optional() }).optional(),
});

const BODY_SHAPE = '{ "provider_config_key": "<integration>", "syncs": ["<sync>", …], "connection_id"?: "<id>" }';

/** The named syncs of the integration (all of them when none is named); variants are refused. */
function syncsOf(deps: SyncRouteDeps, integrationId: string, names: Array<z.infer<typeof SyncName>>): FunctionManifest[] {
  const runtime = { manifest: deps.manifest() };
  if (names.length === 0) {
    const all = runtime.manifest.functions.filter((fn) => fn.type === 'sync' && fn.integrationId === integrationId);
    if (all.length === 0) {
      throw new PatchbayError('FUNCTION_NOT_FOUND', `Integration "${integrationId}" has no syncs. Run \`patchbay sync list\` to see the project's syncs.`);
    }
    return all;
  }
  return names.map((entry) => {
    if (typeof entry !== 'string' && entry.variant !== 'base') {
      throw new PatchbayError('NOT_IMPLEMENTED', `Sync variants are not available in this version of patchbay ("${entry.name}::${entry.variant}"); name the sync alone.`);
    }
    return findSync(runtime, integrationId, typeof entry === 'string' ? entry : entry.name);
  });
}

/** The connections a request covers: the one named (in scope, existing) or every one the key may use. */
async function connectionsOf(deps: SyncRouteDeps, scope: ApiScope, integrationId: string, connectionId: string | undefined): Promise<string[]> {
  if (connectionId !== undefined) {
    assertMayUse(scope, integrationId, connectionId);
    if (!(await deps.store.connections.get(integrationId, connectionId))) {
      throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${connectionId}" of "${integrationId}".`);
    }
    return [connectionId];
  }
  return (await deps.store.connections.list({ integrationId })).map((row) => row.connection_id).filter((id) => connectionAllowed(scope, integrationId, id));
}

/** `POST /sync/trigger` and `POST /sync/start`: runs start in the background. */
export function startSyncs(deps: SyncRouteDeps, how: 'trigger' | 'start'): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const body = await readJsonBody(c, SyncsBody, BODY_SHAPE);
    const integrationId = body.provider_config_key;
    const syncs = syncsOf(deps, integrationId, body.syncs);
    const scope = c.get('scope');
    // Checked here (scope, existence) so a refused request starts nothing.
    await connectionsOf(deps, scope, integrationId, body.connection_id);
    const reset = how === 'trigger' && (body.sync_mode === 'full_refresh' || body.sync_mode === 'full_refresh_and_clear_cache' || body.opts?.reset === true);
    await deps.start(
      {
        integrationId,
        syncNames: syncs.map((fn) => fn.name),
        ...(body.connection_id !== undefined ? { connectionId: body.connection_id } : {}),
        ...(reset ? { reset: true } : {}),
        ...(how === 'start' ? { unpause: true } : {}),
      },
      scope,
    );
    return c.json({ success: true });
  };
}

/** `POST /sync/pause`: no more scheduled runs until started again. */
export function pauseSyncs(deps: SyncRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const body = await readJsonBody(c, SyncsBody, BODY_SHAPE);
    const syncs = syncsOf(deps, body.provider_config_key, body.syncs);
    const connections = await connectionsOf(deps, c.get('scope'), body.provider_config_key, body.connection_id);
    for (const connectionId of connections) {
      for (const fn of syncs) await setSyncPaused(deps.store, fn.integrationId, connectionId, fn.name, true);
    }
    return c.json({ success: true });
  };
}

/** `GET /sync/status?syncs=a,b|*&provider_config_key=&connection_id=`. */
export function syncStatus(deps: SyncRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const integrationId = c.req.query('provider_config_key')?.trim();
    if (!integrationId) throw invalid('Missing query parameter provider_config_key: the integration id.');
    const wanted = c.req.query('syncs')?.trim();
    if (!wanted) throw invalid('Missing query parameter syncs: sync names separated by commas, or * for all.');
    const names = wanted === '*' ? [] : wanted.split(',').map((name) => name.trim()).filter(Boolean);
    const syncs = syncsOf(
      deps,
      integrationId,
      names.map((name) => (name.includes('::') ? { name: name.split('::')[0]!, variant: name.split('::')[1]! } : name)),
    );
    const connections = await connectionsOf(deps, c.get('scope'), integrationId, c.req.query('connection_id') || undefined);
    const out = [];
    for (const connectionId of connections) {
      for (const fn of syncs) {
        const state = await deps.store.syncs.getState(integrationId, connectionId, fn.name);
        const [run] = await deps.store.syncs.listRuns({ integrationId, connectionId, syncName: fn.name, limit: 1 });
        const runStatus = run ? ({ running: 'RUNNING', success: 'SUCCESS', failed: 'ERROR', cancelled: 'STOPPED' } as const)[run.status] : undefined;
        const status = run?.status === 'running' ? 'RUNNING' : state?.paused ? 'PAUSED' : (runStatus ?? 'STOPPED');
        const models = Object.keys(fn.models ?? {});
        const recordCount: Record<string, number> = {};
        for (const model of models) recordCount[model] = await deps.store.records.count({ integrationId, connectionId, model });
        out.push({
          id: run?.id,
          type: state?.last_success_at ? 'INCREMENTAL' : 'INITIAL',
          name: fn.name,
          variant: 'base',
          connection_id: connectionId,
          status,
          frequency: state?.frequency ?? fn.frequency ?? null,
          finishedAt: run?.finished_at ?? undefined,
          nextScheduledSyncAt: state?.paused ? null : (state?.next_run_at ?? null),
          latestExecutionStatus: runStatus,
          // Counts are kept per run, not per model: they are given per model when there is one.
          ...(run && models.length === 1 ? { latestResult: { [models[0]!]: { added: run.added, updated: run.updated, deleted: run.deleted } } } : {}),
          recordCount,
          checkpoint: (await deps.store.kv.get(checkpointKey(integrationId, connectionId, fn.name))) ?? null,
          ...(run?.error ? { error: run.error } : {}),
        });
      }
    }
    return c.json({ syncs: out });
  };
}

/** The shortest interval a connection's own frequency may have. */
const MIN_CONNECTION_INTERVAL_MS = 30_000;

/** The body of `PUT /sync/update-connection-frequency`. */
export const FrequencyBody = z.object({
  sync_name: z.string().min(1),
  sync_variant: z.string().min(1).optional(),
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1),
  frequency: z.string().min(1).max(200).nullable(),
});

/**
 * `PUT /sync/update-connection-frequency`: this connection's sync runs at `frequency` (an
 * interval like "every 5 minutes" or a cron expression, as in a sync's definition), or again at
 * the sync's own with `null`. A running schedule moves at once: the next run is one new interval
 * from now. Answers `{ frequency }`, the one that now applies.
 */
export function updateConnectionFrequency(deps: SyncRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const body = await readJsonBody(c, FrequencyBody, '{ "provider_config_key": "<integration>", "sync_name": "<sync>", "connection_id": "<id>", "frequency": "every 5 minutes" | null }');
    const integrationId = body.provider_config_key;
    const [fn] = syncsOf(deps, integrationId, [body.sync_variant === undefined ? body.sync_name : { name: body.sync_name, variant: body.sync_variant }]);
    await connectionsOf(deps, c.get('scope'), integrationId, body.connection_id);
    if (body.frequency !== null) {
      let parsed;
      try {
        parsed = parseFrequency(body.frequency);
      } catch (error) {
        throw invalid(`frequency: ${(error as Error).message}`);
      }
      if ('intervalMs' in parsed && parsed.intervalMs < MIN_CONNECTION_INTERVAL_MS) {
        throw invalid(`frequency: "${body.frequency}" is more often than every ${MIN_CONNECTION_INTERVAL_MS / 1000} seconds, the shortest a connection may ask for.`);
      }
    }
    const held = await deps.store.syncs.getState(integrationId, body.connection_id, fn!.name);
    // Never seen: the state it would have, paused when the sync does not start by itself.
    const state = held ?? { ...defaultSyncState(integrationId, body.connection_id, fn!.name), paused: fn!.autoStart === false };
    const next = { ...state, frequency: body.frequency };
    if (!state.paused) next.next_run_at = new Date(nextRunAt(forConnection(fn!, next), Date.now())).toISOString();
    // The row (its next run), then the frequency alone: a writer holding an older copy of the
    // row, or the scheduler making it meanwhile, cannot undo the frequency.
    await deps.store.syncs.setState(next);
    await deps.store.syncs.setFrequency(integrationId, body.connection_id, fn!.name, body.frequency);
    return c.json({ frequency: body.frequency ?? fn!.frequency ?? fn!.cron ?? null });
  };
}
