/**
 * The pace of one connection in the async-action queue (a "lane"), as data: how many of its runs
 * may go at once, until when it waits, and how a success or a rate limit changes that. Slow start
 * until the provider first limits it, then one more run per window's worth of successes; a wait
 * the provider names is kept to the millisecond, and without one the lane halves and backs off
 * (additive increase, multiplicative decrease, as TCP does).
 *
 * @example
 * const lane = newLane(4);
 * laneSucceeded(lane, 16);                         // wider
 * const until = laneLimited(lane, error, Date.now()); // paused until the provider's reset
 */
import type { PatchbayError } from '../errors.ts';

/** Shortest pause of a rate-limited lane, whatever wait the provider named. */
const MIN_PAUSE_MS = 250;
/** Longest pause of a rate-limited lane when the provider names none, and the longest at all. */
const MAX_PAUSE_MS = 60_000;

/** One connection's share of the queue. */
export interface Lane {
  running: number;
  /** How many may run at once now (fractional while it widens). */
  window: number;
  /** Epoch ms until which nothing starts (the provider asked us to wait). */
  pausedUntil: number;
  /** Rate-limit pauses in a row, for the backoff when the provider names no wait. */
  strikes: number;
  /** Whether the provider has rate-limited this lane yet (until then the window grows fast). */
  limited: boolean;
}

/** A lane that has seen nothing yet, `start` runs wide. */
export function newLane(start: number): Lane {
  return { running: 0, window: start, pausedUntil: 0, strikes: 0, limited: false };
}

/** True when the lane may not start another run at `at`: paused, or as many running as it allows. */
export function laneBlocked(lane: Lane, at: number): boolean {
  return lane.pausedUntil > at || lane.running >= Math.floor(lane.window);
}

/** A run of the lane succeeded: it widens, fast until the first rate limit, then slowly, up to `max`. */
export function laneSucceeded(lane: Lane, max: number): void {
  lane.strikes = 0;
  lane.window = Math.min(max, lane.window + (lane.limited ? 1 / lane.window : 1));
}

/**
 * A run of the lane was rate limited at `at`: the lane pauses for the wait the provider named
 * (or a backoff that doubles per pause in a row) and, without a named wait, runs half as many.
 * Runs in flight together hit the same limit, so only the first of a pause narrows the lane.
 * Returns the end of the pause, when the run may go again.
 */
export function laneLimited(lane: Lane, failure: PatchbayError, at: number): number {
  const named = namedWait(failure);
  const pause = Math.min(MAX_PAUSE_MS, named ?? 500 * 2 ** lane.strikes);
  if (lane.pausedUntil <= at) {
    if (named === undefined) lane.window = Math.max(1, lane.window / 2);
    lane.strikes++;
    lane.limited = true;
  }
  lane.pausedUntil = Math.max(lane.pausedUntil, at + pause);
  return lane.pausedUntil;
}

/** True when a failure means "the provider's rate limit": the run goes back without spending a retry. */
export function isRateLimit(err: PatchbayError): boolean {
  return err.code === 'RATE_LIMITED' || (err.code === 'UPSTREAM_HTTP_ERROR' && err.status === 429);
}

/**
 * The wait the provider named, in ms: the exact one when it sent a reset time (`details.waitMs`),
 * else `Retry-After` in whole seconds; undefined when it named none. A wait of 0 (a reset time
 * already past, a skewed clock, `Retry-After: 0`) still waits a little: no back-to-back retries.
 */
function namedWait(err: PatchbayError): number | undefined {
  const exact = (err.details as { waitMs?: unknown } | undefined)?.waitMs;
  if (typeof exact === 'number' && Number.isFinite(exact) && exact >= 0) return Math.max(MIN_PAUSE_MS, exact);
  return err.retryAfter !== undefined ? Math.max(MIN_PAUSE_MS, err.retryAfter * 1000) : undefined;
}
