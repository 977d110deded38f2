/**
 * Access scope: what a caller may do. An API key carries one (its connection list and tool
 * globs); stdio and `--no-auth` carry the full scope. Every front end (MCP, HTTP routes, connect)
 * and, through the execution, every cross-connection call a function makes check it here, so a
 * scope means the same thing everywhere.
 *
 * @example
 * connectionAllowed({ keyId: 'k1', connections: ['github:alice'], tools: null }, 'github', 'bob') // false
 */

/**
 * What an API key may do. `null` lists mean "everything"; a key without scope is all-null.
 * Connections are written `integration:connection` or a bare `connection` (any integration).
 */
export interface ApiScope {
  /** The key's id, or null when the server runs with `--no-auth` (or over stdio). */
  keyId: string | null;
  keyName?: string;
  connections: string[] | null;
  tools: string[] | null;
}

/** An unrestricted scope: stdio, `--no-auth`, the CLI. */
export const FULL_SCOPE: ApiScope = Object.freeze({ keyId: null, connections: null, tools: null }) as ApiScope;

/** True when the scope restricts nothing. */
export function isFullScope(scope: ApiScope): boolean {
  return scope.connections === null && scope.tools === null;
}

/** True when the scope lets the caller use this connection. */
export function connectionAllowed(scope: ApiScope, integrationId: string, connectionId: string): boolean {
  if (scope.connections === null) return true;
  return scope.connections.includes(`${integrationId}:${connectionId}`) || scope.connections.includes(connectionId);
}

const matcherCache = new WeakMap<string[], (candidates: string[]) => boolean>();

/** True when the scope's tool globs match the tool name or its `integration/name` key. */
export function toolAllowed(scope: ApiScope, toolName: string, key: string): boolean {
  if (scope.tools === null) return true;
  let matcher = matcherCache.get(scope.tools);
  if (!matcher) {
    matcher = globMatcher(scope.tools);
    matcherCache.set(scope.tools, matcher);
  }
  return matcher([toolName, key]);
}

/**
 * Glob match for `--tools` and key scopes: `*` any run of characters, `?` one. Patterns match
 * a tool name (`github_*`) or a function key (`github/*`).
 */
export function globMatcher(patterns: string[]): (candidates: string[]) => boolean {
  const regexes = patterns
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern.length > 0)
    .map((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return (candidates) => regexes.some((regex) => candidates.some((candidate) => regex.test(candidate)));
}
