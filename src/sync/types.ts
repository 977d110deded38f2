/**
 * What the sync layer needs from the runtime. A structural subset of the runtime engineer's
 * `Runtime` (src/runtime/runtime.ts), so `runSync(runtime, …)` takes the real runtime as is and
 * tests can compose one from real parts.
 */
import type { Manifest } from '../build/manifest.ts';
import type { ProjectPaths } from '../config/paths.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { Executor, LogEntry, ProgressUpdate } from '../runtime/types.ts';
import type { Store } from '../store/types.ts';
import type { DeliveryOptions } from './webhooks.ts';

export interface SyncRuntime {
  readonly store: Store;
  readonly executor: Executor;
  /** Read on every run, so a rebuilt manifest (dev mode) is picked up. */
  readonly manifest: Manifest;
  readonly paths?: ProjectPaths;
  readonly logger?: Logger;
  /** Resolved integration config (webhook URLs and secret); falls back to loading integration.json from `paths`. */
  readonly integrations?: (integrationId: string) => Promise<IntegrationConfig>;
}

/** Why a run started. */
export type SyncTrigger = 'schedule' | 'manual' | 'cli' | 'api' | 'webhook';

export interface RunSyncOptions {
  integrationId: string;
  syncName: string;
  connectionId: string;
  trigger: SyncTrigger;
  signal?: AbortSignal;
  onProgress?: (update: ProgressUpdate) => void;
  onLog?: (entry: LogEntry) => void;
  /**
   * Lease length (ms) of the cross-process lock; renewed while the run lasts. A process killed
   * mid-run blocks the next run for at most this long. Default PATCHBAY_SYNC_LEASE_MS or 60 s.
   */
  leaseMs?: number;
  /**
   * Lets this run's delete passes remove any share of a model (`sync run --allow-mass-deletes`):
   * the one-off opt-out of the delete guard, for when the records really are gone.
   */
  allowMassDeletes?: boolean;
  /** Webhook delivery tuning (retry delays, timeout). */
  webhooks?: Omit<DeliveryOptions, 'logger'>;
  env?: NodeJS.ProcessEnv;
}

/** The store.locks key that keeps two runs of one sync for one connection apart. */
export function syncLockKey(integrationId: string, connectionId: string, syncName: string): string {
  return `sync:${integrationId}:${connectionId}:${syncName}`;
}
