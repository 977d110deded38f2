/**
 * MCP tool hints from what an action does on the wire. The build records which HTTP methods an
 * action's source uses (`httpMethods` in the manifest); a client uses the hints to decide what
 * to run without asking (read-only) and what to confirm (destructive). An action's own
 * `annotations` win field by field.
 *
 * | methods                       | readOnly | destructive | idempotent |
 * |-------------------------------|----------|-------------|------------|
 * | only GET/HEAD/OPTIONS         | true     | false       | true       |
 * | any DELETE                    | false    | true        | if no POST/PATCH |
 * | PUT and/or POST/PATCH         | false    | false       | only PUT   |
 *
 * `openWorldHint` is true: every action talks to a third-party API.
 *
 * @example
 * inferAnnotations(['GET']) // { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true }
 */
import type { ToolAnnotations } from '../define/types.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Hints from HTTP methods alone; unknown methods (none detected) leave read/write hints unset. */
export function inferAnnotations(httpMethods: string[] | undefined): ToolAnnotations {
  const methods = [...new Set((httpMethods ?? []).map((method) => method.toUpperCase()))];
  if (methods.length === 0) return { openWorldHint: true };
  const readOnly = methods.every((method) => SAFE.has(method));
  if (readOnly) return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
  return {
    readOnlyHint: false,
    destructiveHint: methods.includes('DELETE'),
    idempotentHint: methods.every((method) => IDEMPOTENT.has(method)),
    openWorldHint: true,
  };
}

/** Inferred hints overlaid with the definition's own (a defined field always wins). */
export function toolAnnotations(httpMethods: string[] | undefined, declared: ToolAnnotations | undefined): ToolAnnotations {
  const merged: ToolAnnotations = { ...inferAnnotations(httpMethods) };
  for (const [key, value] of Object.entries(declared ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** A readable title: the declared one, else `Create issue (github)` from `create-issue`. */
export function toolTitle(integrationId: string, name: string, declared?: string): string {
  if (declared) return declared;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s.]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
  const sentence = words.join(' ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)} (${integrationId})`;
}
