/** nextDelay is pure: every retry decision is checked here without a socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoff, DEFAULT_RETRY_POLICY, nextDelay, parseResetValue, rateLimitDelay, retryBudget } from '../../src/upstream/retry.ts';

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const half = { ...DEFAULT_RETRY_POLICY, random: () => 0.5 };

test('idempotent methods get 3 retries by default, POST and PATCH none unless asked', () => {
  assert.equal(retryBudget({ method: 'GET' }), 3);
  assert.equal(retryBudget({ method: 'delete' }), 3);
  assert.equal(retryBudget({ method: 'POST' }), 0);
  assert.equal(retryBudget({ method: 'PATCH' }), 0);
  assert.equal(retryBudget({ method: 'POST', retries: 2 }), 2);
  assert.equal(retryBudget({ method: 'POST', retryOn: [409] }), 3);
  assert.equal(retryBudget({ method: 'GET', retries: 0 }), 0);
  assert.equal(nextDelay(1, { status: 503, headers: {} }, { method: 'POST' }), undefined);
  assert.notEqual(nextDelay(1, { status: 503, headers: {} }, { method: 'POST', retries: 1 }), undefined);
});

test('exponential backoff with full jitter, capped', () => {
  assert.equal(backoff(1, half), 100);
  assert.equal(backoff(2, half), 200);
  assert.equal(backoff(3, half), 400);
  assert.equal(backoff(20, half), 15_000);
  assert.equal(backoff(20, { ...half, random: () => 0.999999 }), 30_000);
  assert.equal(backoff(3, { ...half, random: () => 0 }), 0);
});

test('what is retried: network errors, 429, 5xx, retryOn; not 4xx; budget ends', () => {
  const cfg = { method: 'GET', policy: half, now: NOW };
  assert.equal(nextDelay(1, { error: new Error('ECONNRESET') }, cfg), 100);
  assert.equal(nextDelay(1, { status: 502, headers: {} }, cfg), 100);
  assert.equal(nextDelay(1, { status: 429, headers: {} }, cfg), 100);
  assert.equal(nextDelay(1, { status: 404, headers: {} }, cfg), undefined);
  assert.equal(nextDelay(1, { status: 400, headers: {} }, cfg), undefined);
  assert.equal(nextDelay(1, { status: 404, headers: {} }, { ...cfg, retryOn: [404] }), 100);
  assert.equal(nextDelay(3, { status: 503, headers: {} }, cfg), 400);
  assert.equal(nextDelay(4, { status: 503, headers: {} }, cfg), undefined);
});

test('Retry-After in seconds and as an HTTP date', () => {
  const cfg = { method: 'GET', policy: half, now: NOW };
  assert.equal(nextDelay(1, { status: 429, headers: { 'retry-after': '7' } }, cfg), 7000);
  const date = new Date(NOW + 40_000).toUTCString();
  assert.equal(nextDelay(1, { status: 429, headers: { 'retry-after': date } }, cfg), 40_000);
  assert.equal(nextDelay(1, { status: 503, headers: { 'retry-after': '3' } }, cfg), 3000);
  assert.equal(parseResetValue('garbage', NOW), undefined);
  assert.equal(parseResetValue(new Date(NOW - 5000).toUTCString(), NOW), 0);
});

test('reset headers: GitHub epoch with remaining 0, provider-named headers, remaining > 0 ignored', () => {
  const reset = String(NOW / 1000 + 30);
  assert.equal(rateLimitDelay({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }, undefined, NOW), 30_000);
  assert.equal(rateLimitDelay({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '12' }, undefined, NOW), undefined);
  assert.equal(rateLimitDelay({ 'x-ratelimit-reset': reset }, undefined, NOW), undefined);
  assert.equal(rateLimitDelay({ 'ratelimit-reset-at': reset }, { at: 'RateLimit-Reset-At' }, NOW), 30_000);
  assert.equal(rateLimitDelay({ 'x-wait': '12' }, { after: 'x-wait' }, NOW), 12_000);
  assert.equal(rateLimitDelay({ 'x-reset-ms': String(NOW + 2500) }, { at: 'x-reset-ms' }, NOW), 2500);
  // GitHub answers 403 (not 429) when the budget is spent: that is a rate limit too.
  const cfg = { method: 'GET', policy: half, now: NOW };
  assert.equal(nextDelay(1, { status: 403, headers: { 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' } }, cfg), 30_000);
  assert.equal(nextDelay(1, { status: 403, headers: {} }, cfg), undefined);
});
