/**
 * Loads a function's bundle and returns its definition, caching per bundle path and mtime: a
 * rebuilt bundle (new mtime) is re-imported through a `?v=<mtime>` query on its file URL, since
 * ESM caches modules by URL for the life of the thread.
 */
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isDefinition } from '../define/create.ts';
import type { AnyDefinition } from '../define/types.ts';
import { PatchbayError } from '../errors.ts';

const cache = new Map<string, { version: number; definition: Promise<AnyDefinition> }>();
let imported = 0;

/** How many bundle versions this thread has imported (ESM never unloads them; workers recycle past a limit). */
export function importedCount(): number {
  return imported;
}

/**
 * The definition exported by `bundle` (its default export, or Nango's named `default` shape).
 *
 * @example
 * const definition = await loadDefinition('/p/.patchbay/build/github/actions/create-issue.mjs');
 */
export function loadDefinition(bundle: string): Promise<AnyDefinition> {
  // Bundle names carry a hash of their content (build/bundle.ts): a loaded one cannot go stale.
  const known = hashed(bundle) ? cache.get(bundle) : undefined;
  if (known) return known.definition;
  let version: number;
  try {
    version = statSync(bundle).mtimeMs;
  } catch {
    return Promise.reject(
      new PatchbayError('BUILD_NOT_FOUND', `The bundle ${bundle} is missing. Run \`patchbay compile\` (or restart patchbay) to rebuild it.`),
    );
  }
  const hit = cache.get(bundle);
  if (hit && hit.version === version) return hit.definition;
  imported++;
  const definition = importDefinition(bundle, version);
  cache.set(bundle, { version, definition });
  definition.catch(() => {
    if (cache.get(bundle)?.definition === definition) cache.delete(bundle);
  });
  return definition;
}

/** `name.<16 hex>.mjs`: the build's content-hashed bundle names. */
function hashed(bundle: string): boolean {
  return /\.[0-9a-f]{16}\.mjs$/.test(bundle);
}

async function importDefinition(bundle: string, version: number): Promise<AnyDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${pathToFileURL(bundle).href}?v=${version}`)) as Record<string, unknown>;
  } catch (error) {
    throw new PatchbayError('COMPILE_ERROR', `Loading ${bundle} failed: ${(error as Error).message}. Fix the function and run \`patchbay compile\`.`, {
      cause: error,
    });
  }
  const candidate = mod['default'] ?? Object.values(mod).find(isDefinition);
  if (!isDefinition(candidate)) {
    throw new PatchbayError(
      'COMPILE_ERROR',
      `${bundle} has no default export made with createAction, createSync or createOnEvent. Add \`export default createAction({...})\`.`,
    );
  }
  return candidate;
}
