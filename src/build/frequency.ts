/**
 * Sync frequencies: the one grammar the build validates and the scheduler runs. Two families:
 * Nango's human intervals (`'every hour'`, `'every 30 minutes'`, `'every day'`, `'every half hour'`,
 * `'30m'`, `'every 6h'`) and 5-field cron in UTC (`'*\/15 * * * *'`). Cron fields are checked and
 * stepped by croner; this module decides which subset of cron patchbay accepts (the classic one:
 * numbers, three-letter names, `*`, `?`, ranges, lists, steps; no seconds, year, `L`, `W`, `#`) and
 * turns every failure into one `INVALID_CONFIG` whose message says what to write instead.
 *
 * @example
 * parseFrequency('every 30 minutes');                // { intervalMs: 1_800_000 }
 * parseFrequency('0 9 * * 1-5');                     // { cron: '0 9 * * 1-5' }
 * nextCronTime('0 9 * * 1-5', Date.UTC(2026, 0, 3)); // Monday 2026-01-05 09:00 UTC
 */
import { Cron } from 'croner';
import { PatchbayError } from '../errors.ts';

/** A parsed sync frequency: a fixed interval, or a cron expression for the scheduler. */
export type Frequency = { intervalMs: number } | { cron: string };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Longest interval: past a year it is a typo, and far past it the next run is no longer a Date. */
const MAX_INTERVAL_MS = 365 * DAY;

const NAMED: Record<string, number> = {
  'every minute': MINUTE,
  'every quarter hour': 15 * MINUTE,
  'every half hour': 30 * MINUTE,
  'every hour': HOUR,
  'every half day': 12 * HOUR,
  'every day': DAY,
  'every week': 7 * DAY,
  'every month': 30 * DAY,
};

const UNITS: Array<[RegExp, number]> = [
  [/^(ms|msecs?|milliseconds?)$/, 1],
  [/^(s|secs?|seconds?)$/, SECOND],
  [/^(m|mins?|minutes?)$/, MINUTE],
  [/^(h|hrs?|hours?)$/, HOUR],
  [/^(d|days?)$/, DAY],
  [/^(w|weeks?)$/, 7 * DAY],
];

/** The five cron fields in order, with the values each error message names and the top of each. */
const CRON_FIELDS = [
  { name: 'minute', takes: '0-59', max: 59 },
  { name: 'hour', takes: '0-23', max: 23 },
  { name: 'day-of-month', takes: '1-31', max: 31 },
  { name: 'month', takes: '1-12 or jan-dec', max: 12 },
  { name: 'day-of-week', takes: '0-7 or sun-sat (0 and 7 are Sunday)', max: 7 },
] as const;

/** One list element of the accepted cron subset: `*`, `?`, a number or name, a range, an optional step. */
const CRON_PART = /^(?:\*|\?|\d+|[a-z]{3})(?:-(?:\d+|[a-z]{3}))?(?:\/\d+)?$/i;

/** How a cron expression starts (its minute field), so `'* * * *'` gets a cron error, not an interval one. */
const CRON_START = /^[\d*?,/-]/;

const CRON_OPTIONS = { timezone: 'UTC', mode: '5-part' } as const;

const ACCEPTED =
  'Write "every 30 minutes", "every hour", "every day", "every 2 hours", "30m", ' +
  'or a 5-field cron expression in UTC like "*/15 * * * *" (minute hour day-of-month month day-of-week)';

/** The frequency as the message quotes it: JSON-escaped, and cut short when it is very long. */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function invalid(value: string, why: string): PatchbayError {
  return new PatchbayError('INVALID_CONFIG', `Invalid frequency ${quote(value)}: ${why}. ${ACCEPTED}.`);
}

function parseInterval(text: string, original: string): number | undefined {
  const named = NAMED[text];
  if (named !== undefined) return named;
  const rest = text.startsWith('every ') ? text.slice(6).trim() : text;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(rest);
  if (!match) return undefined;
  const unit = UNITS.find(([re]) => re.test(match[2]!));
  if (!unit) throw invalid(original, `"${match[2]}" is not a unit (use seconds, minutes, hours, days or weeks)`);
  const ms = Math.round(Number(match[1]) * unit[1]);
  if (!(ms >= SECOND)) throw invalid(original, 'the interval must be at least one second');
  if (ms > MAX_INTERVAL_MS) throw invalid(original, 'the interval must be at most 365 days');
  return ms;
}

/**
 * A start-and-step part (`5/15`) means "from 5 to the end of the field, every 15", as it always
 * has in patchbay; croner reads that form differently, so it gets the explicit range.
 */
function withExplicitRange(part: string, max: number): string {
  return part.replace(/^([\da-z]+)\/(\d+)$/i, `$1-${max}/$2`);
}

/** The pattern handed to croner: the fields as written, start/step parts spelled as ranges. */
function toPattern(fields: string[]): string {
  return fields.map((field, i) => field.split(',').map((part) => withExplicitRange(part, CRON_FIELDS[i]!.max)).join(',')).join(' ');
}

/** The error for the first field croner (or the accepted subset) rejects, checked one field at a time. */
function fieldProblem(fields: string[], value: string): PatchbayError {
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i]!;
    const takes = `it takes ${spec.takes}, lists (1,15), ranges low-high (1-5) and steps no larger than the field (*/15)`;
    const bad = field.split(',').find((part) => !CRON_PART.test(part));
    if (bad !== undefined) return invalid(value, `${quote(bad)} is not a valid ${spec.name}; ${takes}`);
    try {
      new Cron(toPattern(fields.map((f, j) => (j === i ? f : '*'))), CRON_OPTIONS);
    } catch (error) {
      if (error instanceof RangeError) return invalid(value, `the ${spec.name} field ${quote(field)} is outside ${spec.takes}`);
      return invalid(value, `the ${spec.name} field ${quote(field)} is not valid; ${takes}`);
    }
  }
  return invalid(value, 'it is not a valid cron expression');
}

/** The croner job for a 5-field expression, or the INVALID_CONFIG that says which field to fix. */
function compileCron(fields: string[], value: string): Cron {
  if (fields.length === 6 || fields.length === 7) {
    throw invalid(value, `it has ${fields.length} fields; patchbay cron has 5 (no seconds or year field), so drop the extra ones`);
  }
  if (fields.length !== 5) throw invalid(value, `it has ${fields.length} fields; a cron expression has 5`);
  if (fields.some((field) => field.split(',').some((part) => !CRON_PART.test(part)))) throw fieldProblem(fields, value);
  let cron: Cron;
  try {
    cron = new Cron(toPattern(fields), CRON_OPTIONS);
  } catch {
    throw fieldProblem(fields, value);
  }
  if (cron.nextRun(new Date(0)) === null) {
    throw invalid(value, 'it never fires, no date has that day-of-month in those months (e.g. 31 in February); pick a day every month has');
  }
  return cron;
}

/**
 * Parses a sync frequency into an interval in milliseconds or a validated cron expression, so a
 * bad frequency fails at compile time instead of in the scheduler.
 * Throws a PatchbayError (INVALID_CONFIG) whose message says what is wrong and lists the accepted forms.
 *
 * @example
 * parseFrequency('every 2 hours');  // { intervalMs: 7_200_000 }
 * parseFrequency('*\/15 * * * *');  // { cron: '*\/15 * * * *' }
 */
export function parseFrequency(value: string): Frequency {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(String(value), 'it is empty');
  const text = value.trim().toLowerCase().replace(/\s+/g, ' ');
  const intervalMs = parseInterval(text, value);
  if (intervalMs !== undefined) return { intervalMs };
  if (text.startsWith('@')) throw invalid(value, 'cron nicknames like @daily are not supported ("0 0 * * *" is midnight UTC)');
  const fields = value.trim().split(/\s+/);
  if (fields.length < 2 || !CRON_START.test(text)) throw invalid(value, 'it is neither an interval nor a cron expression');
  compileCron(fields, value);
  return { cron: fields.join(' ') };
}

/**
 * The first time strictly after `from` (epoch ms) that a cron frequency fires, in UTC, for the
 * scheduler. Same grammar and same INVALID_CONFIG as parseFrequency, so a manifest written by an
 * older build fails with the same message.
 *
 * @example
 * nextCronTime('*\/15 * * * *', Date.parse('2026-01-03T10:07:30Z')); // 2026-01-03T10:15:00Z
 */
export function nextCronTime(expression: string, from: number): number {
  if (typeof expression !== 'string' || expression.trim() === '') throw invalid(String(expression), 'it is empty');
  const next = compileCron(expression.trim().split(/\s+/), expression).nextRun(new Date(from));
  if (next === null) throw invalid(expression, 'it does not fire again');
  return next.getTime();
}
