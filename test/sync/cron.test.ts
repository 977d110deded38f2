import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextCronTime } from '../../src/sync/cron.ts';
import { firstRunAt, jitterFor, nextRunAt } from '../../src/sync/schedule.ts';

const at = (expression: string, from: string) => new Date(nextCronTime(expression, Date.parse(from))).toISOString();

test('cron: next fire time in UTC for steps, ranges, names and both day fields', () => {
  assert.equal(at('*/15 * * * *', '2026-01-03T10:07:30Z'), '2026-01-03T10:15:00.000Z');
  assert.equal(at('*/15 * * * *', '2026-01-03T10:15:00Z'), '2026-01-03T10:30:00.000Z', 'strictly after');
  assert.equal(at('0 9 * * 1-5', '2026-01-03T00:00:00Z'), '2026-01-05T09:00:00.000Z', 'Saturday → Monday');
  assert.equal(at('30 2 * * sun', '2026-01-05T00:00:00Z'), '2026-01-11T02:30:00.000Z');
  assert.equal(at('0 0 1 jan *', '2026-03-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(at('0 12 13 * 5', '2026-02-01T00:00:00Z'), '2026-02-06T12:00:00.000Z', 'day 13 OR Friday');
  assert.equal(at('0 0 * * 7', '2026-01-05T00:00:00Z'), '2026-01-11T00:00:00.000Z', '7 is Sunday');
  assert.throws(() => nextCronTime('0 0 31 2 *', 0), { code: 'INVALID_CONFIG' });
  assert.throws(() => nextCronTime('61 * * * *', 0), { code: 'INVALID_CONFIG' });
});

test('schedule: interval plus bounded jitter; first runs spread over a window', () => {
  const hour = 3_600_000;
  assert.equal(nextRunAt({ name: 's', intervalMs: hour }, 1000, () => 0), 1000 + hour);
  assert.equal(nextRunAt({ name: 's', intervalMs: hour }, 1000, () => 0.999999), 1000 + hour + 59_999, 'jitter capped at 60 s');
  assert.equal(jitterFor(10_000, () => 0.5), 500, '10% of short intervals');
  assert.equal(nextRunAt({ name: 's', frequency: 'every 30 minutes' }, 0, () => 0), 1_800_000, 'frequency string parsed when no intervalMs');
  assert.equal(nextRunAt({ name: 's', cron: '0 * * * *' }, Date.parse('2026-01-01T10:10:00Z'), () => 0), Date.parse('2026-01-01T11:00:00Z'));
  const firsts = Array.from({ length: 200 }, (_, i) => firstRunAt({ name: 's', intervalMs: hour }, 0, () => i / 200));
  assert.equal(new Set(firsts.map((t) => Math.floor(t / 1000))).size, 10, '200 connections spread over 10 seconds');
  assert.throws(() => nextRunAt({ name: 's' }, 0), { code: 'INVALID_CONFIG' });
});
