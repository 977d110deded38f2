/**
 * Tool names every mainstream MCP client accepts: `^[a-zA-Z0-9_-]{1,64}$`, unique, and the same
 * on every start so a client's allow-list and a model's memory stay valid. The name is
 * `<integration>_<action>` (`github_create-issue`); other characters become `-`; a name past 64
 * characters is cut and ends with a short hash of the full id, as does any name that would
 * collide with another after cleaning. Nothing depends on the order functions were found in.
 *
 * @example
 * toolNames([{ integrationId: 'github', name: 'create-issue' }]).get('github/create-issue') // 'github_create-issue'
 */
import { createHash } from 'node:crypto';

/** What clients accept (Claude, Cursor, OpenAI all agree on this). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_TOOL_NAME = 64;
const HASH_LENGTH = 8;

/** `integration/name`, the key a tool name maps back to. */
export function functionKey(integrationId: string, name: string): string {
  return `${integrationId}/${name}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

function clean(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]+/g, '-');
}

function withHash(base: string, key: string): string {
  const suffix = `_${shortHash(key)}`;
  return `${base.slice(0, MAX_TOOL_NAME - suffix.length)}${suffix}`;
}

/** The preferred name of one function's tool (before collision handling). */
export function baseToolName(integrationId: string, name: string): string {
  const base = `${clean(integrationId)}_${clean(name)}`;
  return base.length <= MAX_TOOL_NAME ? base : withHash(base, functionKey(integrationId, name));
}

/**
 * Names for a set of functions, keyed by `integration/name`. Reserved names (the catalog's
 * meta-tools) are treated as taken so an action never shadows one.
 */
export function toolNames(functions: Array<{ integrationId: string; name: string }>, reserved: Iterable<string> = []): Map<string, string> {
  const byBase = new Map<string, string[]>();
  for (const fn of functions) {
    const key = functionKey(fn.integrationId, fn.name);
    const base = baseToolName(fn.integrationId, fn.name);
    const keys = byBase.get(base) ?? [];
    if (!keys.includes(key)) keys.push(key);
    byBase.set(base, keys);
  }
  const taken = new Set(reserved);
  const names = new Map<string, string>();
  for (const [base, keys] of byBase) {
    const collides = keys.length > 1 || taken.has(base);
    for (const key of keys) names.set(key, collides ? withHash(base, key) : base);
  }
  return names;
}

