/**
 * The HTTP API's router: a flat table of routes beside `/mcp`. Later features (records, proxy,
 * action trigger, webhooks, connect) add routes without touching the server: each exports a
 * `RouteDefinition[]` and `serve` mounts it. Matching is exact segments with `:name` parameters
 * and a trailing `*` wildcard — enough for a REST API, no regular expressions to audit.
 *
 * @example
 * const router = createRouter();
 * router.mount([{ method: 'GET', path: '/records/:model', handler: (req, res, ctx) => sendJson(res, 200, ctx.params) }]);
 * await router.handle(req, res, scope); // false when nothing matched
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiScope } from '../access/scope.ts';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** Everything a handler gets besides the raw request and response. */
export interface RouteContext {
  /** Values of `:name` segments (and `*` for the wildcard rest). */
  params: Record<string, string>;
  url: URL;
  /** The caller's scope after authentication (all-null for public routes and `--no-auth`). */
  scope: ApiScope;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => unknown;

/** One route. `public: true` skips the API-key check (OAuth callbacks, hosted connect pages). */
export interface RouteDefinition {
  method: HttpVerb | HttpVerb[];
  /** `/records/:model`, `/webhooks/:integration/*`. */
  path: string;
  handler: RouteHandler;
  public?: boolean;
}

/** A route matched to a request. */
export interface RouteMatch {
  route: RouteDefinition;
  params: Record<string, string>;
}

/** The router the HTTP server holds. */
export interface Router {
  mount(routes: RouteDefinition[]): void;
  /** The route for a method and path; `methodNotAllowed` when the path exists with other methods. */
  match(method: string, pathname: string): RouteMatch | { methodNotAllowed: HttpVerb[] } | undefined;
  routes(): readonly RouteDefinition[];
}

interface CompiledRoute {
  route: RouteDefinition;
  methods: HttpVerb[];
  segments: string[];
  wildcard: boolean;
}

function splitPath(pathname: string): string[] {
  return pathname.split('/').filter((segment) => segment.length > 0);
}

function compile(route: RouteDefinition): CompiledRoute {
  const segments = splitPath(route.path);
  const wildcard = segments.at(-1) === '*';
  if (wildcard) segments.pop();
  return { route, methods: Array.isArray(route.method) ? route.method : [route.method], segments, wildcard };
}

function matchSegments(compiled: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  if (compiled.wildcard ? parts.length < compiled.segments.length : parts.length !== compiled.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < compiled.segments.length; i++) {
    const expected = compiled.segments[i]!;
    const actual = parts[i]!;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) return undefined;
  }
  if (compiled.wildcard) params['*'] = parts.slice(compiled.segments.length).join('/');
  return params;
}

/** A new, empty router. Routes are tried in mount order; the first match wins. */
export function createRouter(): Router {
  const table: CompiledRoute[] = [];
  return {
    mount(routes) {
      for (const route of routes) table.push(compile(route));
    },
    match(method, pathname) {
      const parts = splitPath(pathname);
      const allowed: HttpVerb[] = [];
      const verb = (method === 'HEAD' ? 'GET' : method) as HttpVerb;
      for (const compiled of table) {
        const params = matchSegments(compiled, parts);
        if (!params) continue;
        if (compiled.methods.includes(method as HttpVerb) || compiled.methods.includes(verb)) return { route: compiled.route, params };
        allowed.push(...compiled.methods);
      }
      return allowed.length > 0 ? { methodNotAllowed: [...new Set(allowed)] } : undefined;
    },
    routes() {
      return table.map((compiled) => compiled.route);
    },
  };
}
