/**
 * Writes build output so a reader never sees half of it. Bundles are content-addressed
 * (`bundles/<integration>/<folder>/<name>.<hash>.mjs`, each written to a temp file and renamed),
 * so a new build never touches a file the current manifest points at; the manifest is written
 * last, by rename, and is the one switch from the old build to the new. A running server keeps
 * working on the old files until it reloads; old files are collected later.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

/** Writes one bundle under its content hash; returns its absolute path. */
export function writeBundle(buildDir: string, key: string, code: Uint8Array): string {
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = path.join(buildDir, 'bundles', `${key}.${hash}.mjs`);
  if (existsSync(file)) {
    const now = new Date();
    utimesSync(file, now, now);
  } else writeAtomic(file, code);
  return file;
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

/** Deletes old bundles that neither the current nor the previous manifest references. */
export function collectGarbage(buildDir: string, manifestFile: string): void {
  const keep = new Set<string>();
  for (const file of [manifestFile, manifestFile.replace(/\.json$/, '.previous.json')]) {
    for (const fn of readManifest(file)?.functions ?? []) keep.add(fn.bundle);
  }
  const files: string[] = [];
  listBundles(path.join(buildDir, 'bundles'), files);
  const now = Date.now();
  for (const file of files) {
    if (keep.has(file)) continue;
    try {
      if (now - statSync(file).mtimeMs > GC_GRACE_MS) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}
