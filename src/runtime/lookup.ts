/**
 * Finding a function in the manifest by integration and name, with errors that list the close
 * names (a typo in a tool call or a CLI argument should be one edit away from fixed).
 */
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import { PatchbayError } from '../errors.ts';

/**
 * The function `name` of `integrationId`; FUNCTION_NOT_FOUND (or INTEGRATION_NOT_FOUND) naming
 * the closest candidates otherwise.
 */
export function findFunction(manifest: Manifest, integrationId: string, name: string): FunctionManifest {
  const fn = manifest.functions.find((f) => f.integrationId === integrationId && f.name === name);
  if (fn) return fn;
  const inIntegration = manifest.functions.filter((f) => f.integrationId === integrationId);
  if (inIntegration.length === 0 && !manifest.integrations.some((i) => i.id === integrationId)) {
    const ids = closest(integrationId, manifest.integrations.map((i) => i.id));
    throw new PatchbayError('INTEGRATION_NOT_FOUND', `No integration "${integrationId}".${suggest(ids)} Integrations live in ${manifest.integrationsDir}.`);
  }
  const names = closest(name, inIntegration.map((f) => f.name));
  throw new PatchbayError('FUNCTION_NOT_FOUND', `No function "${name}" in integration "${integrationId}".${suggest(names)}`);
}

/**
 * The function called `name` in whichever integration has it; asks for an integration when
 * several do. Accepts `integration/name` too.
 */
export function findFunctionByName(manifest: Manifest, name: string, integrationId?: string): FunctionManifest {
  if (integrationId) return findFunction(manifest, integrationId, name);
  const slash = name.indexOf('/');
  if (slash > 0) return findFunction(manifest, name.slice(0, slash), name.slice(slash + 1));
  const matches = manifest.functions.filter((f) => f.name === name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    const ids = matches.map((f) => f.integrationId).join(', ');
    throw new PatchbayError('INVALID_ARGUMENT', `Several integrations have a function "${name}" (${ids}). Pass --integration <id>.`);
  }
  const names = closest(name, manifest.functions.map((f) => `${f.integrationId}/${f.name}`).concat(manifest.functions.map((f) => f.name)));
  const hint = manifest.functions.length === 0 ? ` No functions were found in ${manifest.integrationsDir}.` : suggest([...new Set(names)]);
  throw new PatchbayError('FUNCTION_NOT_FOUND', `No function "${name}".${hint}`);
}

function suggest(names: string[]): string {
  return names.length > 0 ? ` Did you mean ${names.map((n) => `"${n}"`).join(', ')}?` : '';
}

/** Up to three candidates within a small edit distance or sharing a substring. */
export function closest(target: string, candidates: string[]): string[] {
  const t = target.toLowerCase();
  return candidates
    .map((c) => ({ c, d: distance(t, c.toLowerCase()) - (c.toLowerCase().includes(t) || t.includes(c.toLowerCase()) ? 3 : 0) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(target.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.c);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = next;
    }
  }
  return row[b.length]!;
}
