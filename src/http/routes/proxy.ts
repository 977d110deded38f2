/**
 * Nango's proxy, `GET|POST|PUT|PATCH|DELETE /proxy/<endpoint>`, as `@nangohq/node`'s `proxy`
 * (and `get`/`post`/…) sends it: headers `Connection-Id` and `Provider-Config-Key`; `Retries`,
 * `Retry-On`, `Base-Url-Override` and `Decompress` as Nango documents them; the call's own
 * headers prefixed `Nango-Proxy-` (and `Content-Type`). The request goes out through the server's
 * HTTP client — the connection's credentials injected only towards the provider's origins,
 * retries, the single-flight 401 refresh, redirects that drop credentials across origins — and the
 * provider's answer comes back with its status, headers and body. A 2xx body is streamed through,
 * never held whole in memory. A request body is streamed to the provider as it arrives (at most
 * `maxUploadBytes`, 1 GB by default), so it is sent once: with `Retries` or `Retry-On` it is
 * read first instead, within the body limit (`--max-body-bytes`), so that it can be sent again.
 *
 * The proxy reaches a provider's whole API, so it needs a key that may use the connection and
 * is not limited to some tools.
 */
import { Readable, Transform, pipeline } from 'node:stream';
import type { Context } from 'hono';
import type { ConnectionService, LoadedConnection } from '../../connections/types.ts';
import type { ProxyConfiguration } from '../../define/context.ts';
import { PatchbayError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { HttpCallLog } from '../../observability/types.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import type { CredentialSource, HttpClient } from '../../upstream/client.ts';
import type { AppEnv } from '../middleware.ts';
import { DEFAULT_MAX_BODY_BYTES, bodyTooLarge } from '../respond.ts';
import { assertMayUse, requiredHeader } from './request.ts';

export interface ProxyRouteDeps {
  http: Pick<HttpClient, 'forward'>;
  connections: Pick<ConnectionService, 'get'>;
  integrations(integrationId: string): Promise<IntegrationConfig>;
  credentials(integration: IntegrationConfig, connection: LoadedConnection): CredentialSource;
  logger?: Pick<Logger, 'info'>;
  /** The body limit for a body that must be read whole (with Retries); default 4 MB. */
  maxBodyBytes?: number;
  /** The largest streamed upload; default 1 GB. */
  maxUploadBytes?: number;
}

/** Default cap on a streamed upload. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Headers that describe one hop, not the message: never forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
const PREFIX = 'nango-proxy-';

/** The call as the client described it in headers, path and body; `stream` when the body is to be streamed. */
async function proxyConfig(c: Context<AppEnv>, deps: ProxyRouteDeps): Promise<{ config: ProxyConfiguration; stream: boolean }> {
  const url = new URL(c.req.url);
  const endpoint = url.pathname.replace(/^\/proxy/, '') || '/';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.req.header())) {
    const lower = name.toLowerCase();
    if (lower.startsWith(PREFIX) && !HOP_BY_HOP.has(lower.slice(PREFIX.length))) headers[lower.slice(PREFIX.length)] = value;
  }
  const contentType = c.req.header('content-type');
  if (contentType && !headers['content-type']) headers['content-type'] = contentType;
  // No retries unless asked for, as in Nango's proxy.
  const config: ProxyConfiguration = { endpoint: `${endpoint}${url.search}`, method: c.req.method as ProxyConfiguration['method'], headers, retries: 0 };
  const retries = c.req.header('retries');
  if (retries !== undefined && retries !== '') {
    const n = Number(retries);
    if (!Number.isInteger(n) || n < 0 || n > 10) throw new PatchbayError('INVALID_ARGUMENT', `Retries must be an integer from 0 to 10 (got "${retries.slice(0, 20)}").`);
    config.retries = n;
  }
  const retryOn = c.req.header('retry-on');
  if (retryOn) {
    const codes = retryOn.split(',').map((code) => Number(code.trim()));
    if (codes.some((code) => !Number.isInteger(code) || code < 100 || code > 599)) throw new PatchbayError('INVALID_ARGUMENT', 'Retry-On must list HTTP status codes, e.g. "429,503".');
    config.retryOn = codes;
  }
  const base = c.req.header('base-url-override');
  if (base) config.baseUrlOverride = base;
  const decompress = c.req.header('decompress');
  if (decompress !== undefined && decompress !== '') config.decompress = decompress === 'true';
  // A body is there when the client says so: a length above 0, or a chunked one.
  const lengthHeader = c.req.header('content-length');
  const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
  const hasBody = declared !== undefined ? declared > 0 : c.req.header('transfer-encoding') !== undefined;
  let stream = false;
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.raw.body && hasBody) {
    if ((config.retries ?? 0) > 0 || config.retryOn) {
      // Sent again on a retry: read whole, within the body limit.
      const max = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      if (declared !== undefined && declared > max) throw tooLargeToRetry(max);
      const body = await readAtMost(c.req.raw.body, max);
      if (body.byteLength > 0) config.data = body;
    } else {
      const max = deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
      if (declared !== undefined && declared > max) throw bodyTooLarge(max);
      if (declared !== undefined && Number.isInteger(declared)) headers['content-length'] = String(declared);
      stream = true;
    }
  }
  return { config, stream };
}

/** `/proxy/*`, behind the API-key middleware and the body limit. */
export function proxy(deps: ProxyRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = requiredHeader(c, 'Connection-Id', 'the connection whose credentials the call uses');
    const integrationId = requiredHeader(c, 'Provider-Config-Key', 'the integration id');
    const scope = c.get('scope');
    assertMayUse(scope, integrationId, connectionId);
    if (scope.tools !== null) {
      throw new PatchbayError('FORBIDDEN', 'The proxy reaches the provider’s whole API; this key is limited to some tools. Use a key without --tools, or call an action (POST /action/trigger).');
    }
    const { config, stream } = await proxyConfig(c, deps);
    const integration = await deps.integrations(integrationId);
    const connection = await deps.connections.get(integrationId, connectionId);
    if (stream) {
      // Made last, once nothing else can refuse the request: the body is read only by the upload.
      // A client that hangs up mid-upload fails the upload (and the call), never the process:
      // pipeline carries the source's error to the stream the provider's request reads.
      const source = Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream<Uint8Array>);
      const upload = capped(deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
      pipeline(source, upload, () => {});
      config.data = upload;
    }
    const calls: HttpCallLog[] = [];
    const answer = await deps.http.forward(
      {
        integration,
        credentials: deps.credentials(integration, connection),
        connectionConfig: connection.connection_config,
        signal: c.req.raw.signal,
        onCall: (call) => {
          calls.push(call);
          deps.logger?.info({ integrationId, connectionId, ...call }, 'proxy call');
        },
      },
      config,
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) headers.set(name, value);
    // A streamed body goes as the provider encoded it (its content-encoding stands); a read one was decoded.
    if (answer.body instanceof Uint8Array) headers.set('content-length', String(answer.body.byteLength));
    const body = answer.body instanceof Uint8Array ? (answer.body.byteLength > 0 ? answer.body : null) : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>);
    return new Response(answer.status === 204 || answer.status === 304 ? null : body, { status: answer.status, headers });
  };
}

function tooLargeToRetry(maxBytes: number): PatchbayError {
  return new PatchbayError('PAYLOAD_TOO_LARGE', `With Retries or Retry-On the body is read whole so it can be sent again, and it exceeds ${maxBytes} bytes. Send it without Retries: it is then streamed to the provider as it arrives.`, {
    details: { reason: 'body_too_large', maxBytes },
  });
}

/** Reads a request body whole, failing past `maxBytes` without reading further. */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLargeToRetry(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Passes bytes through and fails the stream past `maxBytes` (the upload to the provider stops there). */
function capped(maxBytes: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength;
      if (size > maxBytes) done(bodyTooLarge(maxBytes));
      else done(null, chunk);
    },
  });
}
