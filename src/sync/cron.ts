/**
 * The next time a 5-field cron expression fires (UTC), for syncs whose frequency is cron.
 * Fields: minute, hour, day of month, month, day of week (0 or 7 = Sunday); `*`, lists, ranges,
 * steps and month/day names, as `src/build/frequency.ts` validates them. When both day fields are
 * restricted a day matches either (classic cron).
 */
import { PatchbayError } from '../errors.ts';

const FIELDS = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], offset: 1 },
  { min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], offset: 0 },
] as const;

interface ParsedCron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

function value(token: string, index: number, expression: string): number {
  const field = FIELDS[index]!;
  if ('names' in field) {
    const at = (field.names as readonly string[]).indexOf(token.toLowerCase());
    if (at >= 0) return at + field.offset;
  }
  const n = Number(token);
  if (!/^\d+$/.test(token) || n < field.min || n > field.max) {
    throw new PatchbayError('INVALID_CONFIG', `Invalid cron expression "${expression}": "${token}" is out of range. Example: "*/15 * * * *".`);
  }
  return n;
}

function parseField(text: string, index: number, expression: string): Set<number> {
  const field = FIELDS[index]!;
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '*', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number = field.min;
    let to: number = field.max;
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-');
      from = value(a!, index, expression);
      to = b === undefined ? (stepText === undefined ? from : field.max) : value(b, index, expression);
    }
    for (let v = from; v <= to; v += step) out.add(index === 4 && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a cron expression; INVALID_CONFIG when it does not have five valid fields. */
export function parseCron(expression: string): ParsedCron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new PatchbayError('INVALID_CONFIG', `Invalid cron expression "${expression}": it needs 5 fields (minute hour day month weekday).`);
  const sets = parts.map((p, i) => parseField(p, i, expression));
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    days: sets[2]!,
    months: sets[3]!,
    weekdays: sets[4]!,
    dayRestricted: parts[2] !== '*' && parts[2] !== '?',
    weekdayRestricted: parts[4] !== '*' && parts[4] !== '?',
  };
}

function dayMatches(cron: ParsedCron, date: Date): boolean {
  const day = cron.days.has(date.getUTCDate());
  const weekday = cron.weekdays.has(date.getUTCDay());
  if (cron.dayRestricted && cron.weekdayRestricted) return day || weekday;
  if (cron.dayRestricted) return day;
  if (cron.weekdayRestricted) return weekday;
  return true;
}

/**
 * The first time strictly after `from` (epoch ms) that `expression` fires, in UTC.
 *
 * @example nextCronTime('0 9 * * 1-5', Date.UTC(2026, 0, 3)) // Monday 2026-01-05 09:00 UTC
 */
export function nextCronTime(expression: string, from: number): number {
  const cron = parseCron(expression);
  const date = new Date(from);
  date.setUTCSeconds(0, 0);
  date.setUTCMinutes(date.getUTCMinutes() + 1);
  const limit = from + 5 * 366 * 24 * 3600_000;
  while (date.getTime() <= limit) {
    if (!cron.months.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1);
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(cron, date)) {
      date.setUTCDate(date.getUTCDate() + 1);
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(date.getUTCHours())) {
      date.setUTCHours(date.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return date.getTime();
  }
  throw new PatchbayError('INVALID_CONFIG', `The cron expression "${expression}" never fires (check day and month fields).`);
}
