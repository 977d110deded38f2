/**
 * When a sync runs next: its interval (or cron) from the manifest, plus jitter so hundreds of
 * connections of one sync spread over a window instead of firing in the same second.
 */
import { nextCronTime, parseFrequency, type Frequency } from '../build/frequency.ts';
import type { FunctionManifest } from '../build/manifest.ts';
import { PatchbayError } from '../errors.ts';

/** Longest jitter added to a run time (ms). */
export const MAX_JITTER_MS = 60_000;

/**
 * The interval (ms) or cron expression of a sync, from its manifest entry: the build's parsed
 * result when present, else its frequency string through the same parser.
 *
 * @example frequencyOf({ name: 'issues', frequency: 'every hour' }) // { intervalMs: 3_600_000 }
 */
export function frequencyOf(fn: Pick<FunctionManifest, 'intervalMs' | 'cron' | 'frequency' | 'name'>): Frequency {
  if (fn.intervalMs !== undefined && fn.intervalMs > 0) return { intervalMs: fn.intervalMs };
  if (fn.cron) return { cron: fn.cron };
  if (fn.frequency) return parseFrequency(fn.frequency);
  throw new PatchbayError('INVALID_CONFIG', `Sync "${fn.name}" has no frequency. Add one, e.g. frequency: 'every hour'.`);
}

/**
 * The sync as it runs for one connection: its own frequency (`PUT /sync/update-connection-frequency`)
 * in place of the sync's when it has one.
 *
 * @example nextRunAt(forConnection(fn, state), Date.now())
 */
export function forConnection<F extends Pick<FunctionManifest, 'intervalMs' | 'cron' | 'frequency' | 'name'>>(fn: F, state: { frequency: string | null } | undefined): F {
  if (!state?.frequency) return fn;
  const { intervalMs: _interval, cron: _cron, ...rest } = fn;
  return { ...rest, frequency: state.frequency } as F;
}

/**
 * Jitter for a run: up to 10% of the interval, at most MAX_JITTER_MS. `random` is injectable
 * for tests.
 */
export function jitterFor(intervalMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(intervalMs * 0.1, MAX_JITTER_MS));
}

/**
 * The next run time (epoch ms) after `from` for a sync.
 *
 * @example nextRunAt({ name: 'issues', intervalMs: 3_600_000 }, Date.now())
 */
export function nextRunAt(fn: Pick<FunctionManifest, 'intervalMs' | 'cron' | 'frequency' | 'name'>, from: number, random: () => number = Math.random): number {
  const frequency = frequencyOf(fn);
  if ('intervalMs' in frequency) return from + frequency.intervalMs + jitterFor(frequency.intervalMs, random);
  const next = nextCronTime(frequency.cron, from);
  // Cron syncs keep their wall-clock time; spread them over a small window after it.
  return next + Math.floor(random() * Math.min(MAX_JITTER_MS, 30_000));
}

/**
 * When a newly seen (connection, sync) first runs: soon, spread over a window so a restart with
 * many connections does not start them all at once.
 */
export function firstRunAt(fn: Pick<FunctionManifest, 'intervalMs' | 'cron' | 'frequency' | 'name'>, now: number, random: () => number = Math.random): number {
  const frequency = frequencyOf(fn);
  const window = 'intervalMs' in frequency ? Math.min(frequency.intervalMs, 10_000) : 10_000;
  return now + Math.floor(random() * window);
}
