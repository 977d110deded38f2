import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrequency } from '../../src/build/frequency.ts';
import { PatchbayError } from '../../src/errors.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

test('Nango interval forms become milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['every hour', HOUR],
    ['every 30 minutes', 30 * MIN],
    ['every day', 24 * HOUR],
    ['every 2 hours', 2 * HOUR],
    ['every half hour', 30 * MIN],
    ['every quarter hour', 15 * MIN],
    ['every week', 7 * 24 * HOUR],
    ['30m', 30 * MIN],
    ['every 6h', 6 * HOUR],
    ['1d', 24 * HOUR],
    ['every 1 minute', MIN],
    ['Every  5 Minutes', 5 * MIN],
    ['90s', 90_000],
  ];
  for (const [text, ms] of cases) assert.deepEqual(parseFrequency(text), { intervalMs: ms }, text);
});

test('five-field cron expressions are accepted as cron', () => {
  for (const expr of ['*/15 * * * *', '0 9 * * 1-5', '0 0 1 jan,jul *', '30 2 * * sun', '0 */6 * * *']) {
    assert.deepEqual(parseFrequency(expr), { cron: expr });
  }
});

test('bad frequencies throw a message listing the accepted forms', () => {
  for (const bad of ['', 'sometimes', 'every fortnight', 'every 0 minutes', '61 * * * *', '* * * *', '5 25 * * *', 'every 3 parsecs', '0 0 31-1 * *']) {
    assert.throws(
      () => parseFrequency(bad),
      (error: unknown) => error instanceof PatchbayError && error.code === 'INVALID_ARGUMENT' && /every 30 minutes/.test(error.message),
      bad,
    );
  }
});
