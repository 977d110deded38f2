/**
 * A frozen clock for replay: while a fixture that pins "now" replays, `Date.now()` and `new Date()`
 * answer that instant, as `vi.setSystemTime` does under vitest, so a function that asks for "the
 * last 30 days" asks for the dates that were recorded. Replays run one at a time, so swapping the
 * global `Date` for the duration of one run is safe; timers (`setTimeout`) are not affected.
 *
 * @example
 * const restore = freezeClock('2026-06-15T00:00:00Z');
 * try { await run(); } finally { restore(); }
 */
import { PatchbayError } from '../errors.ts';

/** Replaces the global `Date` with one frozen at `iso`; returns the function that puts it back. */
export function freezeClock(iso: string): () => void {
  const RealDate = globalThis.Date;
  const fixed = RealDate.parse(iso);
  if (Number.isNaN(fixed)) throw new PatchbayError('INVALID_CONFIG', `The fixture's "now" (${iso}) is not a date; use an ISO time such as 2026-06-15T00:00:00Z.`);
  class FrozenDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fixed);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return fixed;
    }
  }
  // `Date()` called without `new` returns a string in JS; keep that form working too.
  const FrozenCallable = new Proxy(FrozenDate, {
    apply: () => new RealDate(fixed).toString(),
  });
  globalThis.Date = FrozenCallable as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}

/**
 * Makes user-land sleeps instant while a replay runs: `setTimeout(fn, ms)` fires on the next turn
 * whatever `ms` says. A recorded answer needs no waiting, and functions that poll a job every few
 * seconds (or back off) would otherwise spend minutes doing nothing. Install it after arming any
 * timer of our own (the replay time limit), and restore it when the run ends.
 */
export function fastTimers(): () => void {
  const real = globalThis.setTimeout;
  const fast = ((handler: (...args: unknown[]) => void, _ms?: number, ...args: unknown[]) => real(handler, 0, ...args)) as unknown as typeof setTimeout;
  globalThis.setTimeout = Object.assign(fast, real);
  return () => {
    globalThis.setTimeout = real;
  };
}
