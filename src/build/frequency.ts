/**
 * Sync frequencies, Nango's forms and cron: `'every hour'`, `'every 30 minutes'`, `'every day'`,
 * `'every 2 hours'`, `'every half hour'`, `'30m'`, `'every 6h'`, and 5-field cron (`'*\/15 * * * *'`).
 * Compile validates every sync's frequency with it, and the scheduler uses the result.
 *
 * @example
 * parseFrequency('every 30 minutes'); // { intervalMs: 1_800_000 }
 * parseFrequency('0 9 * * 1-5');      // { cron: '0 9 * * 1-5' }
 */
import { PatchbayError } from '../errors.ts';

/** A parsed sync frequency: a fixed interval, or a cron expression for the scheduler. */
export type Frequency = { intervalMs: number } | { cron: string };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

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

/** Inclusive ranges of the five cron fields, with the names allowed in month and weekday. */
const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

function invalid(value: string, why: string): PatchbayError {
  return new PatchbayError(
    'INVALID_ARGUMENT',
    `Invalid frequency "${value}": ${why}. Use "every 30 minutes", "every hour", "every day", "every 2 hours", "30m", or a 5-field cron expression like "*/15 * * * *".`,
  );
}

function cronValue(token: string, field: (typeof CRON_FIELDS)[number], original: string): number {
  const byName = field.names?.indexOf(token.toLowerCase()) ?? -1;
  if (byName >= 0) return field.name === 'month' ? byName + 1 : byName;
  if (!/^\d+$/.test(token)) throw invalid(original, `"${token}" is not a valid ${field.name}`);
  const n = Number(token);
  if (n < field.min || n > field.max) throw invalid(original, `${field.name} ${n} is outside ${field.min}-${field.max}`);
  return n;
}

function checkCronField(text: string, field: (typeof CRON_FIELDS)[number], original: string): void {
  for (const part of text.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw invalid(original, `"${part}" is not a valid ${field.name}`);
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) throw invalid(original, `step "${step}" in the ${field.name} field must be a positive number`);
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) throw invalid(original, `"${range}" is not a valid ${field.name} range`);
    const values = bounds.map((b) => cronValue(b, field, original));
    if (values.length === 2 && values[0]! > values[1]!) throw invalid(original, `range "${range}" in the ${field.name} field is reversed`);
  }
}

function parseInterval(text: string, original: string): number | undefined {
  const named = NAMED[text];
  if (named !== undefined) return named;
  const rest = text.startsWith('every ') ? text.slice(6).trim() : text;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(rest);
  if (!match) return undefined;
  const unit = UNITS.find(([re]) => re.test(match[2]!));
  if (!unit) throw invalid(original, `unknown unit "${match[2]}"`);
  const ms = Math.round(Number(match[1]) * unit[1]);
  if (!(ms >= SECOND)) throw invalid(original, 'the interval must be at least one second');
  return ms;
}

/**
 * Parses a sync frequency into an interval in milliseconds or a validated cron expression.
 * Throws a PatchbayError (INVALID_ARGUMENT) whose message lists the accepted forms.
 */
export function parseFrequency(value: string): Frequency {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(String(value), 'it is empty');
  const text = value.trim().toLowerCase().replace(/\s+/g, ' ');
  const fields = value.trim().split(/\s+/);
  if (fields.length === 5 && fields.every((f) => /^[\d*?,/\-a-zA-Z]+$/.test(f)) && !text.startsWith('every')) {
    fields.forEach((f, i) => checkCronField(f, CRON_FIELDS[i]!, value));
    return { cron: fields.join(' ') };
  }
  const intervalMs = parseInterval(text, value);
  if (intervalMs === undefined) throw invalid(value, 'it is neither an interval nor a cron expression');
  return { intervalMs };
}
