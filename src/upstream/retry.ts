/**
 * Retries are data: `nextDelay` is a pure function from (attempt, what happened, policy) to how
 * long to wait before the next attempt, or `undefined` for "don't retry". The client owns the
 * loop; this file owns every decision, so it can be tested without a socket.
 *
 * Defaults differ from Nango's on purpose: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE)
 * get 3 retries; POST and PATCH get none unless the call sets `retries` or `retryOn`.
 */
import type { ProxyConfiguration } from '../define/context.ts';

/** Backoff and limits shared by all calls of a client. */
export interface RetryPolicy {
  /** Retries of an idempotent request when the call does not say (default 3). */
  defaultRetries: number;
  /** First backoff step in ms (default 200); step n is base × 2^(n-1), full jitter. */
  baseMs: number;
  /** Largest backoff step in ms (default 30 s). */
  capMs: number;
  /** Longest server-imposed wait (Retry-After, reset header) we sit through (default 60 s); longer fails RATE_LIMITED. */
  maxWaitMs: number;
  /** Random source in [0, 1) (tests pin it). */
  random: () => number;
}

/** 3 retries for idempotent calls, 200 ms → 30 s jittered backoff, at most 60 s of imposed wait. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  defaultRetries: 3,
  baseMs: 200,
  capMs: 30_000,
  maxWaitMs: 60_000,
  random: Math.random,
};

/** What the last attempt produced: a response (status + lowercase headers) or a network error. */
export type AttemptOutcome = { status: number; headers: Record<string, string> } | { error: unknown };

/** The call-specific half of the decision. */
export interface RetryConfig {
  method: string;
  retries?: ProxyConfiguration['retries'];
  retryOn?: ProxyConfiguration['retryOn'];
  /** Rate-limit header names: the call's `retryHeader` over the provider's `proxy.retry`. */
  retryHeader?: { at?: string; after?: string; remaining?: string } | undefined;
  policy?: Partial<RetryPolicy>;
  /** Epoch ms "now" (tests pin it). */
  now?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** How many retries this call gets. */
export function retryBudget(config: RetryConfig): number {
  const policy = { ...DEFAULT_RETRY_POLICY, ...config.policy };
  if (typeof config.retries === 'number' && config.retries >= 0) return Math.floor(config.retries);
  const method = config.method.toUpperCase();
  if (IDEMPOTENT.has(method) || (config.retryOn && config.retryOn.length > 0)) return policy.defaultRetries;
  return 0;
}

/**
 * A header value meaning "the limit resets at/after this": seconds from now, an HTTP date, epoch
 * seconds or epoch ms. Returns ms to wait (≥ 0) or undefined when unparseable.
 */
export function parseResetValue(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n > 1e12) return Math.max(0, n - now); // epoch ms
    if (n > 1e9) return Math.max(0, n * 1000 - now); // epoch seconds
    return n * 1000; // small numbers are a delay in seconds, whatever the header's name says
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait a rate-limited response asks for, from `Retry-After` or the provider's reset headers
 * (GitHub: `x-ratelimit-reset` when `x-ratelimit-remaining` is 0). Undefined when it asks none.
 */
export function rateLimitDelay(
  headers: Record<string, string>,
  retryHeader: RetryConfig['retryHeader'],
  now: number,
): number | undefined {
  const retryAfter = parseResetValue(headers['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  const names = {
    after: retryHeader?.after?.toLowerCase(),
    at: (retryHeader?.at ?? 'x-ratelimit-reset').toLowerCase(),
    remaining: (retryHeader?.remaining ?? 'x-ratelimit-remaining').toLowerCase(),
  };
  if (names.after) {
    const after = parseResetValue(headers[names.after], now);
    if (after !== undefined) return after;
  }
  const remaining = headers[names.remaining];
  if (remaining !== undefined && Number(remaining) > 0) return undefined;
  // An explicitly configured `at` header counts even without a remaining header.
  if (remaining === undefined && retryHeader?.at === undefined) return undefined;
  return parseResetValue(headers[names.at], now);
}

/** True when a response status means "you are rate limited" (403 counts when the budget is 0). */
export function isRateLimited(status: number, headers: Record<string, string>, retryHeader: RetryConfig['retryHeader']): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  const remaining = headers[(retryHeader?.remaining ?? 'x-ratelimit-remaining').toLowerCase()];
  return remaining !== undefined && Number(remaining) === 0;
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base × 2^(attempt-1))]. */
export function backoff(attempt: number, policy: RetryPolicy): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(policy.random() * step);
}

/**
 * How long to wait before attempt `attempt + 1`, or undefined when the call should not be retried
 * (budget spent, a 4xx, success). `attempt` counts attempts made so far, from 1.
 *
 * @example
 * nextDelay(1, { status: 503, headers: {} }, { method: 'GET' })            // ~0-200 ms
 * nextDelay(1, { status: 429, headers: { 'retry-after': '2' } }, { method: 'GET' }) // 2000
 * nextDelay(1, { status: 503, headers: {} }, { method: 'POST' })           // undefined
 */
export function nextDelay(attempt: number, outcome: AttemptOutcome, config: RetryConfig): number | undefined {
  const policy = { ...DEFAULT_RETRY_POLICY, ...config.policy };
  if (attempt > retryBudget(config)) return undefined;
  if ('error' in outcome) return backoff(attempt, policy);
  const { status, headers } = outcome;
  const rateLimited = isRateLimited(status, headers, config.retryHeader);
  const retryable = rateLimited || RETRIED_STATUSES.has(status) || (config.retryOn ?? []).includes(status);
  if (!retryable) return undefined;
  if (rateLimited || status === 503) {
    const wait = rateLimitDelay(headers, config.retryHeader, config.now ?? Date.now());
    if (wait !== undefined) return wait;
  }
  return backoff(attempt, policy);
}
