/**
 * From a function's `ProxyConfiguration` to what goes on the wire and back: the URL (base URL +
 * endpoint + params, Nango's joining rules), the encoded body with its content type, and the
 * response body decoded per `responseType` the way axios would (JSON when it parses, else text),
 * except that a body labelled JSON must be JSON.
 */
import { Readable } from 'node:stream';
import type { ProxyConfiguration } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import type { OutgoingBody } from './transport.ts';

/** True for `https://…` / `http://…` endpoints, which replace the base URL. */
export function isAbsolute(endpoint: string): boolean {
  return /^https?:\/\//i.test(endpoint);
}

/**
 * Joins base URL and endpoint like Nango: slashes normalised, the base path kept
 * (`https://api.x.com/v2` + `/users` → `https://api.x.com/v2/users`), then `params` added;
 * arrays become comma-joined values, undefined values are dropped.
 *
 * @example
 * buildUrl('https://api.github.com', '/repos', { per_page: 100, state: ['open', 'closed'] })
 * // https://api.github.com/repos?per_page=100&state=open%2Cclosed
 */
export function buildUrl(baseUrl: string, endpoint: string, params?: ProxyConfiguration['params']): URL {
  let text: string;
  if (isAbsolute(endpoint)) text = endpoint;
  else {
    const base = baseUrl.replace(/\/+$/, '');
    const path = endpoint.replace(/^\/+/, '');
    text = path ? `${base}/${path}` : base;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new PatchbayError('INVALID_ARGUMENT', `"${endpoint}" does not make a valid URL with base "${baseUrl}". Pass a path like "/users" or a full https:// URL.`, { cause });
  }
  if (typeof params === 'string') {
    const extra = new URLSearchParams(params.startsWith('?') ? params.slice(1) : params);
    for (const [k, v] of extra) url.searchParams.append(k, v);
  } else if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null) continue;
      url.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
  }
  return url;
}

/** Checks whether a value looks like a FormData (global or a polyfill). */
function isFormData(value: unknown): value is FormData {
  return typeof FormData !== 'undefined' && value instanceof FormData;
}

/**
 * Encodes `data` and picks a content type unless the caller set one: objects as JSON, strings
 * as is (form-urlencoded like axios), bytes as octet-stream, URLSearchParams as a form,
 * FormData as multipart.
 */
export async function encodeBody(data: unknown, headers: Record<string, string>): Promise<OutgoingBody | undefined> {
  if (data === undefined || data === null) return undefined;
  const setType = (type: string) => {
    if (!headers['content-type']) headers['content-type'] = type;
  };
  if (data instanceof Readable) {
    // Passed through as it arrives (the proxy's uploads); sent once, never buffered.
    setType('application/octet-stream');
    return data;
  }
  if (typeof data === 'string') {
    setType('application/x-www-form-urlencoded');
    return data;
  }
  if (data instanceof Uint8Array) {
    setType('application/octet-stream');
    return data;
  }
  if (data instanceof ArrayBuffer) {
    setType('application/octet-stream');
    return new Uint8Array(data);
  }
  if (data instanceof URLSearchParams) {
    setType('application/x-www-form-urlencoded;charset=utf-8');
    return data.toString();
  }
  if (isFormData(data)) {
    const encoded = new Response(data);
    headers['content-type'] = encoded.headers.get('content-type') ?? 'multipart/form-data';
    return new Uint8Array(await encoded.arrayBuffer());
  }
  setType('application/json');
  return JSON.stringify(data);
}

/**
 * True for a Content-Type that promises JSON: `application/json` or `application/<anything>+json`
 * (`vnd.api+json`, `problem+json`), any case, parameters such as `charset` ignored.
 *
 * @example isJsonContentType('application/json; charset=utf-8') // true
 */
export function isJsonContentType(type: string | undefined): boolean {
  const essence = type?.split(';')[0]!.trim().toLowerCase() ?? '';
  return essence === 'application/json' || /^application\/[^/\s]+\+json$/.test(essence);
}

/**
 * Thrown by {@link decodeBody} for a body whose Content-Type promises JSON but that does not
 * parse. Internal to upstream/: the client turns it into UPSTREAM_HTTP_ERROR (`invalid_json`).
 */
export class InvalidJsonBody extends Error {
  readonly text: string;
  readonly contentType: string;

  constructor(text: string, contentType: string, cause: unknown) {
    super(`The body is not valid JSON although its content-type is ${contentType}.`, { cause });
    this.name = 'InvalidJsonBody';
    this.text = text;
    this.contentType = contentType;
  }
}

/** The body as text, a leading byte-order mark dropped (axios does the same). */
export function bodyText(body: Uint8Array): string {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON when it parses, else the text itself: how axios reads a body it is not sure about. */
export function parseJsonOrText(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Decodes a response body per `responseType`, like axios: `text`, `arraybuffer`, `blob`, `stream`
 * as asked; by default (or `json`) JSON when it parses, else text, and `''` when empty. One
 * difference on purpose: a non-blank body whose Content-Type promises JSON and does not parse
 * throws {@link InvalidJsonBody} instead of reaching the function as a string (axios would hand
 * over the string, and a sync reading `data.items ?? []` would then save nothing).
 */
export function decodeBody(body: Uint8Array, headers: Record<string, string>, responseType: ProxyConfiguration['responseType']): unknown {
  switch (responseType) {
    case 'arraybuffer':
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    case 'blob':
      return new Blob([body as Uint8Array<ArrayBuffer>], { type: headers['content-type'] ?? '' });
    case 'stream':
      return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
    case 'text':
    case 'document':
      return Buffer.from(body).toString('utf8');
    default: {
      const text = bodyText(body);
      const type = headers['content-type'];
      if (!isJsonContentType(type) || text.trim() === '') return parseJsonOrText(text);
      try {
        return JSON.parse(text);
      } catch (cause) {
        throw new InvalidJsonBody(text, type!, cause);
      }
    }
  }
}
