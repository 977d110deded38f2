/**
 * The build pipeline's public face. Every front end goes through here: `compile` and `dev`
 * call `compileProject`; dryrun, serve and test call `ensureBuilt`, which reuses the last build
 * when the sources are unchanged; readers of an existing build call `loadManifest`.
 *
 * @example
 * const manifest = await ensureBuilt(resolvePaths());
 * const fn = manifest.functions.find((f) => f.integrationId === 'github' && f.name === 'create-issue');
 */
import type { ProjectPaths } from '../config/paths.ts';
import { PatchbayError } from '../errors.ts';
import { Compiler, type CompileOptions, type CompileResult } from './compiler.ts';
import { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostics.ts';
import type { Manifest } from './manifest.ts';
import { readManifest } from './output.ts';

export type { CompileOptions, CompileResult } from './compiler.ts';
export { Compiler, manifestFileFor, projectHash } from './compiler.ts';
export type { Diagnostic, DiagnosticRule } from './diagnostics.ts';
export { formatDiagnostic, hasErrors } from './diagnostics.ts';
export { nextCronTime, parseFrequency, type Frequency } from './frequency.ts';
export type { FunctionManifest, IntegrationManifest, JsonSchema, Manifest } from './manifest.ts';

/**
 * Compiles every function (or `only` some): type-check, bundle, validate, write bundles and
 * manifest under `<PATCHBAY_HOME>/build/`. Unchanged sources reuse the manifest unless `force`.
 * Errors come back as diagnostics (and nothing is written); a missing integrations folder or an
 * unknown `only` name throws.
 */
export async function compileProject(paths: ProjectPaths, options: CompileOptions = {}): Promise<CompileResult> {
  const compiler = new Compiler(paths);
  try {
    return await compiler.compile(options);
  } finally {
    await compiler.dispose();
  }
}

/** The manifest of the last successful build; throws BUILD_NOT_FOUND when there is none. */
export async function loadManifest(paths: ProjectPaths): Promise<Manifest> {
  const manifest = readManifest(paths.manifestFile);
  if (!manifest) {
    throw new PatchbayError('BUILD_NOT_FOUND', `No build at ${paths.manifestFile}. Run \`patchbay compile\` first.`);
  }
  return manifest;
}

/** The error thrown for a failed build: a one-line summary, every diagnostic in `details`. */
export function compileError(diagnostics: Diagnostic[]): PatchbayError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const lines = errors.map(formatDiagnostic);
  return new PatchbayError(
    'COMPILE_ERROR',
    `Compilation failed with ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} and retry. First: ${lines[0] ?? 'unknown'}`,
    { details: lines.join('\n') },
  );
}

/**
 * The current build: compiled now when the sources changed since the last one, else reused.
 * Throws COMPILE_ERROR (diagnostics in `details`) when the sources do not compile.
 */
export async function ensureBuilt(paths: ProjectPaths, options: Omit<CompileOptions, 'force'> = {}): Promise<Manifest> {
  const result = await compileProject(paths, options);
  if (hasErrors(result.diagnostics)) throw compileError(result.diagnostics);
  return result.manifest;
}
