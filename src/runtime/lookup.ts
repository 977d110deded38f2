/**
 * Finding a function in the manifest by integration and name, with errors that list the close
 * names (a typo in a tool call or a CLI argument should be one edit away from fixed).
 */
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import { closest } from '../config/similar.ts';
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
  const hint = manifest.functions.length === 0 ? ` No functions were found in ${manifest.integrationsDir}.` : suggest(names);
  throw new PatchbayError('FUNCTION_NOT_FOUND', `No function "${name}".${hint}`);
}

function suggest(names: string[]): string {
  return names.length > 0 ? ` Did you mean ${names.map((n) => `"${n}"`).join(', ')}?` : '';
}
