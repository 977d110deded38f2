/**
 * The identity of one outgoing request, computed the way Nango's CLI computes it when it records
 * (`nango dryrun --save`) and when its test mock looks a recording up. Two requests with the same
 * identity are the same request for replay purposes; the recorded `hash` is the sha1 of it.
 *
 * What counts: the method, the endpoint path without its leading slash, the query (the endpoint's
 * own query merged with `params`, arrays joined by commas, sorted by name), the headers the
 * function set itself (transport headers such as authorization or user-agent are left out), and
 * the body (the string itself, or its JSON text, or `sha1:<hex>` past 1,000 characters).
 *
 * @example
 * const id = requestIdentity({ endpoint: '/issues?state=open', params: { per_page: 50 } });
 * id.endpoint // 'issues'
 * id.params   // [['per_page', '50'], ['state', 'open']]
 * id.hash     // sha1 of the identity, equal to the recorded `hash`
 */
import { createHash } from 'node:crypto';
import type { ProxyConfiguration } from '../define/context.ts';

/**
 * Headers that never take part in an identity: the transport, auth and Nango's own proxy
 * headers. A function that sets one of these still matches its recording.
 */
export const TRANSPORT_HEADERS: readonly string[] = [
  'authorization',
  'user-agent',
  'nango-proxy-user-agent',
  'accept-encoding',
  'retries',
  'host',
  'connection-id',
  'provider-config-key',
  'nango-is-sync',
  'nango-is-script',
  'nango-is-dry-run',
  'nango-activity-log-id',
  'content-length',
  'accept',
  'base-url-override',
  'retry-on',
  'forward-headers-on-redirect',
];

/** What identifies a request; serialised in this key order, it is what the hash covers. */
export interface RequestIdentity {
  method: string;
  endpoint: string;
  params: Array<[string, string]>;
  headers: Array<[string, string]>;
  data?: string;
}

/** An identity plus its sha1, the key recordings are stored under. */
export interface IdentifiedRequest extends RequestIdentity {
  hash: string;
  /** The whole body text (not hashed), for the clock-tolerant second pass of the matcher. */
  body?: string;
}

const BODY_INLINE_LIMIT = 1000;

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function byKey(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** True for a content type an HTTP client adds by itself, which recordings therefore omit. */
export function isDefaultContentType(name: string, value: string): boolean {
  if (name.toLowerCase() !== 'content-type') return false;
  const v = value.toLowerCase();
  return v === 'application/json' || v === 'undefined' || v.startsWith('application/x-www-form-urlencoded');
}

/** The body as text (a string as is, a Buffer in base64, anything else as JSON); undefined when absent. */
export function bodyText(data: unknown): string | undefined {
  if (data === undefined || data === null || data === '' || data === false || data === 0) return undefined;
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('base64');
  if (data instanceof URLSearchParams) return data.toString();
  return JSON.stringify(data) ?? '';
}

/** The body as it takes part in an identity: undefined when absent, long bodies by their sha1. */
export function bodyIdentity(data: unknown): string | undefined {
  const text = bodyText(data);
  if (text === undefined) return undefined;
  return text.length > BODY_INLINE_LIMIT ? `sha1:${sha1(text)}` : text;
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const COMPACT_TIME = /\b(?:19|20)\d{6}T\d{2}(?:\d{2}){0,2}\b/g;
const DAY_MONTH_YEAR = /\b\d{1,2}[- ](?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*[- ]\d{4}\b/gi;
const EPOCH = /(?<![\d.])(?:1[5-9]\d{8}|[2-3]\d{9}|1[5-9]\d{11}|[2-3]\d{12})(?![\d.])/g;

/**
 * The text with clock-derived values (ISO dates and times, `20261122T00`, `22-Nov-2026`, epoch seconds or
 * milliseconds between 2017 and 2095) replaced by `<t>`: a replay runs at another time than its recording, and a
 * function asking for "the last 30 days" asks for other dates.
 */
export function maskTime(text: string): string {
  return text.replace(ISO_TIME, '<t>').replace(COMPACT_TIME, '<t>').replace(DAY_MONTH_YEAR, '<t>').replace(EPOCH, '<t>');
}

/** The endpoint as a URL: absolute URLs as they are, paths against a placeholder origin. */
function endpointUrl(endpoint: string): URL {
  if (/^https?:\/\//i.test(endpoint)) {
    try {
      return new URL(endpoint);
    } catch {
      // fall through: treat as a path
    }
  }
  return new URL(endpoint.startsWith('/') ? endpoint : `/${endpoint}`, 'https://nango.invalid');
}

function mergeParams(url: URL, params: ProxyConfiguration['params']): void {
  if (params === undefined || params === null) return;
  if (typeof params === 'string') {
    for (const [k, v] of new URLSearchParams(params.startsWith('?') ? params.slice(1) : params)) url.searchParams.append(k, v);
    return;
  }
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    url.searchParams.set(key, Array.isArray(value) ? value.map(String).join(',') : String(value));
  }
}

/** The function's own headers, normalised: prefix `nango-proxy-` dropped, first spelling wins, sorted. */
export function identityHeaders(headers: Record<string, unknown> | undefined): Array<[string, string]> {
  if (!headers) return [];
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [raw, rawValue] of Object.entries(headers)) {
    const name = raw.toLowerCase().startsWith('nango-proxy-') ? raw.slice('nango-proxy-'.length) : raw;
    const lower = name.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    if (TRANSPORT_HEADERS.includes(lower)) continue;
    const value = String(rawValue);
    if (isDefaultContentType(lower, value)) continue;
    out.push([name, value]);
  }
  return out.sort(byKey);
}

/** Computes the identity and hash of a request as the function issued it. */
export function requestIdentity(config: Pick<ProxyConfiguration, 'endpoint' | 'method' | 'params' | 'headers' | 'data'>): IdentifiedRequest {
  const method = (config.method ?? 'get').toLowerCase();
  const url = endpointUrl(config.endpoint ?? '');
  mergeParams(url, config.params);
  const endpoint = url.pathname.replace(/^\/proxy\//, '').replace(/^\//, '');
  const params = [...url.searchParams.entries()].map(([k, v]) => [k, String(v)] as [string, string]).sort(byKey);
  const headers = identityHeaders(config.headers as Record<string, unknown> | undefined);
  const identity: RequestIdentity = { method, endpoint, params, headers };
  const data = bodyIdentity(config.data);
  if (data !== undefined) identity.data = data;
  const identified: IdentifiedRequest = { ...identity, hash: sha1(JSON.stringify(identity)) };
  const body = bodyText(config.data);
  if (body !== undefined) Object.defineProperty(identified, 'body', { value: body, enumerable: false });
  return identified;
}

/** One line naming a request for messages: `GET issues?state=open&per_page=50`. */
export function describeRequest(identity: RequestIdentity): string {
  const query = identity.params.map(([k, v]) => `${k}=${v}`).join('&');
  return `${identity.method.toUpperCase()} ${identity.endpoint}${query ? `?${query}` : ''}`;
}
