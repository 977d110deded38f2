/**
 * One sync run for one connection, start to finish: lease, stale-run cleanup, the run row,
 * delete tracking, the executor, full-refresh deletes, counts, state, webhooks. The scheduler,
 * `patchbay sync run` and the API all call `runSync`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FunctionManifest } from '../build/manifest.ts';
import { PatchbayError, boundedErrorJSON, toPatchbayError } from '../errors.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../observability/truncate.ts';
import { loadIntegrationConfig } from '../providers/integration.ts';
import type { SyncChanges } from '../runtime/types.ts';
import type { SyncRunRow } from '../store/types.ts';
import { checkpointKey } from '../runtime/live-capabilities.ts';
import { defaultSyncState } from './state.ts';
import { syncLockKey, type RunSyncOptions, type SyncRuntime } from './types.ts';
import { deliverWebhook, webhookTarget, type SyncWebhookBody, type WebhookTarget } from './webhooks.ts';
import { checkDeletePasses, deleteGuardFor } from './delete-guard.ts';

/** Default lease of a running sync (ms). */
export const DEFAULT_LEASE_MS = 60_000;

/** The manifest entry of a sync; FUNCTION_NOT_FOUND lists the syncs that exist. */
export function findSync(runtime: Pick<SyncRuntime, 'manifest'>, integrationId: string, syncName: string): FunctionManifest {
  const syncs = runtime.manifest.functions.filter((f) => f.type === 'sync');
  const fn = syncs.find((f) => f.integrationId === integrationId && f.name === syncName);
  if (fn) return fn;
  const known = syncs.map((f) => `${f.integrationId}/${f.name}`).join(', ') || 'none';
  throw new PatchbayError('FUNCTION_NOT_FOUND', `No sync "${syncName}" in integration "${integrationId}". Syncs: ${known}. Run \`patchbay sync list\`.`);
}

async function resolveTarget(runtime: SyncRuntime, integrationId: string, env: NodeJS.ProcessEnv): Promise<WebhookTarget> {
  try {
    if (runtime.integrations) return webhookTarget((await runtime.integrations(integrationId)).webhooks, env);
    if (runtime.paths) return webhookTarget((await loadIntegrationConfig(runtime.paths, integrationId, env)).webhooks, env);
  } catch (error) {
    runtime.logger?.warn({ integrationId, error: (error as Error).message }, 'cannot read webhook settings; using PATCHBAY_WEBHOOK_URL only');
  }
  return webhookTarget(undefined, env);
}

function totals(changes: SyncChanges): { added: number; updated: number; deleted: number } {
  const out = { added: 0, updated: 0, deleted: 0 };
  for (const c of Object.values(changes)) {
    out.added += c.added;
    out.updated += c.updated;
    out.deleted += c.deleted;
  }
  return out;
}

/** Marks runs a dead process left 'running' as failed. Call only while holding the sync's lease. */
async function failStaleRuns(runtime: SyncRuntime, options: RunSyncOptions): Promise<number> {
  const stale = await runtime.store.syncs.listRuns({
    integrationId: options.integrationId,
    connectionId: options.connectionId,
    syncName: options.syncName,
    status: 'running',
    limit: 1000,
  });
  for (const run of stale) {
    if (run.status !== 'running') continue;
    await runtime.store.syncs.finishRun(run.id, {
      status: 'failed',
      error: 'INTERRUPTED: the process running this sync stopped before it finished (crash or kill). The next run resumes from the last checkpoint.',
      added: run.added,
      updated: run.updated,
      deleted: run.deleted,
      duration_ms: Math.max(0, Date.now() - Date.parse(run.started_at)),
    });
  }
  return stale.length;
}

/**
 * Marks every run left 'running' by a dead process as failed: a run whose lease nobody holds is
 * not running anywhere. The scheduler calls it on start, so `sync status` is truthful after a
 * crash even before the sync's next run. Returns how many runs were marked.
 */
export async function recoverInterruptedRuns(runtime: SyncRuntime): Promise<number> {
  const running = await runtime.store.syncs.listRuns({ status: 'running', limit: 10_000 });
  const owner = `${hostname()}:${process.pid}:recover:${randomUUID()}`;
  let marked = 0;
  const seen = new Set<string>();
  for (const run of running) {
    const key = syncLockKey(run.integration_id, run.connection_id, run.sync_name);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!(await runtime.store.locks.tryAcquire(key, owner, 30_000))) continue; // alive somewhere
    try {
      marked += await failStaleRuns(runtime, { integrationId: run.integration_id, connectionId: run.connection_id, syncName: run.sync_name, trigger: 'schedule' });
    } finally {
      await runtime.store.locks.release(key, owner).catch(() => false);
    }
  }
  if (marked > 0) runtime.logger?.warn({ runs: marked }, 'marked sync runs left running by a stopped process as failed');
  return marked;
}

/**
 * Runs a sync for one connection and returns its finished run row (status 'success' or
 * 'failed'; a failed run resolves, it does not reject). Rejects only when the run could not
 * start: unknown sync (FUNCTION_NOT_FOUND) or another run holds the lease (LOCKED).
 *
 * @example
 * const run = await runSync(runtime, { integrationId: 'github', syncName: 'issues', connectionId: 'alice', trigger: 'cli' });
 * console.log(run.status, run.added, run.updated, run.deleted);
 */
export async function runSync(runtime: SyncRuntime, options: RunSyncOptions): Promise<SyncRunRow> {
  const { store } = runtime;
  const env = options.env ?? process.env;
  const fn = findSync(runtime, options.integrationId, options.syncName);
  const leaseMs = options.leaseMs ?? (Number(env['PATCHBAY_SYNC_LEASE_MS']) || DEFAULT_LEASE_MS);
  const lockKey = syncLockKey(options.integrationId, options.connectionId, options.syncName);
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  if (!(await store.locks.tryAcquire(lockKey, owner, leaseMs))) {
    throw new PatchbayError(
      'LOCKED',
      `Sync "${options.syncName}" is already running for connection "${options.connectionId}" (another run holds its lease). Wait for it to finish; a crashed run's lease expires within ${Math.ceil(leaseMs / 1000)} s.`,
    );
  }
  const renew = setInterval(() => {
    store.locks.tryAcquire(lockKey, owner, leaseMs).catch((error: unknown) => runtime.logger?.warn({ error: String(error) }, 'sync lease renewal failed'));
  }, Math.max(250, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    return await runLeased(runtime, fn, options, env);
  } finally {
    clearInterval(renew);
    await store.locks.release(lockKey, owner).catch(() => false);
  }
}

async function runLeased(runtime: SyncRuntime, fn: FunctionManifest, options: RunSyncOptions, env: NodeJS.ProcessEnv): Promise<SyncRunRow> {
  const { store, logger } = runtime;
  const { integrationId, connectionId, syncName } = options;
  await failStaleRuns(runtime, options);
  const [previousRun] = await store.syncs.listRuns({ integrationId, connectionId, syncName, limit: 1 });
  const previousState = await store.syncs.getState(integrationId, connectionId, syncName);
  const checkpoint = await store.kv.get(checkpointKey(integrationId, connectionId, syncName));
  // A checkpoint left by a run that did not succeed means this run continues that one.
  const resuming = checkpoint !== undefined && checkpoint !== null && previousRun !== undefined && previousRun.status !== 'success';
  const syncType: 'INITIAL' | 'INCREMENTAL' = previousState?.last_success_at ? 'INCREMENTAL' : 'INITIAL';

  const runId = randomUUID();
  const startedAt = new Date();
  await store.syncs.startRun({ id: runId, integration_id: integrationId, connection_id: connectionId, sync_name: syncName, status: 'running', started_at: startedAt.toISOString() });
  const state = previousState ?? defaultSyncState(integrationId, connectionId, syncName);
  await store.syncs.setState({ ...state, last_run_id: runId });
  const models = Object.keys(fn.models ?? {});
  const log = logger?.child({ integrationId, connectionId, sync: syncName, runId, trigger: options.trigger });
  log?.info({ resuming, syncType }, 'sync run started');

  let changes: SyncChanges = {};
  let failure: ReturnType<typeof toPatchbayError> | undefined;
  try {
    if (fn.trackDeletes) {
      for (const model of models) await store.records.markSeenStart({ integrationId, connectionId, model }, runId, { resume: resuming });
    } else if (resuming) {
      // Manual trackDeletesStart/End: carry an interrupted run's open session over to this run.
      for (const model of models) await store.records.markSeenStart({ integrationId, connectionId, model }, runId, { resume: true, ifOpen: true });
    }
    const guard = await deleteGuardFor(runtime, options, env);
    const request = { integrationId, name: syncName, connectionId, runId, deleteGuard: guard } as Parameters<typeof runtime.executor.run>[0];
    if (options.signal) request.signal = options.signal;
    if (options.onProgress) request.onProgress = options.onProgress;
    if (options.onLog) request.onLog = options.onLog;
    const result = await runtime.executor.run(request);
    changes = structuredClone(result.changes ?? {});
    if (fn.trackDeletes) {
      await checkDeletePasses(store.records, { integrationId, connectionId }, models, runId, changes, guard);
      for (const model of models) {
        const deleted = await store.records.deleteUnseen({ integrationId, connectionId, model }, runId);
        const entry = (changes[model] ??= { added: 0, updated: 0, deleted: 0, unchanged: 0 });
        entry.deleted += deleted;
      }
    }
  } catch (error) {
    failure = toPatchbayError(error, 'FUNCTION_ERROR');
  }

  const durationMs = Date.now() - startedAt.getTime();
  const counts = totals(changes);
  // What the run row, the log and the webhook say: the message cut like an error result's.
  const failed = failure ? { code: failure.code, message: boundedErrorJSON(failure, DEFAULT_MAX_RESULT_BYTES).message } : undefined;
  await store.syncs.finishRun(runId, {
    status: failure ? 'failed' : 'success',
    error: failed ? `${failed.code}: ${failed.message}` : null,
    ...counts,
    duration_ms: durationMs,
  });
  const latest = (await store.syncs.getState(integrationId, connectionId, syncName)) ?? state;
  await store.syncs.setState({ ...latest, last_run_id: runId, last_success_at: failure ? latest.last_success_at : new Date().toISOString() });
  if (failed) log?.warn({ code: failed.code, error: failed.message, durationMs }, 'sync run failed');
  else log?.info({ ...counts, durationMs }, 'sync run finished');

  await sendWebhooks(runtime, options, env, { fn, models, changes, failure: failed, syncType, startedAt });
  const stored = store.syncs.getRun
    ? await store.syncs.getRun(runId)
    : (await store.syncs.listRuns({ integrationId, connectionId, syncName, limit: 1 })).find((r) => r.id === runId);
  if (stored) return stored;
  return {
    id: runId,
    integration_id: integrationId,
    connection_id: connectionId,
    sync_name: syncName,
    status: failure ? 'failed' : 'success',
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    error: failed ? `${failed.code}: ${failed.message}` : null,
    ...counts,
    duration_ms: durationMs,
  };
}

async function sendWebhooks(
  runtime: SyncRuntime,
  options: RunSyncOptions,
  env: NodeJS.ProcessEnv,
  run: { fn: FunctionManifest; models: string[]; changes: SyncChanges; failure: { code: string; message: string } | undefined; syncType: 'INITIAL' | 'INCREMENTAL'; startedAt: Date },
): Promise<void> {
  const base = {
    from: 'patchbay' as const,
    type: 'sync' as const,
    connectionId: options.connectionId,
    providerConfigKey: options.integrationId,
    syncName: options.syncName,
    syncVariant: 'base',
    syncType: run.syncType,
  };
  const bodies: SyncWebhookBody[] = [];
  if (run.failure) {
    for (const model of run.models) {
      bodies.push({ ...base, model, success: false, error: { type: run.failure.code, description: run.failure.message }, startedAt: run.startedAt.toISOString(), failedAt: new Date().toISOString() });
    }
  } else {
    for (const [model, c] of Object.entries(run.changes)) {
      if (c.added + c.updated + c.deleted === 0) continue;
      const modifiedAfter = run.startedAt.toISOString();
      bodies.push({ ...base, model, success: true, responseResults: { added: c.added, updated: c.updated, deleted: c.deleted }, modifiedAfter, queryTimeStamp: modifiedAfter });
    }
  }
  if (bodies.length === 0) return;
  const target = await resolveTarget(runtime, options.integrationId, env);
  if (target.urls.length === 0) return;
  if (!target.secret) runtime.logger?.warn({ integrationId: options.integrationId }, 'sync webhooks are sent unsigned: set webhooks.secret in integration.json or PATCHBAY_WEBHOOK_SECRET');
  const delivery = { ...options.webhooks, ...(runtime.logger ? { logger: runtime.logger } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  await Promise.all(bodies.map((body) => deliverWebhook(target, body, delivery)));
}
