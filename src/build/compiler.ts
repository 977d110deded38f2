/**
 * One project's compiler: discover → bundle → load definitions → validate → type-check → write.
 * `compileProject` uses it once; `dev` keeps one alive so esbuild and TypeScript rebuild
 * incrementally and unchanged bundles are not loaded again.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ProjectPaths } from '../config/paths.ts';
import { packageVersion } from '../config/version.ts';
import type { FunctionManifest, Manifest } from './manifest.ts';
import { Bundler, type BundleEntry } from './bundle.ts';
import { discover, FOLDER_OF, selectFunctions, type SourceFunction } from './discover.ts';
import { displayPath, hasErrors, type Diagnostic } from './diagnostics.ts';
import { BundleLoader, DEFAULT_LOAD_TIMEOUT_MS } from './load.ts';
import { BundleStaging, collectGarbage, readManifest, writeManifest } from './output.ts';
import { SDK_RUNTIME_URL } from './sdk.ts';
import { sourceHash } from './source-hash.ts';
import { findTsconfig, TypeChecker } from './typecheck.ts';
import { validateFunction } from './validate.ts';
import { INTEGRATION_FILE, loadIntegrationConfig } from '../providers/integration.ts';

/** How to compile; every field optional, the defaults suit `patchbay compile`. */
export interface CompileOptions {
  /** Type-check with TypeScript (default true). Type errors are errors. */
  typecheck?: boolean;
  /** Compile even when the sources are unchanged. */
  force?: boolean;
  /** Only these functions: `integration/name`, `name` or `integration`. */
  only?: string[];
  /** Per-file limit for loading a bundle's top level (default 10 s). */
  loadTimeoutMs?: number;
}

/** What a compile produced; callers print `diagnostics` and exit non-zero on errors. */
export interface CompileResult {
  /** What was written; when diagnostics hold errors, what compiled (nothing was written). */
  manifest: Manifest;
  diagnostics: Diagnostic[];
  /** True when the sources were unchanged and the manifest on disk was reused. */
  reused: boolean;
  /** Keys (`integration/name`) of functions whose bundle changed in this build. */
  changed: string[];
  /** Keys of functions the previous build had and this one has not (deleted or renamed files). */
  removed?: string[];
}

const UNCHECKED = ':unchecked';

/** The hash a build with these options records, and the hashes it may reuse. */
export function projectHash(paths: ProjectPaths, options: CompileOptions): { record: string; accept: string[] } {
  // Installed packages are bundled too: the lockfile (or package.json) of the project moves with them.
  const extra = [findTsconfig(paths.root, paths.integrationsDir) ?? '', path.join(paths.root, 'package.json'), path.join(paths.root, 'package-lock.json')];
  const only = [...(options.only ?? [])].sort().join(',');
  const base = sourceHash(paths.integrationsDir, extra, [packageVersion(), SDK_RUNTIME_URL, only]);
  const checked = options.typecheck !== false;
  return { record: checked ? base : base + UNCHECKED, accept: checked ? [base] : [base, base + UNCHECKED] };
}

/**
 * Compiles one project, keeping esbuild, TypeScript and the loading worker warm between calls.
 *
 * @example
 * const compiler = new Compiler(paths);
 * const { diagnostics, changed } = await compiler.compile({ typecheck: false });
 * await compiler.dispose();
 */
export class Compiler {
  readonly paths: ProjectPaths;
  readonly #bundler: Bundler;
  readonly #loader = new BundleLoader();
  #checker: TypeChecker | undefined;
  /** The tsconfig (path and mtime) the checker was made with; an edit makes a new checker. */
  #checkerConfig = '';
  #previous: Map<string, FunctionManifest> = new Map();

  constructor(paths: ProjectPaths) {
    this.paths = paths;
    this.#bundler = new Bundler(paths.root, path.join(paths.buildDir, 'out'));
  }

  /** Compiles the project; writes bundles and manifest only when there is no error. */
  async compile(options: CompileOptions = {}): Promise<CompileResult> {
    const { paths } = this;
    const found = discover(paths.root, paths.integrationsDir);
    const functions = selectFunctions(found.functions, options.only);
    const hash = projectHash(paths, options);
    // A partial build (`only`) has its own manifest, so it never replaces the full one a running
    // server reads.
    const manifestFile = manifestFileFor(paths, options.only);
    const onDisk = readManifest(manifestFile);
    if (!options.force && onDisk && hash.accept.includes(onDisk.sourceHash) && onDisk.integrationsDir === paths.integrationsDir) {
      return { manifest: onDisk, diagnostics: [], reused: true, changed: [] };
    }
    for (const fn of onDisk?.functions ?? []) if (!this.#previous.has(fn.bundle)) this.#previous.set(fn.bundle, fn);

    const diagnostics: Diagnostic[] = [...found.diagnostics, ...(await checkIntegrationConfigs(paths, functions))];
    const manifest: Manifest = {
      schemaVersion: 1,
      builtAt: new Date().toISOString(),
      sourceHash: hash.record,
      integrationsDir: paths.integrationsDir,
      integrations: found.integrations,
      functions: [],
    };
    const entries: BundleEntry[] = functions.map((fn) => ({ key: keyOf(fn), file: fn.file }));
    const bundled = await this.#bundler.build(entries);
    diagnostics.push(...bundled.diagnostics);
    if (hasErrors(bundled.diagnostics)) return { manifest, diagnostics, reused: false, changed: [] };

    const staging = new BundleStaging(paths.buildDir);
    try {
      const result = await this.#finish(options, functions, bundled.outputs, staging, manifest, diagnostics, manifestFile);
      const now = new Set(result.manifest.functions.map((fn) => `${fn.integrationId}/${fn.name}`));
      if (!hasErrors(result.diagnostics)) result.removed = (onDisk?.functions ?? []).map((fn) => `${fn.integrationId}/${fn.name}`).filter((key) => !now.has(key));
      return result;
    } finally {
      staging.discard();
    }
  }

  async #finish(
    options: CompileOptions,
    functions: SourceFunction[],
    outputs: Map<string, { code: Uint8Array; inputs: string[] }>,
    staging: BundleStaging,
    manifest: Manifest,
    diagnostics: Diagnostic[],
    manifestFile: string,
  ): Promise<CompileResult> {
    const { paths } = this;
    const changed: string[] = [];
    const toLoad: Array<{ fn: SourceFunction; bundle: string; loadFrom: string; inputs: string[] }> = [];
    const current = new Map<string, FunctionManifest>();
    for (const fn of functions) {
      const out = outputs.get(keyOf(fn));
      if (!out) continue;
      const { final: bundle, loadFrom } = staging.put(keyOf(fn), out.code);
      const known = this.#previous.get(bundle);
      if (known && known.source === fn.source) current.set(keyOf(fn), known);
      else {
        changed.push(`${fn.integrationId}/${fn.name}`);
        toLoad.push({ fn, bundle, loadFrom, inputs: out.inputs });
      }
    }
    const replies = await this.#loader.load(toLoad.map((t) => t.loadFrom), options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS);
    toLoad.forEach(({ fn, bundle, inputs }, i) => {
      const result = validateFunction(fn, displayPath(paths.root, fn.file), bundle, replies[i]!, inputs);
      diagnostics.push(...result.diagnostics);
      if (result.entry) current.set(keyOf(fn), result.entry);
    });
    manifest.functions = functions.flatMap((fn) => current.get(keyOf(fn)) ?? []);

    if (options.typecheck !== false && !hasErrors(diagnostics)) diagnostics.push(...this.typecheck(functions));
    if (hasErrors(diagnostics)) return { manifest, diagnostics, reused: false, changed };

    staging.promote();
    writeManifest(manifestFile, manifest);
    this.#previous = new Map(manifest.functions.map((fn) => [fn.bundle, fn]));
    collectGarbage(paths.buildDir);
    return { manifest, diagnostics, reused: false, changed };
  }

  /** Type-checks the given functions (default: all discovered); returns type errors. */
  typecheck(functions?: SourceFunction[]): Diagnostic[] {
    const files = (functions ?? discover(this.paths.root, this.paths.integrationsDir).functions).map((fn) => fn.file);
    const config = findTsconfig(this.paths.root, this.paths.integrationsDir);
    const configKey = config ? `${config}@${statSync(config).mtimeMs}` : '';
    if (!this.#checker || configKey !== this.#checkerConfig) {
      this.#checker = new TypeChecker(this.paths.root, this.paths.integrationsDir, this.paths.buildDir);
      this.#checkerConfig = configKey;
    }
    return this.#checker.check(files);
  }

  /** Starts the loading worker ahead of the first rebuild (`dev`). */
  warm(): void {
    this.#loader.warm();
  }

  /** Releases esbuild's incremental state and the loading worker. */
  async dispose(): Promise<void> {
    await this.#bundler.dispose();
    await this.#loader.close();
  }
}

/** The manifest file of a build: the project's, or one per `only` selection. */
export function manifestFileFor(paths: ProjectPaths, only: string[] | undefined): string {
  if (!only || only.length === 0) return paths.manifestFile;
  const key = createHash('sha256').update([...only].sort().join('\0')).digest('hex').slice(0, 12);
  return path.join(paths.buildDir, `manifest.only-${key}.json`);
}

function keyOf(fn: SourceFunction): string {
  return `${fn.integrationId}/${FOLDER_OF[fn.kind]}/${fn.name}`;
}

/**
 * Every integration.json the build's functions use, resolved as `serve` resolves it (catalog
 * provider, inline provider, `${ENV}`): its errors are build errors with the same message, so a
 * broken file fails `compile`, not the first tool call. What only the machine that runs the
 * functions supplies is left to it: an unset `${ENV}` (CI builds without secrets) and a missing
 * file for an id that is not a catalog key are not build errors (`serve` names them at first use).
 */
async function checkIntegrationConfigs(paths: ProjectPaths, functions: SourceFunction[]): Promise<Diagnostic[]> {
  const diagnostics: Diagnostic[] = [];
  for (const integrationId of new Set(functions.map((fn) => fn.integrationId))) {
    try {
      await loadIntegrationConfig(paths, integrationId);
    } catch (error) {
      const reason = (error as { details?: { reason?: string } }).details?.reason;
      if (reason === 'unset_variable' || reason === 'missing_file') continue;
      diagnostics.push({
        severity: 'error',
        code: 'bad-integration-config',
        message: (error as Error).message,
        file: displayPath(paths.root, path.join(paths.integrationsDir, integrationId, INTEGRATION_FILE)),
      });
    }
  }
  return diagnostics;
}
