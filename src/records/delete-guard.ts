/**
 * The delete guard. A full-refresh sync deletes what a run did not save (`trackDeletes: true`,
 * `trackDeletesEnd`, `deleteRecordsFromPreviousExecutions`), so a run fed an incomplete answer (an
 * error page read as "no items", an empty or cut-off page) deletes real records. The guard refuses
 * a delete pass that would remove more than a share of a model's live records (default half) while
 * the model shrinks, unless the sync opts in; nothing is deleted and the run fails, saying why.
 *
 * @example
 * const refusal = deletePassRefusal({ scope, live: 100, unseen: 70, added: 0 }, guard);
 * if (refusal) throw refusal; // MASS_DELETE_REFUSED: Refused to delete 70 of 100 Issue records (70%, …)
 */
import { PatchbayError } from '../errors.ts';
import type { RecordScope, RecordStore } from './types.ts';

/** The share of a model's live records one delete pass may remove while the model shrinks. */
export const DEFAULT_MAX_DELETE_SHARE = 0.5;

/**
 * Models with fewer live records are not guarded: there a few deletes are a large share as a
 * matter of course, and what a bad run removes the next good run puts back.
 */
export const MIN_GUARDED_RECORDS = 10;

/** How one sync run weighs its delete passes; the sync runner resolves it (plain data). */
export interface DeleteGuard {
  /** Largest share (0 to 1) of a model's live records a shrinking pass may delete; 1 turns the guard off. */
  maxShare: number;
  /** The opt-in (`sync run --allow-mass-deletes`, integration.json `allowMassDeletes`): nothing is refused. */
  allowMassDeletes: boolean;
  /** The sync, named in the refusal so it can say how to opt in. */
  syncName: string;
}

/** The guard of a sync run nobody configured: the default share, no opt-in. */
export function defaultDeleteGuard(syncName: string): DeleteGuard {
  return { maxShare: DEFAULT_MAX_DELETE_SHARE, allowMassDeletes: false, syncName };
}

/** One delete pass about to run. */
export interface DeletePass {
  scope: RecordScope;
  /** Live records of the model now, before the pass. */
  live: number;
  /** Records the pass would delete (live, not saved since tracking started). */
  unseen: number;
  /** Records this run added to the model (new ids or revived ones). */
  added: number;
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/**
 * The refusal of a pass, or undefined when it may run. Refused when all hold: no opt-in, at least
 * {@link MIN_GUARDED_RECORDS} live records, more than `maxShare` of them to delete, and the model
 * shrinking (the run saved fewer records than the model held before it: `unseen > added`). A
 * first run deletes nothing, so it is never refused.
 */
export function deletePassRefusal(pass: DeletePass, guard: DeleteGuard): PatchbayError | undefined {
  const { scope, live, unseen, added } = pass;
  if (guard.allowMassDeletes || unseen === 0 || live < MIN_GUARDED_RECORDS) return undefined;
  if (unseen <= guard.maxShare * live || unseen <= added) return undefined;
  const { integrationId, connectionId, model } = scope;
  const saved = live - unseen;
  const before = live - added;
  const share = unseen / live;
  return new PatchbayError(
    'MASS_DELETE_REFUSED',
    `Refused to delete ${unseen} of ${live} ${model} records (${percent(share)}, more than the ${percent(guard.maxShare)} limit) for sync ${integrationId}/${guard.syncName} of connection ${connectionId}: ` +
      `this run saved ${saved} ${model} records, fewer than the ${before} it held before, so the provider most likely sent an incomplete list (an error page, an empty or cut-off page). ` +
      `No ${model} record was deleted and the run fails; the next run checks again. ` +
      `If the records really are gone, run once with \`patchbay sync run ${guard.syncName} --integration ${integrationId} --connection ${connectionId} --allow-mass-deletes\`, ` +
      `or set "syncs": { "${guard.syncName}": { "allowMassDeletes": true } } (or a higher "maxDeleteShare") in integrations/${integrationId}/integration.json; ` +
      `PATCHBAY_SYNC_MAX_DELETE_SHARE sets the limit for every sync.`,
    { details: { reason: 'mass_delete', model, live, toDelete: unseen, saved, before, share: Math.round(share * 1000) / 1000, maxShare: guard.maxShare } },
  );
}

/**
 * Weighs the delete pass `runId` is about to run on `scope` (counting only) and throws its
 * refusal; call it before `deleteUnseen`. A refused pass leaves the tracking session as a failed
 * run leaves it. No guard (undefined): nothing is checked.
 */
export async function checkDeletePass(store: RecordStore, scope: RecordScope, runId: string, added: number, guard: DeleteGuard | undefined): Promise<void> {
  if (!guard || guard.allowMassDeletes) return;
  const unseen = await store.countUnseen(scope, runId);
  if (unseen === 0) return;
  const refusal = deletePassRefusal({ scope, live: await store.count(scope), unseen, added }, guard);
  if (refusal) throw refusal;
}

/**
 * The share from `PATCHBAY_SYNC_MAX_DELETE_SHARE` (a number from 0 to 1), else the default. A
 * value that is not one keeps the default, the safe side, and says why in `problem` (to log).
 */
export function maxDeleteShareFrom(env: NodeJS.ProcessEnv): { share: number; problem?: string } {
  const raw = env['PATCHBAY_SYNC_MAX_DELETE_SHARE']?.trim();
  if (!raw) return { share: DEFAULT_MAX_DELETE_SHARE };
  const share = Number(raw);
  if (Number.isFinite(share) && share >= 0 && share <= 1) return { share };
  return {
    share: DEFAULT_MAX_DELETE_SHARE,
    problem: `PATCHBAY_SYNC_MAX_DELETE_SHARE is "${raw}", not a number from 0 to 1 (e.g. 0.8); using ${DEFAULT_MAX_DELETE_SHARE}.`,
  };
}
