import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCronTime, parseFrequency } from '../../src/build/frequency.ts';
import { PatchbayError } from '../../src/errors.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** One code and one message style for every bad frequency, whichever path rejected it. */
function rejects(run: () => unknown, label: string, reason?: RegExp): void {
  assert.throws(
    run,
    (error: unknown) => {
      assert.ok(error instanceof PatchbayError, `${label}: a PatchbayError`);
      assert.equal(error.code, 'INVALID_CONFIG', label);
      assert.match(error.message, /^Invalid frequency ".*": .+\. Write "every 30 minutes", .* or a 5-field cron expression in UTC like "\*\/15 \* \* \* \*"/s, label);
      if (reason) assert.match(error.message, reason, label);
      return true;
    },
    label,
  );
}

const at = (expression: string, from: string) => new Date(nextCronTime(expression, Date.parse(from))).toISOString();

test('Nango interval forms become milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['every hour', HOUR],
    ['every 30 minutes', 30 * MIN],
    ['every day', 24 * HOUR],
    ['every 2 hours', 2 * HOUR],
    ['every half hour', 30 * MIN],
    ['every quarter hour', 15 * MIN],
    ['every week', 7 * 24 * HOUR],
    ['every month', 30 * 24 * HOUR],
    ['30m', 30 * MIN],
    ['every 6h', 6 * HOUR],
    ['1d', 24 * HOUR],
    ['every 1 minute', MIN],
    ['Every  5 Minutes', 5 * MIN],
    ['90s', 90_000],
    ['every 1.5 hours', 90 * MIN],
    ['every 365 days', 365 * 24 * HOUR],
  ];
  for (const [text, ms] of cases) assert.deepEqual(parseFrequency(text), { intervalMs: ms }, text);
});

test('five-field cron expressions are accepted as cron, whitespace normalised', () => {
  for (const expr of ['*/15 * * * *', '0 9 * * 1-5', '0 0 1 jan,jul *', '30 2 * * sun', '0 */6 * * *', '0 0 ? * MON', '5/15 * * * *', '0 0 29 2 *', '0 0 * * 5-7']) {
    assert.deepEqual(parseFrequency(expr), { cron: expr }, expr);
  }
  assert.deepEqual(parseFrequency('  0   9 * *\t1-5 '), { cron: '0 9 * * 1-5' });
  const longList = `${'1,'.repeat(5000)}1 * * * *`;
  assert.deepEqual(parseFrequency(longList), { cron: longList }, 'a long but valid list');
});

test('cron: next fire time in UTC for steps, ranges, names and both day fields', () => {
  assert.equal(at('*/15 * * * *', '2026-01-03T10:07:30Z'), '2026-01-03T10:15:00.000Z');
  assert.equal(at('*/15 * * * *', '2026-01-03T10:15:00Z'), '2026-01-03T10:30:00.000Z', 'strictly after');
  assert.equal(at('*/15 * * * *', '2026-01-03T10:15:00.500Z'), '2026-01-03T10:30:00.000Z', 'strictly after, within the minute');
  assert.equal(at('0 9 * * 1-5', '2026-01-03T00:00:00Z'), '2026-01-05T09:00:00.000Z', 'Saturday → Monday');
  assert.equal(at('30 2 * * sun', '2026-01-05T00:00:00Z'), '2026-01-11T02:30:00.000Z');
  assert.equal(at('0 0 1 jan *', '2026-03-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(at('0 12 13 * 5', '2026-02-01T00:00:00Z'), '2026-02-06T12:00:00.000Z', 'day 13 OR Friday');
  assert.equal(at('0 0 * * 7', '2026-01-05T00:00:00Z'), '2026-01-11T00:00:00.000Z', '7 is Sunday');
  assert.equal(at('0 0 29 2 *', '2026-01-01T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'leap day');
  assert.equal(at('5/20 * * * *', '2026-01-03T10:46:00Z'), '2026-01-03T11:05:00.000Z', 'start/step runs to the end of the field');
  assert.equal(at('0 0 * * 5/1', '2026-01-04T01:00:00Z'), '2026-01-09T00:00:00.000Z', 'weekday 5/1 is Fri, Sat, Sun');
  assert.equal(at('0 0 * * 5/1', '2026-01-03T01:00:00Z'), '2026-01-04T00:00:00.000Z', '…including Sunday as 7');
});

test('hostile input: empty, zero, out of range, wrong field count, long, non-string', () => {
  const cases: Array<[unknown, RegExp?]> = [
    ['', /it is empty/],
    ['   ', /it is empty/],
    [undefined, /it is empty/],
    ['sometimes', /neither an interval nor a cron/],
    ['every fortnight', /neither an interval nor a cron/],
    ['every 0 minutes', /at least one second/],
    ['every 0.1 seconds', /at least one second/],
    ['every 3 parsecs', /"parsecs" is not a unit/],
    ['every 366 days', /at most 365 days/],
    [`every ${'9'.repeat(400)} days`, /at most 365 days/],
    ['61 * * * *', /minute field "61" is outside 0-59/],
    ['99 99 * * *', /minute field "99" is outside 0-59/],
    ['5 25 * * *', /hour field "25" is outside 0-23/],
    ['0 0 32 * *', /day-of-month field "32" is outside 1-31/],
    ['0 0 * 13 *', /month field "13" is outside 1-12/],
    ['0 0 * * 8', /day-of-week field "8" is outside 0-7/],
    ['0 0 31-1 * *', /day-of-month field "31-1" is not valid/],
    ['*/0 * * * *', /minute field "\*\/0" is not valid/],
    ['/10 * * * *', /"\/10" is not a valid minute/],
    ['1.5 * * * *', /"1.5" is not a valid minute/],
    ['0 0 L * *', /"L" is not a valid day-of-month/],
    ['0 0 * * MON#2', /"MON#2" is not a valid day-of-week/],
    ['* * * *', /it has 4 fields; a cron expression has 5/],
    ['0 */5 * * * *', /it has 6 fields; patchbay cron has 5/],
    ['0 0 12 * * * 2030', /it has 7 fields/],
    ['@daily', /nicknames/],
    ['0 0 31 2 *', /never fires/],
    ['0 0 30 2 *', /never fires/],
    ['x'.repeat(100_000), /neither an interval nor a cron/],
  ];
  for (const [value, reason] of cases) {
    const label = JSON.stringify(value)?.slice(0, 40) ?? String(value);
    rejects(() => parseFrequency(value as string), label, reason);
  }
});

test('a very long frequency is cut short in the message', () => {
  assert.throws(() => parseFrequency('y'.repeat(100_000)), (error: unknown) => (error as Error).message.length < 400);
});

test('nextCronTime rejects with the same code and message style as parseFrequency', () => {
  for (const [bad, reason] of [['61 * * * *', /outside 0-59/], ['0 0 31 2 *', /never fires/], ['0 0 0 * * *', /6 fields/], ['', /empty/]] as const) {
    rejects(() => nextCronTime(bad, 0), bad, reason);
  }
});
