/**
 * The fake API's failure injection (no credentials needed). Counters are keyed by `key` so each
 * test owns its own sequence on a shared server:
 *   /ratelimit/retry-after?key=&times=1&seconds=1[&date=1]  429 (or `status`) + Retry-After (seconds or HTTP-date) `times` times, then 200
 *   /ratelimit/reset?key=&times=1&seconds=1                 429 + x-ratelimit-reset (epoch s) + x-ratelimit-remaining: 0
 *   /flaky?key=&fail=2&status=503                            `fail` × `status`, then 200 { ok, attempts }
 *   /quota?key=&per_second=10&ref=[&reset=1]                a real rate limit: at most `per_second` answers per second per `key`
 *                                                            (201 { ref, created }, `created` = times `ref` was created), 429 +
 *                                                            Retry-After past it; `state.hits` counts `quota:<key>:<ref>` creations
 *   /status/:code                                            always answers `code` with a JSON error body
 *   /slow?ms=1000                                            answers after `ms`; counts clients that hang up first
 *   /redirect?to=<url>&status=302                            redirects anywhere (another origin too)
 *   /echo[?status=400&gzip=1]                                any method: returns { method, path, query, headers, body } (with `status`, gzip-encoded)
 *   /raw?status=200&type=application/json&body=<text>        answers `status` with `body` as is under Content-Type `type` (a provider's broken answer)
 *   /bytes?mb=100                                            streams `mb` MB of octets in 64 KB chunks (a big download; never held in memory)
 *   /reflect?echo=authorization[&status=401&pad=0&type=text]  a careless provider's error: `pad` dots, then `name: value` of each
 *                                                            listed request header (`query:<name>` for a query parameter), as
 *                                                            text/plain or as JSON { error, detail }
 */
import { gzipSync } from 'node:zlib';
import { intParam, json, text, type Route } from './http.ts';
import { hit } from './state.ts';

export const rateLimit: Route = (ctx) => {
  const { url, res, state } = ctx;
  if (!url.pathname.startsWith('/ratelimit/')) return false;
  const key = `${url.pathname}:${url.searchParams.get('key') ?? ''}`;
  const n = hit(state, key);
  const times = intParam(url, 'times', 1);
  const seconds = intParam(url, 'seconds', 1);
  if (n > times) return json(res, 200, { ok: true, attempts: n }), true;
  if (url.pathname === '/ratelimit/retry-after') {
    const value = url.searchParams.get('date') === '1' ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds);
    return json(res, intParam(url, 'status', 429), { error: 'rate_limited' }, { 'retry-after': value }), true;
  }
  if (url.pathname === '/ratelimit/reset') {
    const reset = String(Math.ceil(Date.now() / 1000 + seconds));
    return json(res, 429, { error: 'rate_limited' }, { 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }), true;
  }
  return false;
};

/** Fixed one-second windows per key: what `/quota` has answered in the current second. */
const windows = new Map<string, { second: number; used: number }>();

export const quota: Route = (ctx) => {
  const { url, res, state } = ctx;
  if (url.pathname !== '/quota') return false;
  const key = url.searchParams.get('key') ?? '';
  const second = Math.floor(Date.now() / 1000);
  let window = windows.get(key);
  if (!window || window.second !== second) windows.set(key, (window = { second, used: 0 }));
  if (window.used >= intParam(url, 'per_second', 10)) {
    hit(state, `quota-429:${key}`);
    // `reset=1`: the reset time (epoch seconds, as GitHub sends it) instead of Retry-After.
    const wait = url.searchParams.get('reset') === '1' ? { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(second + 1) } : { 'retry-after': '1' };
    return json(res, 429, { error: 'rate_limited' }, wait), true;
  }
  window.used++;
  const ref = url.searchParams.get('ref') ?? '';
  return json(res, 201, { ref, created: hit(state, `quota:${key}:${ref}`) }), true;
};

export const flaky: Route = (ctx) => {
  const { url, res, state } = ctx;
  if (url.pathname !== '/flaky') return false;
  const n = hit(state, `flaky:${url.searchParams.get('key') ?? ''}`);
  if (n <= intParam(url, 'fail', 2)) {
    return json(res, intParam(url, 'status', 503), { error: 'unavailable', attempt: n }), true;
  }
  json(res, ctx.req.method === 'POST' ? 201 : 200, { ok: true, attempts: n });
  return true;
};

export const status: Route = (ctx) => {
  const match = /^\/status\/(\d{3})$/.exec(ctx.url.pathname);
  if (!match) return false;
  const code = Number(match[1]);
  hit(ctx.state, `status:${code}:${ctx.url.searchParams.get('key') ?? ''}`);
  json(ctx.res, code, { error: `status ${code}`, message: `The fake API answered ${code} as asked` });
  return true;
};

export const slow: Route = (ctx) => {
  if (ctx.url.pathname !== '/slow') return false;
  const { res, state } = ctx;
  const ms = intParam(ctx.url, 'ms', 1000);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      json(res, 200, { ok: true, waited: ms });
      resolve(true);
    }, ms);
    res.on('close', () => {
      if (!res.writableEnded) {
        clearTimeout(timer);
        state.closedEarly += 1;
        resolve(true);
      }
    });
  });
};

export const redirect: Route = (ctx) => {
  if (ctx.url.pathname !== '/redirect') return false;
  const to = ctx.url.searchParams.get('to') ?? '/echo';
  ctx.res.writeHead(intParam(ctx.url, 'status', 302), { location: to });
  ctx.res.end();
  return true;
};

export const reflect: Route = (ctx) => {
  if (ctx.url.pathname !== '/reflect') return false;
  const { url, record } = ctx;
  const echoed = (url.searchParams.get('echo') ?? 'authorization').split(',').map((name) => {
    const value = name.startsWith('query:') ? record.query[name.slice(6)] : record.headers[name.toLowerCase()];
    return `${name}: ${value ?? '(none)'}`;
  });
  const detail = `${'.'.repeat(intParam(url, 'pad', 0))}${echoed.join('; ')}`;
  const code = intParam(url, 'status', 401);
  if (url.searchParams.get('type') === 'text') return text(ctx.res, code, detail), true;
  return json(ctx.res, code, { error: 'invalid_credentials', detail }), true;
};

export const echo: Route = (ctx) => {
  if (ctx.url.pathname !== '/echo' && !ctx.url.pathname.startsWith('/echo/')) return false;
  const { method, path, query, headers, body } = ctx.record;
  const status = intParam(ctx.url, 'status', 200);
  if (ctx.url.searchParams.get('gzip') !== '1') return json(ctx.res, status, { method, path, query, headers, body }), true;
  const zipped = gzipSync(JSON.stringify({ method, path, query, headers, body }));
  ctx.res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.byteLength });
  ctx.res.end(zipped);
  return true;
};

export const raw: Route = (ctx) => {
  if (ctx.url.pathname !== '/raw') return false;
  const body = ctx.url.searchParams.get('body') ?? '';
  const headers: Record<string, string> = { 'content-length': String(Buffer.byteLength(body)) };
  const type = ctx.url.searchParams.get('type');
  if (type) headers['content-type'] = type;
  ctx.res.writeHead(intParam(ctx.url, 'status', 200), headers);
  ctx.res.end(body);
  return true;
};

export const bytes: Route = async (ctx) => {
  if (ctx.url.pathname !== '/bytes') return false;
  const total = intParam(ctx.url, 'mb', 1) * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    const piece = total - sent < chunk.byteLength ? chunk.subarray(0, total - sent) : chunk;
    if (!ctx.res.write(piece)) await new Promise<void>((resolve) => ctx.res.once('drain', resolve));
    if (ctx.res.destroyed) return true;
  }
  ctx.res.end();
  return true;
};
