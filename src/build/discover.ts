/**
 * Finds the functions of a project: `integrations/<id>/{actions,syncs,on-events}/<name>.ts`.
 * When `integrations/index.ts` exists (Nango's style, side-effect imports), it alone decides
 * which files are functions; otherwise every such file is one. Integration folders may be
 * symbolic links (an alias: the link's name is its own integration id).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { IntegrationManifest } from './manifest.ts';
import { PatchbayError } from '../errors.ts';
import { displayPath, errorAt, type Diagnostic } from './diagnostics.ts';

/** The function type a layout folder stands for. */
export type FunctionKind = 'action' | 'sync' | 'onEvent';

/** Layout folder → function type. */
export const KIND_FOLDERS: Record<string, FunctionKind> = { actions: 'action', syncs: 'sync', 'on-events': 'onEvent' };

/** Function type → layout folder (also the bundle sub-folder). */
export const FOLDER_OF: Record<FunctionKind, string> = { action: 'actions', sync: 'syncs', onEvent: 'on-events' };

/** One function file found in the layout. */
export interface SourceFunction {
  integrationId: string;
  /** The file's base name. */
  name: string;
  /** The type its folder says (the definition's own `type` wins when they differ). */
  kind: FunctionKind;
  /** Absolute path (through the alias link when there is one). */
  file: string;
  /** Relative to the integrations folder, posix separators (manifest `source`). */
  source: string;
}

/** What discovery found, with the problems of the layout itself (index.ts, duplicates). */
export interface Discovery {
  integrations: IntegrationManifest[];
  functions: SourceFunction[];
  diagnostics: Diagnostic[];
  /** Whether integrations/index.ts decided the function list. */
  fromIndex: boolean;
}

const SOURCE_EXT = /\.(ts|mts|js|mjs)$/;
const NOT_FUNCTION = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Integration folders: real folders or links to folders, not node_modules, not hidden. */
function integrationFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && name !== 'node_modules' && isDir(path.join(dir, name)))
    .sort();
}

function hasFunctionFolders(dir: string): boolean {
  return Object.keys(KIND_FOLDERS).some((f) => isDir(path.join(dir, f)));
}

function sourceFunction(integrationsDir: string, id: string, folder: string, fileName: string): SourceFunction {
  const file = path.join(integrationsDir, id, folder, fileName);
  return {
    integrationId: id,
    name: fileName.replace(SOURCE_EXT, ''),
    kind: KIND_FOLDERS[folder]!,
    file,
    source: toPosix(path.relative(integrationsDir, file)),
  };
}

function discoverFiles(integrationsDir: string): SourceFunction[] {
  const found: SourceFunction[] = [];
  for (const id of integrationFolders(integrationsDir)) {
    for (const folder of Object.keys(KIND_FOLDERS)) {
      const dir = path.join(integrationsDir, id, folder);
      if (!isDir(dir)) continue;
      for (const fileName of readdirSync(dir).sort()) {
        if (SOURCE_EXT.test(fileName) && !NOT_FUNCTION.test(fileName)) found.push(sourceFunction(integrationsDir, id, folder, fileName));
      }
    }
  }
  return found;
}

/** Resolves `./github/actions/x.js` to the file that exists (.ts first, as TypeScript does). */
function resolveIndexImport(integrationsDir: string, spec: string): string | undefined {
  const base = path.resolve(integrationsDir, spec);
  const stem = base.replace(SOURCE_EXT, '');
  const candidates = [`${stem}.ts`, `${stem}.mts`, base, `${stem}.js`, `${stem}.mjs`];
  return candidates.find((c) => existsSync(c) && !isDir(c));
}

function discoverFromIndex(root: string, integrationsDir: string, indexFile: string, diagnostics: Diagnostic[]): SourceFunction[] {
  const found: SourceFunction[] = [];
  const shown = displayPath(root, indexFile);
  const lines = readFileSync(indexFile, 'utf8').split('\n');
  lines.forEach((text, i) => {
    const match = /^\s*import\s+(['"])(\.\/[^'"]+)\1/.exec(text);
    if (!match) return;
    const spec = match[2]!;
    const column = text.indexOf(spec) + 1;
    const file = resolveIndexImport(integrationsDir, spec);
    if (!file) {
      diagnostics.push(errorAt('unresolved-import', `cannot resolve "${spec}": no such file. Fix or remove this import.`, shown, i + 1, column));
      return;
    }
    const parts = toPosix(path.relative(integrationsDir, file)).split('/');
    if (parts.length !== 3 || !KIND_FOLDERS[parts[1]!]) {
      diagnostics.push(
        errorAt('bad-index', `"${spec}" is not a function file: expected ./<integration>/{actions,syncs,on-events}/<name>.js`, shown, i + 1, column),
      );
      return;
    }
    found.push(sourceFunction(integrationsDir, parts[0]!, parts[1]!, parts[2]!));
  });
  return found;
}

/** Lists integrations and function files; throws NOT_FOUND when the integrations folder is missing. */
export function discover(root: string, integrationsDir: string): Discovery {
  if (!isDir(integrationsDir)) {
    throw new PatchbayError(
      'NOT_FOUND',
      `No integrations folder at ${integrationsDir}. Run \`patchbay init\` to create one, or pass --integrations <dir>.`,
    );
  }
  const diagnostics: Diagnostic[] = [];
  const indexFile = ['index.ts', 'index.js'].map((f) => path.join(integrationsDir, f)).find((f) => existsSync(f));
  const functions = indexFile ? discoverFromIndex(root, integrationsDir, indexFile, diagnostics) : discoverFiles(integrationsDir);

  const ids = new Set(functions.map((f) => f.integrationId));
  for (const id of integrationFolders(integrationsDir)) {
    const dir = path.join(integrationsDir, id);
    if (existsSync(path.join(dir, 'integration.json')) || (!indexFile && hasFunctionFolders(dir))) ids.add(id);
  }
  const integrations = [...ids].sort().map((id) => {
    const dir = path.join(integrationsDir, id);
    return { id, dir, hasConfig: existsSync(path.join(dir, 'integration.json')) };
  });

  const seen = new Map<string, SourceFunction>();
  for (const fn of functions) {
    const key = `${fn.integrationId}/${fn.name}`;
    const first = seen.get(key);
    if (first) {
      // Nango allows an action and a sync of the same name (google-calendar/settings); patchbay keys
      // functions by name, so the later one is skipped with a warning instead of failing the build.
      const d = errorAt(
        'duplicate-function',
        `duplicate function name "${fn.name}" in integration "${fn.integrationId}" (also ${first.source}); this file is skipped. Rename one file: the file name is the function name.`,
        displayPath(root, fn.file),
      );
      diagnostics.push(first.kind === fn.kind ? d : { ...d, severity: 'warning' });
    } else seen.set(key, fn);
  }
  return { integrations, functions: [...seen.values()], diagnostics, fromIndex: indexFile !== undefined };
}

/** Keeps the functions named by `only` (`integration/name`, `name` or `integration`); throws on unknown names. */
export function selectFunctions(functions: SourceFunction[], only: string[] | undefined): SourceFunction[] {
  if (!only || only.length === 0) return functions;
  const matches = (fn: SourceFunction, want: string) => want === `${fn.integrationId}/${fn.name}` || want === fn.name || want === fn.integrationId;
  for (const want of only) {
    if (!functions.some((fn) => matches(fn, want))) {
      const known = functions.map((fn) => `${fn.integrationId}/${fn.name}`).join(', ') || 'none';
      throw new PatchbayError('FUNCTION_NOT_FOUND', `Unknown function "${want}". Known functions: ${known}.`);
    }
  }
  return functions.filter((fn) => only.some((want) => matches(fn, want)));
}
