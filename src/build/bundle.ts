/**
 * The one esbuild path (compile, dev, dryrun and serve all come through here): each function
 * becomes one self-contained ESM bundle. `nango` / `patchbay` resolve to our SDK module and
 * `zod` to our zod, both kept external so brands, `instanceof` and `z.toJSONSchema` hold; node
 * builtins stay external; any other package is bundled from the user's folder.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as esbuild from 'esbuild';
import { displayPath, errorAt, type Diagnostic } from './diagnostics.ts';
import { resolveZod, SDK_RUNTIME_URL } from './sdk.ts';

/** One function to bundle: its output key and its source file. */
export interface BundleEntry {
  /** `<integration>/<folder>/<name>`: unique per function, also its output name. */
  key: string;
  file: string;
}

/** One bundle, in memory until the build succeeds. */
export interface BundleOutput {
  code: Uint8Array;
  /** Absolute paths of the user's files that went into the bundle (for the static scan). */
  inputs: string[];
}

/** Lets bundled CommonJS packages `require()` node builtins from an ES module. */
const BANNER = "import { createRequire as __patchbayCreateRequire } from 'node:module';\nconst require = __patchbayCreateRequire(import.meta.url);";

const sdkPlugin: esbuild.Plugin = {
  name: 'patchbay-sdk',
  setup(build) {
    build.onResolve({ filter: /^(nango|patchbay|@nangohq\/runner-sdk)$/ }, () => ({ path: SDK_RUNTIME_URL, external: true }));
    build.onResolve({ filter: /^zod(\/.*)?$/ }, (args) => {
      try {
        return { path: resolveZod(args.path), external: true };
      } catch {
        return { errors: [{ text: `Could not resolve "${args.path}" (patchbay ships zod 4; import from "zod")` }] };
      }
    });
  },
};

/**
 * A `require()` of a missing package from inside node_modules stays a runtime `require`, as Node
 * would leave it: packages guard optional peers that way (unzipper's `@aws-sdk/client-s3`), and
 * failing the whole build on them would make such a package unusable.
 */
const optionalRequirePlugin: esbuild.Plugin = {
  name: 'patchbay-optional-require',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'require-call' || (args.pluginData as { probe?: boolean } | undefined)?.probe) return undefined;
      if (!args.importer.split(path.sep).includes('node_modules')) return undefined;
      const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { probe: true } });
      return found.errors.length > 0 ? { path: args.path, external: true } : undefined;
    });
  },
};

/** The package name of a bare specifier (`@scope/pkg/sub` → `@scope/pkg`). */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The nearest folder with a package.json from `file` up to `root` (else root): where to npm install. */
function installFolder(root: string, file: string): string {
  let dir = path.dirname(file);
  while (dir.startsWith(root) && dir !== root) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return root;
}

/** Turns an esbuild message into our diagnostic, naming a missing package and what to do. */
function toDiagnostic(root: string, message: esbuild.Message): Diagnostic {
  const loc = message.location;
  const absFile = loc ? path.resolve(root, loc.file) : undefined;
  const file = absFile ? displayPath(root, absFile) : undefined;
  const line = loc?.line;
  const column = loc ? loc.column + 1 : undefined;
  const unresolved = /^Could not resolve "(.+)"$/.exec(message.text);
  if (unresolved) {
    const spec = unresolved[1]!;
    if (!spec.startsWith('.') && !spec.startsWith('/')) {
      const pkg = packageName(spec);
      const folder = displayPath(root, installFolder(root, absFile ?? root));
      return errorAt('missing-dependency', `cannot find package "${pkg}". Run \`npm install ${pkg}\` in ${folder === '.' ? 'the project folder' : folder}.`, file, line, column);
    }
    return errorAt('unresolved-import', `cannot resolve "${spec}": no such file. Check the path (relative to ${file ? path.posix.dirname(file) : 'this file'}).`, file, line, column);
  }
  return errorAt('syntax-error', message.text, file, line, column);
}

/**
 * Bundles many functions in one esbuild run. Holds an esbuild context so `dev` rebuilds
 * incrementally; call `dispose()` when done.
 */
export class Bundler {
  readonly #root: string;
  readonly #outdir: string;
  #context: esbuild.BuildContext<{ write: false; metafile: true }> | undefined;
  #entriesKey = '';

  constructor(root: string, outdir: string) {
    this.#root = root;
    this.#outdir = outdir;
  }

  /** Bundles every entry. On any error, returns diagnostics and no outputs. */
  async build(entries: BundleEntry[]): Promise<{ outputs: Map<string, BundleOutput>; diagnostics: Diagnostic[] }> {
    const outputs = new Map<string, BundleOutput>();
    if (entries.length === 0) return { outputs, diagnostics: [] };
    const key = JSON.stringify(entries);
    if (!this.#context || key !== this.#entriesKey) {
      await this.dispose();
      this.#entriesKey = key;
      // esbuild is loaded on the first build: a server reusing an unchanged build never needs it.
      const { context } = await import('esbuild');
      this.#context = await context({
        entryPoints: entries.map((e) => ({ in: e.file, out: e.key })),
        absWorkingDir: this.#root,
        outdir: this.#outdir,
        outExtension: { '.js': '.mjs' },
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        sourcemap: 'inline',
        sourcesContent: false,
        write: false,
        metafile: true,
        logLevel: 'silent',
        banner: { js: BANNER },
        plugins: [sdkPlugin, optionalRequirePlugin],
      });
    }
    let result: esbuild.BuildResult<{ write: false; metafile: true }>;
    try {
      result = await this.#context.rebuild();
    } catch (error) {
      const failure = error as esbuild.BuildFailure;
      if (!Array.isArray(failure.errors)) throw error;
      return { outputs, diagnostics: failure.errors.map((m) => toDiagnostic(this.#root, m)) };
    }
    for (const entry of entries) {
      const outPath = path.join(this.#outdir, `${entry.key}.mjs`);
      const file = result.outputFiles.find((f) => f.path === outPath);
      if (!file) continue;
      const meta = result.metafile.outputs[displayPath(this.#root, outPath)];
      const inputs = Object.keys(meta?.inputs ?? {})
        .filter((p) => !p.includes('node_modules/') && !p.includes(':'))
        .map((p) => path.resolve(this.#root, p));
      outputs.set(entry.key, { code: file.contents, inputs });
    }
    return { outputs, diagnostics: [] };
  }

  /** Releases esbuild's incremental state. */
  async dispose(): Promise<void> {
    const context = this.#context;
    this.#context = undefined;
    if (context) await context.dispose();
  }
}
