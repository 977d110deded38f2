/**
 * Small helpers shared by the fake API's route files: the per-request context, JSON replies and
 * credential checks. Kept apart so each route file reads as a list of endpoints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthKind, FakeApiState, RecordedRequest } from './state.ts';

/** What a route handler receives. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Parsed JSON body, a form body as an object, the raw text otherwise ('' when empty). */
  body: unknown;
  rawBody: string;
  state: FakeApiState;
  /** This server's origin, e.g. http://127.0.0.1:41234. */
  origin: string;
  record: RecordedRequest;
}

/** A route: returns true when it handled the request. */
export type Route = (ctx: RouteContext) => boolean | Promise<boolean>;

/** Sends a JSON body with `status` and extra headers. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends a plain text body. */
export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Parses a request body by its content type. */
export function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return '';
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  return raw;
}

/**
 * Which credential the request carries, if a valid one: API key (header or query), the static
 * bearer token, an unexpired OAuth access token, or basic credentials.
 */
export function authenticate(ctx: RouteContext): AuthKind | null {
  const { state, req, url } = ctx;
  const o = state.options;
  if (req.headers['x-api-key'] === o.apiKey || url.searchParams.get('api_key') === o.apiKey) return 'api_key';
  const authz = req.headers.authorization ?? '';
  const [scheme, value = ''] = authz.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') {
    if (value === o.bearerToken) return 'bearer';
    const expiry = state.accessTokens.get(value);
    if (expiry !== undefined && expiry > Date.now()) return 'oauth';
  }
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    if (decoded === `${o.basic.username}:${o.basic.password}`) return 'basic';
  }
  return null;
}

/** Authenticates or answers 401; returns whether the handler may go on. */
export function requireAuth(ctx: RouteContext): boolean {
  const auth = authenticate(ctx);
  ctx.record.auth = auth;
  if (auth) return true;
  json(ctx.res, 401, { error: 'unauthorized', message: 'Missing or invalid credentials' }, { 'www-authenticate': 'Bearer' });
  return false;
}

/** An integer query parameter with a default. */
export function intParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  const n = raw === null || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) ? n : fallback;
}
