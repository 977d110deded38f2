/**
 * patchbay's own version, read from the package.json that ships next to `src/` or `dist/`.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The version in patchbay's package.json, read once per process. One reader for every place that
 * shows or hashes it (`--version`, the MCP server info, `/health`, the build's source hash), so
 * they cannot disagree. A package.json that cannot be read gives `0.0.0` instead of failing the
 * command that only wanted to print it.
 *
 * @example
 * program.version(packageVersion()); // '0.1.0'
 */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}
