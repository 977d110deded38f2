/**
 * One attempt of a request, redirects included: at most `maxRedirects` hops, each validated
 * (http/https only) and each re-deciding whether credentials go along. A hop that leaves the
 * provider's origin (and its allowed hosts) loses `authorization`, `cookie` and every header or
 * query parameter that carried a credential. Every hop is reported through `onHop`, except the
 * final one: the caller reports that (`AttemptResult.hop`) once it knows whether the body is usable.
 */
import { PatchbayError } from '../errors.ts';
import type { InjectedAuth } from './inject.ts';
import { Readable } from 'node:stream';
import type { OutgoingBody, Transport, TransportRequest, TransportResponse } from './transport.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const ALWAYS_STRIPPED = ['authorization', 'proxy-authorization', 'cookie'];

/** The parts of a request an attempt needs; credentials are added per hop. */
export interface AttemptInput {
  method: string;
  url: URL;
  /** Provider defaults + the call's own headers, no credentials. */
  headers: Record<string, string>;
  body?: OutgoingBody | undefined;
  auth: InjectedAuth;
  /** Whether a URL may receive the credentials. */
  trusted: (url: URL) => boolean;
  transport: Transport;
  signal: AbortSignal;
  config: TransportRequest['config'];
  maxRedirects: number;
  onHop: (hop: Hop) => void;
  /** Ask the transport to stream a 2xx body (the proxy). */
  stream?: boolean;
}

/** One request on the wire, as it is logged. */
export interface Hop {
  method: string;
  url: URL;
  status: number | null;
  durationMs: number;
  error?: unknown;
}

/** The final response of an attempt and where it came from. */
export interface AttemptResult {
  response: TransportResponse;
  url: URL;
  /** Whether credentials were sent to the final URL. */
  authenticated: boolean;
  /** The final hop, not yet reported: the caller passes it to `onHop`, with an error if the body is unusable. */
  hop: Hop;
}

/** Builds one hop: credentials in when trusted; out (with any copied into the URL) when not. */
function prepareHop(input: AttemptInput, method: string, url: URL, body: AttemptInput['body'], left: boolean): TransportRequest {
  const trusted = input.trusted(url);
  const headers: Record<string, string> = { ...input.headers };
  const target = new URL(url);
  if (trusted) {
    Object.assign(headers, input.auth.headers, pick(input.headers, Object.keys(input.auth.headers)));
    for (const [k, v] of Object.entries(input.auth.query)) if (!target.searchParams.has(k)) target.searchParams.set(k, v);
  } else if (left) {
    for (const name of [...ALWAYS_STRIPPED, ...input.auth.secrets.names]) delete headers[name];
  }
  if (!trusted) for (const name of [...target.searchParams.keys()]) if (input.auth.secrets.names.has(name.toLowerCase())) target.searchParams.delete(name);
  const request: TransportRequest = { method, url: target, headers, signal: input.signal, config: input.config };
  if (body !== undefined) request.body = body;
  if (input.stream) request.stream = true;
  return request;
}

/** The caller's own headers win over injected ones (Nango lets a call override Authorization). */
function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

/**
 * Sends one attempt and follows redirects. Rejects with the transport's error on network
 * failure (the caller decides about retries) and UPSTREAM_HTTP_ERROR on a bad redirect.
 */
export async function sendAttempt(input: AttemptInput): Promise<AttemptResult> {
  let method = input.method;
  let url = input.url;
  let body = input.body;
  let left = false;
  for (let hop = 0; ; hop++) {
    const request = prepareHop(input, method, url, body, left);
    const started = performance.now();
    let response: TransportResponse;
    try {
      response = await input.transport(request);
    } catch (error) {
      input.onHop({ method, url: request.url, status: null, durationMs: performance.now() - started, error });
      throw error;
    }
    const done: Hop = { method, url: request.url, status: response.status, durationMs: performance.now() - started };
    const location = response.headers['location'];
    // A streamed body was sent and is gone: a redirect that keeps the body cannot be followed.
    const resend = response.status === 307 || response.status === 308;
    if (!REDIRECTS.has(response.status) || !location || (resend && body instanceof Readable)) {
      return { response, url: request.url, authenticated: input.trusted(url), hop: done };
    }
    input.onHop(done);
    if (hop >= input.maxRedirects) {
      throw new PatchbayError('UPSTREAM_HTTP_ERROR', `Too many redirects (more than ${input.maxRedirects}) starting at ${method} ${input.url.origin}${input.url.pathname}; the provider is redirecting in a loop.`, {
        status: response.status,
      });
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (cause) {
      throw new PatchbayError('UPSTREAM_HTTP_ERROR', `The provider redirected to an invalid location; cannot follow it.`, { status: response.status, cause });
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new PatchbayError('UPSTREAM_HTTP_ERROR', `The provider redirected to a ${next.protocol} URL; only http and https are followed.`, { status: response.status });
    }
    if (next.origin !== url.origin && !input.trusted(next)) left = true;
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method !== 'GET' && method !== 'HEAD')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      input = { ...input, headers: withoutBodyHeaders(input.headers) };
    }
    url = next;
  }
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  delete out['content-type'];
  delete out['content-length'];
  return out;
}
