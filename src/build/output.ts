/**
 * Writes build output so a reader never sees half of it. New bundles go to a staging folder and
 * move into `bundles/<integration>/<folder>/<name>.<hash>.mjs` (content-addressed, so a new build
 * never touches a file the current manifest points at) only when the build succeeded; the
 * manifest is written last, by rename, and is the one switch from the old build to the new. A running server keeps
 * working on the old files until it reloads; old files are collected later.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest } from './manifest.ts';

/** Unreferenced bundles younger than this are kept (a concurrent compile may be about to use them). */
const GC_GRACE_MS = 5 * 60_000;

function writeAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * New bundles of one build, written to a private staging folder first and moved to their
 * content-addressed place only when the whole build succeeded (`promote`); a failed build
 * `discard`s them, so the bundles folder only ever holds files of successful builds.
 */
export class BundleStaging {
  readonly #buildDir: string;
  #dir: string | undefined;
  readonly #moves: Array<[string, string]> = [];

  constructor(buildDir: string) {
    this.#buildDir = buildDir;
  }

  /** Places one bundle: `final` is its path after promotion, `loadFrom` where it can be imported now. */
  put(key: string, code: Uint8Array): { final: string; loadFrom: string } {
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const name = `${key}.${hash}.mjs`;
    const final = path.join(this.#buildDir, 'bundles', name);
    if (existsSync(final)) {
      const now = new Date();
      utimesSync(final, now, now);
      return { final, loadFrom: final };
    }
    if (!this.#dir) {
      mkdirSync(this.#buildDir, { recursive: true });
      this.#dir = mkdtempSync(path.join(this.#buildDir, 'staging-'));
    }
    const staged = path.join(this.#dir, name);
    mkdirSync(path.dirname(staged), { recursive: true });
    writeFileSync(staged, code);
    this.#moves.push([staged, final]);
    return { final, loadFrom: staged };
  }

  /** Moves every staged bundle to its final place (one rename each). */
  promote(): void {
    for (const [staged, final] of this.#moves) {
      mkdirSync(path.dirname(final), { recursive: true });
      renameSync(staged, final);
    }
    this.#moves.length = 0;
    this.discard();
  }

  /** Removes the staging folder and whatever is left in it. */
  discard(): void {
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

/** The manifest on disk, or undefined when absent or unreadable. */
export function readManifest(manifestFile: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    return manifest.schemaVersion === 1 && Array.isArray(manifest.functions) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the manifest in one rename, keeping the previous one as manifest.previous.json. */
export function writeManifest(manifestFile: string, manifest: Manifest): void {
  if (existsSync(manifestFile)) {
    try {
      writeAtomic(manifestFile.replace(/\.json$/, '.previous.json'), readFileSync(manifestFile));
    } catch {
      // the previous manifest only protects its bundles from collection
    }
  }
  writeAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
}

function listBundles(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.endsWith('.mjs') || name.endsWith('.tmp')) out.push(full);
    else if (statSync(full).isDirectory()) listBundles(full, out);
  }
}

/** Deletes old bundles that no manifest in the build folder (current, previous, partial) references. */
export function collectGarbage(buildDir: string): void {
  const keep = new Set<string>();
  for (const name of readdirSync(buildDir)) {
    if (!/^manifest.*\.json$/.test(name)) continue;
    for (const fn of readManifest(path.join(buildDir, name))?.functions ?? []) keep.add(fn.bundle);
  }
  const files: string[] = [];
  listBundles(path.join(buildDir, 'bundles'), files);
  const now = Date.now();
  for (const name of readdirSync(buildDir)) {
    const dir = path.join(buildDir, name);
    try {
      if (name.startsWith('staging-') && now - statSync(dir).mtimeMs > GC_GRACE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another process cleaned it
    }
  }
  for (const file of files) {
    if (keep.has(file)) continue;
    try {
      if (now - statSync(file).mtimeMs > GC_GRACE_MS) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}
