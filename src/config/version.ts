/**
 * patchbay's own version, from its package.json: what `--version`, `/health` and the MCP
 * server info report. Read once; a broken install reports 0.0.0 rather than failing to start.
 *
 * @example
 * packageVersion() // '0.1.0'
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in package.json (cached after the first read). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    cached = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
