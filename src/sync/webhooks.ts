/**
 * Sync webhooks to the user's backend: after a run with changes, one POST per model, with
 * Nango's body (`from` is 'patchbay') so an existing receiver keeps working. Signed two ways with
 * the webhook secret: `X-Patchbay-Hmac-Sha256` and `X-Nango-Hmac-Sha256`, both the hex
 * HMAC-SHA256 of the raw body (Nango's algorithm), so a receiver written for Nango verifies ours.
 * Retried with backoff; a delivery that keeps failing is logged, never fatal to the run.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';

/** What both forms of Nango's sync webhook carry. */
interface SyncWebhookCommon {
  from: 'patchbay';
  type: 'sync';
  connectionId: string;
  providerConfigKey: string;
  syncName: string;
  syncVariant: string;
  model: string;
  syncType: 'INITIAL' | 'INCREMENTAL';
}

export interface SyncWebhookSuccess extends SyncWebhookCommon {
  success: true;
  /** Records changed since the last delivered webhook of this model, by their last action. */
  responseResults: { added: number; updated: number; deleted: number };
  /**
   * The earliest change not announced before (interrupted and failed runs' changes included):
   * `GET /records?modified_after=<it>` returns every one of them. Inclusive, so a record of the
   * same millisecond as an announced one may come again; none is missed.
   */
  modifiedAfter: string;
  /** @deprecated Nango's older name of modifiedAfter. */
  queryTimeStamp: string;
}

export interface SyncWebhookFailure extends SyncWebhookCommon {
  success: false;
  error: { type: string; description: string };
  /** What the run saved before it failed (kept; the next success webhook announces it). */
  responseResults: { added: number; updated: number; deleted: number };
  startedAt: string;
  failedAt: string;
}

export type SyncWebhookBody = SyncWebhookSuccess | SyncWebhookFailure;

/** Nango's "async action completed" webhook: the action finished (either way); fetch its result at `statusUrl`. */
export interface AsyncActionWebhookBody {
  from: 'patchbay';
  type: 'async_action';
  connectionId: string;
  providerConfigKey: string;
  payload: { id: string; statusUrl: string };
}

/** Where and how to deliver. */
export interface WebhookTarget {
  urls: string[];
  /** HMAC key; without one the request goes unsigned (and a warning is logged once per run). */
  secret?: string;
}

export interface DeliveryOptions {
  /** Waits between attempts (ms); the number of entries is the number of retries. Default 1 s, 5 s, 25 s. */
  retryDelaysMs?: number[];
  /** Per-attempt timeout (ms), default 10 s. */
  timeoutMs?: number;
  logger?: Logger;
  /** Once aborted (server shutting down), no further retries are waited for. */
  signal?: AbortSignal;
}

/** Outcome of one URL's delivery. */
export interface DeliveryResult {
  url: string;
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/**
 * The hex HMAC-SHA256 of a raw body: the value of both signature headers.
 *
 * @example
 * // In the receiver, over the raw request body (not re-serialised JSON):
 * const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
 * timingSafeEqual(Buffer.from(expected), Buffer.from(req.headers['x-patchbay-hmac-sha256']));
 */
export function signBody(secret: string, rawBody: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** The headers of a webhook request. */
export function webhookHeaders(rawBody: string, secret: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'patchbay-webhooks' };
  if (secret) {
    const signature = signBody(secret, rawBody);
    headers['x-patchbay-hmac-sha256'] = signature;
    headers['x-nango-hmac-sha256'] = signature;
  }
  return headers;
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Only the origin and path of a URL, for logs (a query may carry a token). */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

async function deliverOne(url: string, rawBody: string, headers: Record<string, string>, options: DeliveryOptions): Promise<DeliveryResult> {
  const delays = options.retryDelaysMs ?? [1000, 5000, 25000];
  let last: DeliveryResult = { url, ok: false, attempts: 0 };
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) {
      if (options.signal?.aborted) break;
      await sleep(delays[attempt - 1]!, options.signal);
      if (options.signal?.aborted) break;
    }
    try {
      const response = await fetch(url, { method: 'POST', body: rawBody, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      await response.body?.cancel().catch(() => {});
      last = { url, ok: response.ok, attempts: attempt + 1, status: response.status };
      if (response.ok) return last;
      // A 4xx other than 408/429 will not get better by retrying.
      if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
    } catch (error) {
      last = { url, ok: false, attempts: attempt + 1, error: (error as Error).message };
    }
  }
  options.logger?.warn(
    { webhook: shown(url), status: last.status, error: last.error, attempts: last.attempts },
    'sync webhook delivery failed; the receiver did not answer 2xx',
  );
  return last;
}

/**
 * POSTs one body to every URL of the target, each retried on network errors, 408, 429 and 5xx.
 * Resolves with one result per URL; never rejects.
 */
export async function deliverWebhook(target: WebhookTarget, body: SyncWebhookBody | AsyncActionWebhookBody, options: DeliveryOptions = {}): Promise<DeliveryResult[]> {
  if (target.urls.length === 0) return [];
  const rawBody = JSON.stringify(body);
  const headers = webhookHeaders(rawBody, target.secret);
  return Promise.all(target.urls.map((url) => deliverOne(url, rawBody, headers, options)));
}

/**
 * The webhook target of an integration: `webhooks.urls` of integration.json plus
 * `PATCHBAY_WEBHOOK_URL` (comma-separated), the secret from integration.json or
 * `PATCHBAY_WEBHOOK_SECRET`.
 */
export function webhookTarget(config: { urls: string[]; secret?: string } | undefined, env: NodeJS.ProcessEnv = process.env): WebhookTarget {
  const urls = [...(config?.urls ?? [])];
  for (const url of (env['PATCHBAY_WEBHOOK_URL'] ?? '').split(',')) {
    const trimmed = url.trim();
    if (trimmed && !urls.includes(trimmed)) urls.push(trimmed);
  }
  const secret = config?.secret || env['PATCHBAY_WEBHOOK_SECRET'] || undefined;
  return secret ? { urls, secret } : { urls };
}
