/**
 * `nango.paginate(config)`: a pure async generator over pages, with Nango's strategies and
 * field names (cursor, link, offset). It only calls `request(config)` — the executor passes a
 * function that reaches the HTTP client over the worker's message channel — so it holds no
 * socket, no credential and no undici.
 *
 * Semantics follow Nango's runner: provider defaults are merged under the call's `paginate`;
 * pagination parameters go in the query for GET/DELETE and in the JSON body for POST/PUT/PATCH
 * (or as `in_body` says); cursor and offset stop on an empty page, link stops when there is no
 * next link (or it repeats); offset also stops on a page shorter than `limit`.
 */
import type { CursorPagination, LinkPagination, OffsetPagination, Pagination, ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';

type Request = (config: ProxyConfiguration) => Promise<ProxyResponse>;
type Params = Record<string, unknown>;

/** Reads `a.b[0].c` from a value (lodash `get` semantics for the paths Nango configs use). */
export function getPath(value: unknown, path: string): unknown {
  // lodash `get` reads a key that contains dots as is when the object has it ('@odata.nextLink').
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, path)) return (value as Record<string, unknown>)[path];
  let current: unknown = value;
  for (const key of path.replace(/\[(\w+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Expands `{ 'page.cursor': 'x' }` into `{ page: { cursor: 'x' } }` (Nango's body parameters). */
function expand(params: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Params;
    }
    node[parts.at(-1)!] = value;
  }
  return out;
}

function invalid(message: string): PatchbayError {
  return new PatchbayError('INVALID_ARGUMENT', `${message} (see the paginate option of proxy config, or proxy.paginate in integration.json).`);
}

/** Checks a merged pagination config has what its type needs. */
export function validatePagination(config: Partial<Pagination>): asserts config is Pagination {
  if (!config.type) throw invalid('Pagination needs a type: cursor, link or offset');
  if (config.type === 'cursor') {
    if (!config.cursor_name_in_request) throw invalid('Cursor pagination needs cursor_name_in_request');
    if (!config.cursor_path_in_response) throw invalid('Cursor pagination needs cursor_path_in_response');
    if (config.limit && !config.limit_name_in_request) throw invalid('Cursor pagination with a limit needs limit_name_in_request');
  } else if (config.type === 'link') {
    if (!config.link_rel_in_response_header && !config.link_path_in_response_body) {
      throw invalid('Link pagination needs link_rel_in_response_header or link_path_in_response_body');
    }
  } else if (config.type === 'offset') {
    if (!config.offset_name_in_request) throw invalid('Offset pagination needs offset_name_in_request');
  } else {
    throw invalid(`Pagination type "${String((config as { type: unknown }).type)}" is not supported; use cursor, link or offset`);
  }
}

/** Parses an RFC 8288 `Link` header into rel → URL. */
export function parseLinkHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>(.*)/.exec(part.trim());
    if (!match) continue;
    const rel = /rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '');
    for (const name of (rel?.[1] ?? '').trim().split(/\s+/)) if (name) out[name] = match[1]!;
  }
  return out;
}

function pageItems<T>(response: ProxyResponse, responsePath: string | undefined): T[] | undefined {
  return (responsePath ? getPath(response.data, responsePath) : response.data) as T[] | undefined;
}

/**
 * Yields each page's items.
 *
 * @example
 * for await (const page of paginate(request, { endpoint: '/issues', paginate: { type: 'cursor', cursor_path_in_response: 'next', cursor_name_in_request: 'cursor', response_path: 'items' } })) {
 *   await nango.batchSave(page, 'Issue');
 * }
 */
export async function* paginate<T = any>(request: Request, config: ProxyConfiguration, defaults?: Partial<Pagination>): AsyncGenerator<T[], undefined, void> {
  if (!defaults && !config.paginate?.type) {
    throw invalid('There is no pagination configuration for this integration or this call');
  }
  const pagination = { ...defaults, ...config.paginate } as Partial<Pagination>;
  validatePagination(pagination);
  const method = (config.method ?? 'GET').toLowerCase();
  const inBody = config.paginate?.in_body ?? defaults?.in_body ?? ['post', 'put', 'patch'].includes(method);
  const source = inBody ? config.data : config.params;
  const params: Params =
    typeof source === 'string' ? Object.fromEntries(new URLSearchParams(source)) : { ...((source as Params | undefined) ?? {}) };
  if (pagination.limit && pagination.limit_name_in_request) params[pagination.limit_name_in_request] = pagination.limit;
  const base: ProxyConfiguration = { ...config, method: (config.method ?? 'GET') as ProxyConfiguration['method'] };
  delete base.paginate;
  const withParams = (cfg: ProxyConfiguration): ProxyConfiguration =>
    inBody ? { ...cfg, data: expand(params) } : { ...cfg, params: { ...params } as ProxyConfiguration['params'] };

  if (pagination.type === 'cursor') yield* cursor<T>(request, base, pagination, params, withParams);
  else if (pagination.type === 'link') yield* link<T>(request, withParams(base), pagination);
  else yield* offset<T>(request, base, pagination, params, inBody, withParams);
  return undefined;
}

async function* cursor<T>(request: Request, base: ProxyConfiguration, p: CursorPagination, params: Params, withParams: (c: ProxyConfiguration) => ProxyConfiguration): AsyncGenerator<T[]> {
  let next: string | number | undefined;
  do {
    if (next !== undefined) params[p.cursor_name_in_request] = next;
    const response = await request(withParams(base));
    const items = pageItems<T>(response, p.response_path);
    if (!items || !items.length) return;
    yield items;
    const raw = getPath(response.data, p.cursor_path_in_response);
    next = typeof raw === 'string' ? raw.trim() || undefined : typeof raw === 'number' ? raw : undefined;
    if (p.on_page) await p.on_page({ nextPageParam: next, response });
  } while (next !== undefined);
}

async function* link<T>(request: Request, first: ProxyConfiguration, p: LinkPagination): AsyncGenerator<T[]> {
  let current = first;
  let previous: string | undefined;
  for (;;) {
    const response = await request(current);
    yield pageItems<T>(response, p.response_path) ?? [];
    let next: string | undefined;
    if (p.link_rel_in_response_header) next = parseLinkHeader(response.headers['link'])[p.link_rel_in_response_header];
    if (!next && p.link_path_in_response_body) {
      const value = getPath(response.data, p.link_path_in_response_body);
      next = typeof value === 'string' && value ? value : undefined;
    }
    if (p.on_page) await p.on_page({ nextPageParam: next, response });
    if (!next || next === previous) return;
    previous = next;
    current = { ...current };
    delete current.params;
    if (URL.canParse(next)) {
      const url = new URL(next);
      current.baseUrlOverride = url.origin;
      current.endpoint = url.pathname + url.search;
    } else {
      current.endpoint = next;
    }
  }
}

async function* offset<T>(
  request: Request,
  base: ProxyConfiguration,
  p: OffsetPagination,
  params: Params,
  inBody: boolean,
  withParams: (c: ProxyConfiguration) => ProxyConfiguration,
): AsyncGenerator<T[]> {
  const perPage = p.offset_calculation_method === 'per-page';
  let position = p.offset_start_value ?? 0;
  for (;;) {
    params[p.offset_name_in_request] = inBody ? position : String(position);
    const response = await request(withParams(base));
    const items = pageItems<T>(response, p.response_path);
    if (!items || !items.length) return;
    yield items;
    if (p.limit && items.length < Number(p.limit)) return;
    if (p.on_page) await p.on_page({ nextPageParam: position, response });
    position = perPage ? position + 1 : position + items.length;
  }
}
