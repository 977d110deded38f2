/**
 * The HTTP layer's final errors, each a PatchbayError with a stable code and a sentence saying
 * what happened and what to do: RATE_LIMITED (with `retryAfter` seconds), UPSTREAM_HTTP_ERROR
 * (status + a redacted excerpt of the body; `details.reason: 'invalid_json'` for a 2xx body
 * labelled JSON that is not), UPSTREAM_NETWORK_ERROR, ABORTED and TIMEOUT.
 */
import { PatchbayError, excerptOf } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import { bodyText, parseJsonOrText, type InvalidJsonBody } from './build.ts';
import { redactUrl, type Secrets } from './redact.ts';
import type { TransportResponse } from './transport.ts';

/** "GitHub" from display_name, else the provider key. */
export function providerName(integration: IntegrationConfig): string {
  return integration.provider.display_name ?? integration.provider.name ?? integration.id;
}

function where(method: string, url: URL, secrets: Secrets): string {
  const clean = new URL(redactUrl(url, secrets));
  return `${method} ${clean.origin}${clean.pathname}`;
}

/** The body's excerpt: redacted whole, then cut (errors.ts `excerptOf`). */
function bodyExcerpt(response: TransportResponse, secrets: Secrets): string {
  return excerptOf(parseJsonOrText(bodyText(response.body)), { secrets });
}

/** The provider said no (4xx/5xx) and retrying did not or may not help. */
export function httpError(integration: IntegrationConfig, response: TransportResponse, method: string, url: URL, attempts: number, secrets: Secrets): PatchbayError {
  const excerpt = bodyExcerpt(response, secrets);
  const tried = attempts > 1 ? ` after ${attempts} attempts` : '';
  let hint = '';
  if (response.status === 401) hint = ' The credentials were rejected: check the connection (patchbay connection show) or reconnect it.';
  else if (response.status === 403) hint = ' The credentials lack permission for this resource (scopes?).';
  else if (response.status === 404) hint = ' Check the endpoint path and the ids in it.';
  else if (response.status >= 500) hint = ' The provider is failing; try again later.';
  return new PatchbayError(
    'UPSTREAM_HTTP_ERROR',
    `${providerName(integration)} answered ${response.status} to ${where(method, url, secrets)}${tried}${excerpt ? `: ${excerpt}` : ''}.${hint}`,
    { status: response.status, excerpt, details: { method, url: redactUrl(url, secrets), headers: pickHeaders(response.headers, secrets) } },
  );
}

/**
 * The provider answered 2xx with a body its Content-Type calls JSON that does not parse: an error
 * page behind a proxy, a truncated body, a maintenance banner. Failing here keeps a sync from
 * reading the text as "no records" (and deleting what it had).
 */
export function invalidJsonError(integration: IntegrationConfig, response: TransportResponse, method: string, url: URL, body: InvalidJsonBody, secrets: Secrets): PatchbayError {
  const excerpt = excerptOf(body.text, { max: 200, secrets });
  return new PatchbayError(
    'UPSTREAM_HTTP_ERROR',
    `${providerName(integration)} answered ${response.status} to ${where(method, url, secrets)} with a body that is not valid JSON although its content-type is ${body.contentType}: ${excerpt}. ` +
      "The provider (or a proxy in front of it) sent an error page or a cut-off answer; retry later. If this endpoint really returns text, pass responseType: 'text'.",
    { status: response.status, excerpt, details: { reason: 'invalid_json', method, url: redactUrl(url, secrets), headers: pickHeaders(response.headers, secrets) } },
  );
}

/** Rate limited for longer than we may wait. */
export function rateLimitedError(
  integration: IntegrationConfig,
  response: TransportResponse,
  waitMs: number | undefined,
  method: string,
  url: URL,
  secrets: Secrets,
): PatchbayError {
  const retryAfter = waitMs === undefined ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
  const when = retryAfter === undefined ? 'retry later' : `retry after ${retryAfter} s`;
  const options: ConstructorParameters<typeof PatchbayError>[2] = { status: response.status, excerpt: bodyExcerpt(response, secrets) };
  if (retryAfter !== undefined) {
    options.retryAfter = retryAfter;
    // The exact wait (a reset time is precise to the millisecond; retryAfter is whole seconds).
    options.details = { waitMs: Math.max(0, Math.round(waitMs!)) };
  }
  return new PatchbayError('RATE_LIMITED', `rate limited by ${providerName(integration)} (${where(method, url, secrets)}), ${when}`, options);
}

/** The provider could not be reached at all. */
export function networkError(error: unknown, method: string, url: URL, attempts: number, secrets: Secrets): PatchbayError {
  const code = (error as { code?: string } | null)?.code;
  const message = excerptOf(error instanceof Error ? error.message : String(error), { max: 500, secrets });
  const tried = attempts > 1 ? ` (tried ${attempts} times)` : '';
  return new PatchbayError(
    'UPSTREAM_NETWORK_ERROR',
    `Could not complete ${where(method, url, secrets)}${tried}: ${code ? `${code} ` : ''}${message}. Check the base URL, the network and that the provider is up.`,
    { cause: error },
  );
}

/** The execution was cancelled or timed out while a request was in flight or waiting. */
export function abortError(signal: AbortSignal, integration: IntegrationConfig, cause?: unknown): PatchbayError {
  const reason: unknown = signal.reason;
  if (reason instanceof PatchbayError) return reason;
  const timedOut = (reason as { name?: string } | undefined)?.name === 'TimeoutError';
  return timedOut
    ? new PatchbayError('TIMEOUT', `The request to ${providerName(integration)} was stopped: the execution timed out.`, { cause: cause ?? reason })
    : new PatchbayError('ABORTED', `The request to ${providerName(integration)} was cancelled by the caller.`, { cause: cause ?? reason });
}

const USEFUL_HEADERS = ['retry-after', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-request-id', 'content-type'];

function pickHeaders(headers: Record<string, string>, secrets: Secrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of USEFUL_HEADERS) if (headers[name] !== undefined) out[name] = excerptOf(headers[name], { max: 200, secrets });
  return out;
}
