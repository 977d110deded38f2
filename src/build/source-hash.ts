/**
 * The source hash: paths and contents of every .ts/.js/.json file under the integrations folder
 * (following alias links, skipping node_modules), plus patchbay's version and the build options.
 * Equal hash, equal build: `ensureBuilt` reuses the manifest instead of compiling again.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

const HASHED = /\.(ts|mts|cts|js|mjs|cjs|json)$/;

function walk(dir: string, rel: string, seen: Set<string>, out: Array<[string, string]>): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  if (seen.has(real)) return;
  seen.add(real);
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      continue;
    }
    const relName = rel ? `${rel}/${name}` : name;
    if (stat.isDirectory()) walk(full, relName, new Set(seen), out);
    else if (stat.isFile() && HASHED.test(name)) out.push([relName, full]);
  }
}

/** Lists the hashed files as [relative path, absolute path], sorted. */
export function sourceFiles(integrationsDir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  walk(integrationsDir, '', new Set(), out);
  return out;
}

/**
 * Hashes the sources. `extraFiles` (the project tsconfig.json, for example) and `salt` (version,
 * SDK location, options) are mixed in so a change to any of them invalidates the build.
 */
export function sourceHash(integrationsDir: string, extraFiles: string[], salt: string[]): string {
  const hash = createHash('sha256');
  for (const s of salt) hash.update(`salt\0${s}\0`);
  for (const [rel, full] of sourceFiles(integrationsDir)) {
    hash.update(`file\0${rel}\0`);
    hash.update(readFileSync(full));
  }
  for (const file of extraFiles) {
    try {
      const content = readFileSync(file);
      hash.update(`extra\0${file}\0`);
      hash.update(content);
    } catch {
      // absent: nothing to mix in
    }
  }
  return hash.digest('hex');
}
