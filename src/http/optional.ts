/**
 * Loads a sibling feature module that may not exist in this build (the sync scheduler, the
 * connect routes): `serve` mounts what is present and runs without the rest. The specifier
 * keeps the running file's extension so it works from source (.ts) and from dist (.js).
 *
 * @example
 * const scheduler = await optionalModule<{ startScheduler: Function }>(import.meta.url, '../sync/scheduler');
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The module at `relative` (no extension) from `base`, or undefined when the file is absent. */
export async function optionalModule<T>(base: string, relative: string): Promise<T | undefined> {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`${relative}${extension}`, base);
  if (!existsSync(fileURLToPath(url))) return undefined;
  return (await import(url.href)) as T;
}
