import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstRunAt, forConnection, frequencyOf, jitterFor, nextRunAt } from '../../src/sync/schedule.ts';

const hour = 3_600_000;

/** The scheduler fails on a bad frequency with the build's code and message, not one of its own. */
const sameError = { code: 'INVALID_CONFIG', message: /^Invalid frequency ".*": .*Write "every 30 minutes"/ };

test('schedule: interval plus bounded jitter; first runs spread over a window', () => {
  assert.equal(nextRunAt({ name: 's', intervalMs: hour }, 1000, () => 0), 1000 + hour);
  assert.equal(nextRunAt({ name: 's', intervalMs: hour }, 1000, () => 0.999999), 1000 + hour + 59_999, 'jitter capped at 60 s');
  assert.equal(jitterFor(10_000, () => 0.5), 500, '10% of short intervals');
  assert.equal(nextRunAt({ name: 's', frequency: 'every 30 minutes' }, 0, () => 0), 1_800_000, 'frequency string parsed when no intervalMs');
  const firsts = Array.from({ length: 200 }, (_, i) => firstRunAt({ name: 's', intervalMs: hour }, 0, () => i / 200));
  assert.equal(new Set(firsts.map((t) => Math.floor(t / 1000))).size, 10, '200 connections spread over 10 seconds');
  assert.throws(() => nextRunAt({ name: 's' }, 0), { code: 'INVALID_CONFIG', message: /has no frequency/ });
});

test('schedule: cron keeps its wall-clock time in UTC, spread over at most 30 s', () => {
  const from = Date.parse('2026-01-01T10:10:00Z');
  assert.equal(nextRunAt({ name: 's', cron: '0 * * * *' }, from, () => 0), Date.parse('2026-01-01T11:00:00Z'));
  assert.equal(nextRunAt({ name: 's', cron: '0 * * * *' }, from, () => 0.999999), Date.parse('2026-01-01T11:00:29.999Z'));
  assert.equal(nextRunAt({ name: 's', frequency: '0 9 * * 1-5' }, Date.parse('2026-01-03T00:00:00Z'), () => 0), Date.parse('2026-01-05T09:00:00Z'), 'cron from the frequency string');
  assert.equal(firstRunAt({ name: 's', cron: '0 0 1 1 *' }, 0, () => 0.5), 5000, 'first run soon, not next new year');
});

test('schedule: the manifest fields win over the frequency string, through the one parser', () => {
  assert.deepEqual(frequencyOf({ name: 's', intervalMs: 5000, frequency: 'every day' }), { intervalMs: 5000 });
  assert.deepEqual(frequencyOf({ name: 's', cron: '*/5 * * * *', frequency: 'every day' }), { cron: '*/5 * * * *' });
  assert.deepEqual(frequencyOf({ name: 's', frequency: 'every day' }), { intervalMs: 24 * hour });
  assert.deepEqual(frequencyOf({ name: 's', frequency: '*/5 * * * *' }), { cron: '*/5 * * * *' });
});

test('schedule: a bad cron or frequency in a manifest fails with the build error', () => {
  for (const cron of ['61 * * * *', '99 99 * * *', '0 0 31 2 *', '0 0 * * * *', '* * * *']) {
    assert.throws(() => nextRunAt({ name: 's', cron }, 0), sameError, cron);
  }
  for (const frequency of ['every 0 minutes', 'every fortnight', '0 */5 * * * *']) {
    assert.throws(() => nextRunAt({ name: 's', frequency }, 0), sameError, frequency);
  }
});

test('a connection’s own frequency replaces the sync’s interval or cron; none keeps the sync’s', () => {
  const hourly = { name: 'issues', intervalMs: 3_600_000, frequency: 'every hour' };
  const from = Date.parse('2026-01-03T10:07:30Z');
  assert.equal(forConnection(hourly, undefined), hourly);
  assert.equal(forConnection(hourly, { frequency: null }), hourly);
  assert.equal(nextRunAt(forConnection(hourly, { frequency: 'every 5 minutes' }), from, () => 0), from + 300_000);
  assert.equal(nextRunAt(forConnection(hourly, { frequency: '*/15 * * * *' }), from, () => 0), Date.parse('2026-01-03T10:15:00Z'));
  const cron = { name: 'daily', cron: '0 0 * * *', frequency: '0 0 * * *' };
  assert.equal(nextRunAt(forConnection(cron, { frequency: 'every 2 hours' }), from, () => 0), from + 7_200_000);
});
