/**
 * The transport seam: the one place a request actually leaves the process. The HTTP client does
 * everything else (credentials, retries, redirects, logs) and hands each single hop to a
 * `Transport`, so `patchbay test` can replay fixtures and `dryrun --save-responses` can record,
 * without touching the client.
 *
 * The default transport is undici: one keep-alive pool per origin (an undici `Agent`), connect / headers / body
 * timeouts, the execution's `AbortSignal` on every request, redirects NOT followed (the client
 * validates each hop), bodies decompressed unless `config.decompress === false`.
 */
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Agent } from 'undici';
import { PatchbayError } from '../errors.ts';
import type { ProxyConfiguration } from '../define/context.ts';

/**
 * A request body on the wire: encoded text or bytes, or a stream (the proxy passing an upload
 * through), which can be sent once only: no retry, no refresh-and-resend, no 307/308 follow.
 */
export type OutgoingBody = string | Uint8Array | Readable;

/** One hop as the client built it: credentials already injected, body already encoded. */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: OutgoingBody;
  signal: AbortSignal;
  /** The call's configuration as the function wrote it (recorders key fixtures on it). */
  config: ProxyConfiguration;
  /** Answer a 2xx body as `TransportResponse.stream`, unread and still encoded (the proxy). */
  stream?: boolean;
}

/** A complete response: lowercase headers, the whole body (or, when streamed, `stream`). */
export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** A 2xx body not read yet, as the provider encoded it (`TransportRequest.stream`); `body` is then empty. */
  stream?: Readable;
}

/** Sends one request, rejects on network failure or abort; never follows redirects. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** Timeouts of the undici transport, in milliseconds. */
export interface TransportTimeouts {
  /** TCP + TLS connect (default 10 s). */
  connect?: number;
  /** Until the response headers arrive (default 60 s). */
  headers?: number;
  /** Between two body chunks (default 120 s). */
  body?: number;
}

/** Generous enough for slow APIs, short enough that a dead host fails before a function's timeout. */
export const DEFAULT_TIMEOUTS: Required<TransportTimeouts> = { connect: 10_000, headers: 60_000, body: 120_000 };

/** Largest response body buffered (100 MB): a bigger one fails instead of exhausting memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

/** A transport that also owns sockets to close. */
export interface ClosableTransport {
  send: Transport;
  close(): Promise<void>;
}

const decoders: Record<string, (input: Uint8Array) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** Decodes a `content-encoding` body; unknown encodings are returned as they came. */
async function decode(body: Uint8Array, headers: Record<string, string>): Promise<Uint8Array> {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  const decoder = encoding ? decoders[encoding] : undefined;
  if (!decoder || body.byteLength === 0) return body;
  const out = await decoder(body);
  delete headers['content-encoding'];
  headers['content-length'] = String(out.byteLength);
  return out;
}

/**
 * The default transport: an undici Agent (a keep-alive pool per origin), bodies capped at
 * `maxResponseBytes` (default 100 MB).
 *
 * @example
 * const transport = createUndiciTransport({ headers: 5_000 });
 * const res = await transport.send({ method: 'GET', url: new URL('https://api.github.com/zen'), headers: {}, signal, config });
 * await transport.close();
 */
export function createUndiciTransport(timeouts: TransportTimeouts = {}, limits: { maxResponseBytes?: number } = {}): ClosableTransport {
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const maxBytes = limits.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // An Agent keeps one keep-alive Pool per origin and drops pools that went idle. undici is
  // loaded on the first request, not at startup: `serve --stdio` answers tools/list ~60 ms sooner.
  let agent: Agent | undefined;
  let loading: Promise<Agent> | undefined;
  let closed = false;
  const agentFor = async (): Promise<Agent> => {
    loading ??= import('undici').then(({ Agent }) => {
      agent = new Agent({
        connections: 16,
        keepAliveTimeout: 10_000,
        headersTimeout: t.headers,
        bodyTimeout: t.body,
        connect: { timeout: t.connect },
      });
      // Used after close(): the closed Agent refuses the request as it always did.
      if (closed) void agent.close();
      return agent;
    });
    return loading;
  };

  const send: Transport = async (request) => {
    request.signal.throwIfAborted();
    const pool = agent ?? (await agentFor());
    request.signal.throwIfAborted();
    const response = await pool.request({
      origin: request.url.origin,
      path: request.url.pathname + request.url.search,
      method: request.method as 'GET',
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal,
    });
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (request.stream && response.statusCode >= 200 && response.statusCode < 300) {
      return { status: response.statusCode, headers, body: new Uint8Array(0), stream: response.body };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).byteLength;
      if (size > maxBytes) {
        response.body.destroy();
        throw new PatchbayError('UPSTREAM_HTTP_ERROR', `The response of ${request.method} ${request.url.origin}${request.url.pathname} is larger than ${maxBytes >= 1048576 ? `${Math.round(maxBytes / 1048576)} MB` : `${Math.ceil(maxBytes / 1024)} KB`}; request a smaller page (limit / per_page) instead.`, { status: response.statusCode });
      }
      chunks.push(chunk as Buffer);
    }
    let body: Uint8Array = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (request.config.decompress !== false) body = await decode(body, headers);
    return { status: response.statusCode, headers, body };
  };

  return {
    send,
    async close() {
      closed = true;
      const open = loading ? await loading.catch(() => undefined) : undefined;
      await open?.close().catch(() => open.destroy());
    },
  };
}

/**
 * A transport over the platform's `fetch` (no pools to close): used for one-off requests such as
 * OAuth token calls. Redirects are not followed, like the undici transport.
 */
export const fetchTransport: Transport = async (request) => {
  const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers, signal: request.signal, redirect: 'manual' };
  if (request.body instanceof Readable) {
    init.body = Readable.toWeb(request.body) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  } else if (request.body !== undefined) init.body = request.body as NonNullable<RequestInit['body']>;
  const response = await fetch(request.url, init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
};
