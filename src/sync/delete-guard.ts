/**
 * Which delete guard a sync run gets (records/delete-guard.ts holds the rule): the share from
 * integration.json `syncs.<name>.maxDeleteShare`, else PATCHBAY_SYNC_MAX_DELETE_SHARE, else 0.5;
 * the opt-in from the run (`sync run --allow-mass-deletes`) or `syncs.<name>.allowMassDeletes`.
 * The runner applies it to its trackDeletes pass and hands it to the executor for
 * `trackDeletesEnd` / `deleteRecordsFromPreviousExecutions`.
 */
import { loadIntegrationConfig } from '../providers/integration.ts';
import type { SyncSettings } from '../providers/types.ts';
import { checkDeletePass, maxDeleteShareFrom, type DeleteGuard } from '../records/delete-guard.ts';
import type { RecordStore } from '../records/types.ts';
import type { SyncChanges } from '../runtime/types.ts';
import type { RunSyncOptions, SyncRuntime } from './types.ts';

async function settingsOf(runtime: SyncRuntime, options: RunSyncOptions, env: NodeJS.ProcessEnv): Promise<SyncSettings> {
  try {
    const config = runtime.integrations
      ? await runtime.integrations(options.integrationId)
      : runtime.paths
        ? await loadIntegrationConfig(runtime.paths, options.integrationId, env)
        : undefined;
    return config?.syncs?.[options.syncName] ?? {};
  } catch {
    // An unreadable integration.json fails the run itself; the guard keeps its defaults meanwhile.
    return {};
  }
}

/**
 * The delete guard of one run.
 *
 * @example
 * const guard = await deleteGuardFor(runtime, { integrationId: 'github', syncName: 'issues', connectionId: 'alice', trigger: 'cli' }, process.env);
 * // { maxShare: 0.5, allowMassDeletes: false, syncName: 'issues' }
 */
export async function deleteGuardFor(runtime: SyncRuntime, options: RunSyncOptions, env: NodeJS.ProcessEnv): Promise<DeleteGuard> {
  const settings = await settingsOf(runtime, options, env);
  const fromEnv = maxDeleteShareFrom(env);
  if (fromEnv.problem && settings.maxDeleteShare === undefined) runtime.logger?.warn({ integrationId: options.integrationId, sync: options.syncName }, fromEnv.problem);
  return {
    maxShare: settings.maxDeleteShare ?? fromEnv.share,
    allowMassDeletes: options.allowMassDeletes === true || settings.allowMassDeletes === true,
    syncName: options.syncName,
  };
}

/**
 * Weighs every model's trackDeletes pass before any runs, so a refusal deletes nothing at all
 * (not the first models' records and then stop). Throws MASS_DELETE_REFUSED.
 */
export async function checkDeletePasses(store: RecordStore, scope: { integrationId: string; connectionId: string }, models: string[], runId: string, changes: SyncChanges, guard: DeleteGuard): Promise<void> {
  for (const model of models) await checkDeletePass(store, { ...scope, model }, runId, changes[model]?.added ?? 0, guard);
}
