/**
 * One sync run for one connection, start to finish: lease, stale-run cleanup, the run row with
 * its start cursors, delete tracking, the executor, full-refresh deletes, counts (from the record
 * store, see announce.ts), state, webhooks. The scheduler, `patchbay sync run` and the API all
 * call `runSync`.
 */
import { randomUUID } from 'node:crypto';
import type { FunctionManifest } from '../build/manifest.ts';
import { PatchbayError, boundedErrorJSON, toPatchbayError } from '../errors.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../observability/truncate.ts';
import { loadIntegrationConfig } from '../providers/integration.ts';
import type { SyncChanges } from '../runtime/types.ts';
import type { ChangeSummary, SyncRunRow } from '../store/types.ts';
import { checkpointKey } from '../runtime/live-capabilities.ts';
import { isEmpty, markAnnounced, markModels, savedSince, total, unannouncedChanges, type Announcement, type Counts, type SyncIds } from './announce.ts';
import { failStaleRuns, holdLocally, leaseOwner, releaseLocally } from './recovery.ts';
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
  const owner = leaseOwner();
  const locked = (): PatchbayError =>
    new PatchbayError(
      'LOCKED',
      `Sync "${options.syncName}" is already running for connection "${options.connectionId}" (another run holds its lease). Wait for it to finish; a crashed run's lease expires within ${Math.ceil(leaseMs / 1000)} s.`,
    );
  // This process's own run first (its lease may have lapsed under a blocked event loop), then the lease.
  if (!holdLocally(store, lockKey)) throw locked();
  let acquired = false;
  try {
    acquired = await store.locks.tryAcquire(lockKey, owner, leaseMs);
  } finally {
    if (!acquired) releaseLocally(store, lockKey);
  }
  if (!acquired) throw locked();
  const renew = setInterval(() => {
    store.locks.tryAcquire(lockKey, owner, leaseMs).catch((error: unknown) => runtime.logger?.warn({ error: String(error) }, 'sync lease renewal failed'));
  }, Math.max(250, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    return await runLeased(runtime, fn, options, env);
  } finally {
    clearInterval(renew);
    await store.locks.release(lockKey, owner).catch(() => false);
    releaseLocally(store, lockKey);
  }
}

async function runLeased(runtime: SyncRuntime, fn: FunctionManifest, options: RunSyncOptions, env: NodeJS.ProcessEnv): Promise<SyncRunRow> {
  const { store, logger } = runtime;
  const { integrationId, connectionId, syncName } = options;
  const ids: SyncIds = { integrationId, connectionId, syncName };
  await failStaleRuns(store, ids);
  const [previousRun] = await store.syncs.listRuns({ integrationId, connectionId, syncName, limit: 1 });
  const previousState = await store.syncs.getState(integrationId, connectionId, syncName);
  const checkpoint = await store.kv.get(checkpointKey(integrationId, connectionId, syncName));
  // A checkpoint left by a run that did not succeed means this run continues that one.
  const resuming = checkpoint !== undefined && checkpoint !== null && previousRun !== undefined && previousRun.status !== 'success';
  const syncType: 'INITIAL' | 'INCREMENTAL' = previousState?.last_success_at ? 'INCREMENTAL' : 'INITIAL';

  const runId = randomUUID();
  const startedAt = new Date();
  const models = Object.keys(fn.models ?? {});
  // Where each model's records stand: whatever comes after is this run's, even if it is killed.
  const startCursors = await markModels(store.records, ids, models);
  await store.syncs.startRun({ id: runId, integration_id: integrationId, connection_id: connectionId, sync_name: syncName, status: 'running', started_at: startedAt.toISOString(), start_cursors: startCursors });
  // A first run started by hand (CLI, API, a function) leaves the schedule to the scheduler: the
  // row says only what the scheduler would (an autoStart: false sync stays paused until resumed).
  const state = previousState ?? { ...defaultSyncState(integrationId, connectionId, syncName), paused: fn.autoStart === false };
  await store.syncs.setState({ ...state, last_run_id: runId });
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
  // What the run saved, from the store (true for a failed run too); a model the sync did not
  // declare has no start cursor, so its counts are the run's own tallies.
  const windows = await savedSince(store.records, ids, startCursors);
  const saved: Record<string, Counts> = { ...windows };
  for (const [model, c] of Object.entries(changes)) saved[model] ??= { added: c.added, updated: c.updated, deleted: c.deleted };
  const counts = total(saved);
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
  if (failed) log?.warn({ code: failed.code, error: failed.message, ...counts, durationMs }, 'sync run failed');
  else log?.info({ ...counts, durationMs }, 'sync run finished');

  await sendWebhooks(runtime, options, env, { id: runId, saved, failure: failed, syncType, startedAt, startCursors, windows });
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
    start_cursors: startCursors,
  };
}

/**
 * After a run: a failed run sends one failure webhook per model with what it saved; a successful
 * one announces, per model, every change since the last announcement (announce.ts) and moves the
 * announced point once every URL accepted the webhook (or at once when there is no URL).
 */
async function sendWebhooks(
  runtime: SyncRuntime,
  options: RunSyncOptions,
  env: NodeJS.ProcessEnv,
  run: {
    id: string;
    saved: Record<string, Counts>;
    /** The failure as the run row says it (message already bounded). */
    failure: { code: string; message: string } | undefined;
    syncType: 'INITIAL' | 'INCREMENTAL';
    startedAt: Date;
    startCursors: Record<string, string>;
    windows: Record<string, ChangeSummary>;
  },
): Promise<void> {
  const { store, logger } = runtime;
  const ids: SyncIds = { integrationId: options.integrationId, connectionId: options.connectionId, syncName: options.syncName };
  const base = {
    from: 'patchbay' as const,
    type: 'sync' as const,
    connectionId: options.connectionId,
    providerConfigKey: options.integrationId,
    syncName: options.syncName,
    syncVariant: 'base',
    syncType: run.syncType,
  };
  const announcements = run.failure ? [] : await unannouncedChanges(store, ids, Object.keys(run.saved), { id: run.id, startCursors: run.startCursors, saved: run.windows });
  const deliveries: Array<{ body: SyncWebhookBody; announced?: Announcement }> = [];
  if (run.failure) {
    for (const [model, c] of Object.entries(run.saved)) {
      const responseResults = { added: c.added, updated: c.updated, deleted: c.deleted };
      const body: SyncWebhookBody = { ...base, model, success: false, error: { type: run.failure.code, description: run.failure.message }, responseResults, startedAt: run.startedAt.toISOString(), failedAt: new Date().toISOString() };
      deliveries.push({ body });
    }
  }
  for (const announcement of announcements) {
    const { model, window } = announcement;
    if (isEmpty(window)) {
      // Nothing to say; store the point once, so a later announcement knows where to start.
      if (!announcement.known) await markAnnounced(store, ids, announcement);
      continue;
    }
    const modifiedAfter = window.since!;
    const body: SyncWebhookBody = { ...base, model, success: true, responseResults: { added: window.added, updated: window.updated, deleted: window.deleted }, modifiedAfter, queryTimeStamp: modifiedAfter };
    deliveries.push({ body, announced: announcement });
  }
  if (deliveries.length === 0) return;
  const target = await resolveTarget(runtime, options.integrationId, env);
  if (target.urls.length > 0 && !target.secret) logger?.warn({ integrationId: options.integrationId }, 'sync webhooks are sent unsigned: set webhooks.secret in integration.json or PATCHBAY_WEBHOOK_SECRET');
  const delivery = { ...options.webhooks, ...(logger ? { logger } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  await Promise.all(
    deliveries.map(async ({ body, announced }) => {
      const results = await deliverWebhook(target, body, delivery);
      // Not delivered everywhere: the next success webhook announces these changes again.
      if (announced && results.every((r) => r.ok)) await markAnnounced(store, ids, announced);
    }),
  );
}
