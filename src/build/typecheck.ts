/**
 * Type-checks the user's functions with the TypeScript compiler API, incrementally: the builder
 * program stays in memory between `dev` rebuilds and its state is saved as tsbuildinfo in the
 * build folder between runs. `nango` and `patchbay` map to our SDK's types and `zod` to our zod,
 * so Nango files type-check unmodified. The user's tsconfig.json (integrations folder first,
 * then the project root) supplies strictness; module settings are ours (esbuild bundles).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as ts from 'typescript';
import { displayPath, type Diagnostic } from './diagnostics.ts';
import { PACKAGE_ROOT, SDK_SOURCE_DIR, SDK_TYPES_FILE, typesRoot, zodPackageDir } from './sdk.ts';

/** TypeScript loads on first use (~200 ms): `serve` with a warm build never needs it. */
const requireFromHere = createRequire(import.meta.url);
let loaded: typeof ts | undefined;
function lib(): typeof ts {
  return (loaded ??= requireFromHere('typescript') as typeof ts);
}

/** Options removed or deprecated in TypeScript 6 that older (Nango) tsconfigs still carry. */
const DROPPED = ['importsNotUsedAsValues', 'preserveValueImports', 'ignoreDeprecations', 'out', 'outFile', 'baseUrl', 'charset', 'keyofStringsOnly', 'suppressImplicitAnyIndexErrors', 'noStrictGenericChecks', 'downlevelIteration'];

const DEFAULTS = { strict: true, target: 'es2022', lib: ['es2023'], skipLibCheck: true, esModuleInterop: true };

/** The tsconfig.json that applies to the integrations: its own folder's, else the project root's. */
export function findTsconfig(root: string, integrationsDir: string): string | undefined {
  return [path.join(integrationsDir, 'tsconfig.json'), path.join(root, 'tsconfig.json')].find((f) => existsSync(f));
}

function compilerOptions(root: string, integrationsDir: string, buildDir: string): ts.CompilerOptions {
  const configFile = findTsconfig(root, integrationsDir);
  let options: ts.CompilerOptions;
  if (configFile) {
    const read = lib().readConfigFile(configFile, lib().sys.readFile);
    const raw = (read.config ?? {}) as { compilerOptions?: Record<string, unknown> };
    const json = { ...(raw.compilerOptions ?? {}) };
    for (const key of DROPPED) delete json[key];
    const parsed = lib().parseJsonConfigFileContent({ ...raw, compilerOptions: json, files: [], include: [] }, lib().sys, path.dirname(configFile));
    options = parsed.options;
  } else {
    options = lib().convertCompilerOptionsFromJson(DEFAULTS, root).options;
  }
  const zodDir = zodPackageDir();
  const types = typesRoot();
  const forced: ts.CompilerOptions = {
    noEmit: true,
    incremental: true,
    tsBuildInfoFile: path.join(buildDir, 'typecheck.tsbuildinfo'),
    module: lib().ModuleKind.ESNext,
    moduleResolution: lib().ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    isolatedModules: false,
    composite: false,
    declaration: false,
    declarationMap: false,
    emitDeclarationOnly: false,
    sourceMap: false,
    paths: {
      ...(options.paths ?? {}),
      nango: [SDK_TYPES_FILE],
      patchbay: [SDK_TYPES_FILE],
      // A few Nango functions import their types from Nango's runner package.
      '@nangohq/runner-sdk': [SDK_TYPES_FILE],
      zod: [path.join(zodDir, 'index.d.cts')],
      'zod/*': [path.join(zodDir, '*')],
    },
  };
  if (!options.types && types) {
    forced.types = ['node'];
    forced.typeRoots = [...new Set([path.join(root, 'node_modules', '@types'), types])];
  }
  if (!options.lib) forced.lib = lib().convertCompilerOptionsFromJson({ lib: DEFAULTS.lib }, root).options.lib!;
  const merged: ts.CompilerOptions = { ...options, ...forced };
  for (const key of ['outDir', 'rootDir', 'declarationDir', 'baseUrl', 'configFilePath', 'rootDirs'] as const) delete merged[key];
  return merged;
}

function isUserFile(fileName: string): boolean {
  const file = path.resolve(fileName);
  return !file.includes(`${path.sep}node_modules${path.sep}`) && !file.startsWith(SDK_SOURCE_DIR + path.sep) && !file.startsWith(PACKAGE_ROOT + 'src' + path.sep);
}

/**
 * Parsed files (lib.d.ts, @types/node, zod's types), shared by every checker in the process the
 * way TypeScript's DocumentRegistry shares them: keyed by path and parse options, re-read when the
 * file's mtime moves. A second project in one process (tests, a server) skips most parsing.
 */
const PARSED = new Map<string, { mtime: number; file: ts.SourceFile | undefined }>();

/** A compiler host that reads through PARSED. */
function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = lib().createIncrementalCompilerHost(options, lib().sys);
  const cache = PARSED;
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    let mtime = -1;
    try {
      mtime = statSync(fileName).mtimeMs;
    } catch {
      // missing files are not cached
    }
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    const hit = cache.get(key);
    if (hit && mtime !== -1 && hit.mtime === mtime) return hit.file;
    const file = original(fileName, languageVersion, onError, shouldCreate);
    if (mtime !== -1) cache.set(key, { mtime, file });
    return file;
  };
  return host;
}

/** An incremental type-checker for one project; `check` again after edits is cheap. */
export class TypeChecker {
  readonly #root: string;
  readonly #options: ts.CompilerOptions;
  readonly #host: ts.CompilerHost;
  #program: ts.EmitAndSemanticDiagnosticsBuilderProgram | undefined;

  constructor(root: string, integrationsDir: string, buildDir: string) {
    this.#root = root;
    this.#options = compilerOptions(root, integrationsDir, buildDir);
    this.#host = cachingHost(this.#options);
  }

  /** The state a previous run saved; none when absent or unreadable (it is only a cache). */
  #readSaved(): ts.EmitAndSemanticDiagnosticsBuilderProgram | undefined {
    try {
      return lib().readBuilderProgram(this.#options, this.#host) as ts.EmitAndSemanticDiagnosticsBuilderProgram | undefined;
    } catch {
      return undefined;
    }
  }

  /** Checks `files` (and what they import); returns diagnostics in the user's files only. */
  check(files: string[]): Diagnostic[] {
    const old = this.#program ?? this.#readSaved();
    this.#program = lib().createEmitAndSemanticDiagnosticsBuilderProgram(files, this.#options, this.#host, old);
    const program = this.#program;
    const found = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
    try {
      program.emit();
    } catch {
      // tsbuildinfo is a cache: failing to write it only costs time next run
    }
    const out: Diagnostic[] = [];
    for (const d of found) {
      if (!d.file || !isUserFile(d.file.fileName)) continue;
      if (d.category !== lib().DiagnosticCategory.Error) continue;
      // "Unused @ts-expect-error": Nango functions silence gaps in Nango's types that ours fill
      // (updateMetadata on actions); a directive with nothing to silence is harmless.
      if (d.code === 2578) continue;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      out.push({
        severity: 'error',
        code: `TS${d.code}`,
        message: lib().flattenDiagnosticMessageText(d.messageText, '\n  '),
        file: displayPath(this.#root, d.file.fileName),
        line: line + 1,
        column: character + 1,
      });
    }
    return out;
  }
}
