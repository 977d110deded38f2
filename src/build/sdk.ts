/**
 * Where patchbay's own SDK and zod live, seen from the running patchbay (source or dist).
 *
 * User bundles import `nango` / `patchbay` / `zod`; the bundler points those imports at THIS
 * copy (kept external) so `instanceof`, brands and `z.toJSONSchema` work across the boundary,
 * and the type-checker maps them to the same files so Nango code type-checks unmodified.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** True when patchbay runs from `src/*.ts` (tests, development), false from `dist/*.js`. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

const EXT = FROM_SOURCE ? '.ts' : '.js';

/** The package root (the folder holding package.json, integrations/github (the init example), src/ or dist/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of the SDK module bundles import at run time (src/index.ts or dist/index.js). */
export const SDK_RUNTIME_FILE = fileURLToPath(new URL(`../index${EXT}`, import.meta.url));

/** Absolute path of the SDK's types, for the type-checker and `init`'s tsconfig paths. */
export const SDK_TYPES_FILE = FROM_SOURCE ? SDK_RUNTIME_FILE : fileURLToPath(new URL('../index.d.ts', import.meta.url));

/** The folder holding our source (src/ or dist/); diagnostics inside it are not the user's. */
export const SDK_SOURCE_DIR = path.dirname(SDK_RUNTIME_FILE);

/** file:// URL of the SDK module, as written into bundles. */
export const SDK_RUNTIME_URL = pathToFileURL(SDK_RUNTIME_FILE).href;

/** Resolves `zod` or a zod subpath (`zod/v4`) to our copy's file:// URL; throws when absent. */
export function resolveZod(specifier: string): string {
  return import.meta.resolve(specifier);
}

/** The folder of our zod package, for the type-checker's `paths`. */
export function zodPackageDir(): string {
  return path.dirname(fileURLToPath(resolveZod('zod')));
}

/** Our @types folder (holding @types/node), or undefined when it cannot be found. */
export function typesRoot(): string | undefined {
  try {
    return path.dirname(path.dirname(fileURLToPath(import.meta.resolve('@types/node/package.json'))));
  } catch {
    return undefined;
  }
}

/** The module file next to this one with the running extension (`load-worker.ts` / `.js`). */
export function siblingModule(base: string): URL {
  return new URL(`./${base}${EXT}`, import.meta.url);
}
