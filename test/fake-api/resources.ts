/**
 * The fake API's data endpoints (all need credentials): `/me`, CRUD on `/issues`, and the
 * paginated list `state.pagedItems` in the styles real providers use:
 *   GET|POST /paged/cursor?cursor=&limit=   → { items, next_cursor }   (POST reads cursor/limit from the JSON body)
 *   GET /paged/link?page=&per_page=         → { items, links: { next } } + `Link: <…>; rel="next"` (`relative=1`: path-only links)
 *   GET /paged/offset?offset=&limit=        → { items }                 (offset counts items)
 *   GET /paged/pages?page=&per_page=        → { items }                 (page numbers from 1)
 * With `state.pagedBody` set, every /paged/* request answers 200 with that raw body instead.
 */
import { intParam, json, requireAuth, type Route, type RouteContext } from './http.ts';

const DEFAULT_LIMIT = 10;

export const me: Route = (ctx) => {
  if (ctx.url.pathname !== '/me') return false;
  if (!requireAuth(ctx)) return true;
  json(ctx.res, 200, { id: 'user-1', login: 'octo', authenticated_by: ctx.record.auth });
  return true;
};

export const issues: Route = (ctx) => {
  const match = /^\/issues(?:\/([^/]+))?$/.exec(ctx.url.pathname);
  if (!match) return false;
  if (!requireAuth(ctx)) return true;
  const { state, res } = ctx;
  const id = match[1];
  const method = ctx.req.method ?? 'GET';
  const input = typeof ctx.body === 'object' && ctx.body !== null ? (ctx.body as Record<string, unknown>) : {};
  if (id === undefined) {
    if (method === 'GET') return json(res, 200, [...state.issues.values()]), true;
    if (method === 'POST') {
      if (typeof input['title'] !== 'string' || input['title'] === '') {
        return json(res, 422, { error: 'validation_failed', message: 'title is required' }), true;
      }
      const issue = { id: String(state.nextIssueId++), title: input['title'], state: 'open' as const, updated_at: new Date().toISOString() };
      state.issues.set(issue.id, issue);
      return json(res, 201, issue), true;
    }
    return json(res, 405, { error: 'method_not_allowed' }), true;
  }
  const issue = state.issues.get(id);
  if (!issue) return json(res, 404, { error: 'not_found', message: `Issue ${id} not found` }), true;
  if (method === 'GET') return json(res, 200, issue), true;
  if (method === 'PATCH' || method === 'PUT') {
    const next = { ...issue, ...input, id, updated_at: new Date().toISOString() };
    state.issues.set(id, next as typeof issue);
    return json(res, 200, next), true;
  }
  if (method === 'DELETE') {
    state.issues.delete(id);
    res.writeHead(204).end();
    return true;
  }
  json(res, 405, { error: 'method_not_allowed' });
  return true;
};

/** Reads a paging parameter from the query, or from the JSON body of a POST. */
function param(ctx: RouteContext, name: string): string | undefined {
  if (ctx.req.method === 'POST' && typeof ctx.body === 'object' && ctx.body !== null) {
    const v = (ctx.body as Record<string, unknown>)[name];
    return v === undefined || v === null ? undefined : String(v);
  }
  return ctx.url.searchParams.get(name) ?? undefined;
}

export const paged: Route = (ctx) => {
  if (!ctx.url.pathname.startsWith('/paged/')) return false;
  if (!requireAuth(ctx)) return true;
  if (ctx.state.pagedGate) {
    void ctx.state.pagedGate.then(() => answerPaged(ctx));
    return true;
  }
  answerPaged(ctx);
  return true;
};

function answerPaged(ctx: RouteContext): boolean {
  const { state, res, url } = ctx;
  if (state.pagedBody) {
    res.writeHead(200, { 'content-type': state.pagedBody.contentType, 'content-length': Buffer.byteLength(state.pagedBody.body) });
    res.end(state.pagedBody.body);
    return true;
  }
  const all = state.pagedItems;
  const style = url.pathname.slice('/paged/'.length);
  if (style === 'cursor') {
    const limit = Number(param(ctx, 'limit') ?? DEFAULT_LIMIT);
    const cursor = param(ctx, 'cursor');
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8').replace('pos:', '')) : 0;
    const items = all.slice(start, start + limit);
    const end = start + items.length;
    const next_cursor = end < all.length ? Buffer.from(`pos:${end}`).toString('base64url') : null;
    return json(res, 200, { items, next_cursor }), true;
  }
  if (style === 'link') {
    const perPage = intParam(url, 'per_page', DEFAULT_LIMIT);
    const page = intParam(url, 'page', 1);
    const items = all.slice((page - 1) * perPage, page * perPage);
    let next: string | null = null;
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const nextUrl = new URL(url.pathname, ctx.origin);
      for (const [k, v] of url.searchParams) if (k !== 'page') nextUrl.searchParams.set(k, v);
      nextUrl.searchParams.set('page', String(page + 1));
      next = url.searchParams.get('relative') === '1' ? nextUrl.pathname + nextUrl.search : nextUrl.toString();
      headers['link'] = `<${next}>; rel="next", <${new URL('/paged/link?page=1', ctx.origin)}>; rel="first"`;
    }
    return json(res, 200, { items, links: { next } }, headers), true;
  }
  if (style === 'offset') {
    const offset = intParam(url, 'offset', 0);
    const limit = intParam(url, 'limit', DEFAULT_LIMIT);
    return json(res, 200, { items: all.slice(offset, offset + limit) }), true;
  }
  if (style === 'pages') {
    const page = intParam(url, 'page', 1);
    const perPage = intParam(url, 'per_page', DEFAULT_LIMIT);
    return json(res, 200, { items: all.slice((page - 1) * perPage, page * perPage) }), true;
  }
  json(res, 404, { error: 'not_found', message: `No pagination style "${style}"` });
  return true;
}
