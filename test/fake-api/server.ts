/**
 * The fake third-party API: a real HTTP server on 127.0.0.1 (port 0) that tests talk to instead
 * of GitHub & co. It checks credentials, runs an OAuth2 server, serves paginated data and
 * misbehaves on demand. Each route file starts with the list of its endpoints:
 *
 *   oauth.ts      GET /oauth/authorize, POST /oauth/token (authorization_code + PKCE, refresh_token
 *                 with rotation, client_credentials); `state.oauth.{tokenFailure,tokenDelayMs,deny}`
 *   server.ts     /sink: any method; reads the body as it arrives without keeping it, answers
 *                 { bytes, sha256, contentLength, transferEncoding } (an upload's memory test)
 *   resources.ts  GET /me, GET/POST /issues, GET/PATCH/PUT/DELETE /issues/:id, /paged/{cursor,link,offset,pages}
 *                 (`state.pagedBody` makes /paged/* answer a raw body instead)
 *   faults.ts     /ratelimit/{retry-after,reset}, /flaky, /status/:code, /slow, /redirect, /echo, /raw, /reflect
 *
 * Credentials accepted by resources (defaults, see state.ts): `x-api-key: test-api-key` or
 * `?api_key=test-api-key`, `Authorization: Bearer test-bearer-token`, a live OAuth access token,
 * `Authorization: Basic test-user:test-pass`.
 *
 * @example
 * const api = await startFakeApi({ accessTokenTtl: 60 });
 * after(() => api.close());
 * const res = await fetch(`${api.url}/issues`, { headers: { 'x-api-key': 'test-api-key' } });
 * assert.equal(api.requests.at(-1)?.path, '/issues');
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { json, parseBody, type Route, type RouteContext } from './http.ts';
import { authorize, seedTokens, token } from './oauth.ts';
import { issues, me, paged } from './resources.ts';
import { bytes, echo, flaky, quota, rateLimit, raw, redirect, reflect, slow, status } from './faults.ts';
import { createState, type FakeApiOptions, type FakeApiState, type RecordedRequest } from './state.ts';

export type { FakeApiOptions, FakeApiState, RecordedRequest, TokenRequest, Issue } from './state.ts';

const ROUTES: Route[] = [authorize, token, me, issues, paged, rateLimit, quota, flaky, status, slow, redirect, echo, raw, reflect, bytes];

/** A running fake API. */
export interface FakeApi {
  /** Origin without trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  state: FakeApiState;
  /** Clears requests and puts the state back to how the options made it. */
  reset(): void;
  /** Issues a valid access + refresh token pair (optionally expiring in `ttlSeconds`) to seed a connection. */
  seedTokens(ttlSeconds?: number): { access_token: string; refresh_token: string; expires_in: number };
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Starts the fake API on 127.0.0.1 with an ephemeral port. */
export async function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const state = createState(options);
  const requests: RecordedRequest[] = [];
  let origin = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/sink') return sink(req, res, url, requests);
    const rawBody = await readBody(req);
    const headers = lowerHeaders(req);
    const body = parseBody(rawBody, headers['content-type']);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    };
    requests.push(record);
    const ctx: RouteContext = { req, res, url, body, rawBody, state, origin, record };
    for (const route of ROUTES) if (await route(ctx)) return;
    json(res, 404, { error: 'not_found', message: `No route for ${record.method} ${url.pathname}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'fake_api_crash', message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    requests,
    state,
    reset() {
      requests.length = 0;
      Object.assign(state, createState(options));
    },
    seedTokens(ttlSeconds) {
      return seedTokens(state, ttlSeconds);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** `/sink`: counts and hashes an upload chunk by chunk, never holding it (records the request without its body). */
async function sink(req: IncomingMessage, res: ServerResponse, url: URL, requests: RecordedRequest[]): Promise<void> {
  const headers = lowerHeaders(req);
  requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: undefined });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).byteLength;
    hash.update(chunk as Buffer);
  }
  json(res, 200, { bytes, sha256: hash.digest('hex'), contentLength: headers['content-length'] ?? null, transferEncoding: headers['transfer-encoding'] ?? null });
}
