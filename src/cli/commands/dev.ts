/**
 * `patchbay dev`: compiles, then watches integrations/ and re-bundles on every save, printing
 * one line per rebuild with its time (`✓ rebuilt github/create-issue in 38 ms`) and every error as
 * `file:line:col`. It keeps running through errors; the last good build stays in place. The
 * type-check runs right after each re-bundle, so type errors follow within a moment.
 */
import { readdirSync, realpathSync, lstatSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Compiler, formatDiagnostic, hasErrors, type Diagnostic } from '../../build/index.ts';
import { displayPath } from '../../build/diagnostics.ts';
import { toPatchbayError } from '../../errors.ts';
import { pathsFrom } from '../options.ts';

const DEBOUNCE_MS = 25;
const IGNORED = /(^|[/\\])(node_modules|\.git|\.patchbay)([/\\]|$)|~$|\.swp$/;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printDiagnostics(diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** Folders to watch: the integrations folder and the targets of alias links inside it. */
function watchRoots(integrationsDir: string): string[] {
  const roots = [integrationsDir];
  try {
    for (const name of readdirSync(integrationsDir)) {
      const full = path.join(integrationsDir, name);
      if (lstatSync(full).isSymbolicLink()) roots.push(realpathSync(full));
    }
  } catch {
    // the folder may be gone for a moment; the next rebuild reports it
  }
  return roots;
}

/** Registers `dev`. */
export function register(program: Command): void {
  program
    .command('dev')
    .description('watch integrations/, re-bundle on save, print errors; keeps running')
    .option('--no-typecheck', 'skip the TypeScript type-check after each rebuild')
    .action(async (opts: { typecheck: boolean }, cmd: Command) => {
      const paths = pathsFrom(cmd);
      const compiler = new Compiler(paths);
      const watchers = new Map<string, FSWatcher>();
      let running = false;
      let pending = false;
      let timer: NodeJS.Timeout | undefined;
      let typeErrors = 0;
      const saved = new Set<string>();

      const typecheck = () => {
        if (!opts.typecheck) return;
        const started = performance.now();
        const diagnostics = compiler.typecheck();
        const ms = Math.round(performance.now() - started);
        printDiagnostics(diagnostics);
        if (diagnostics.length > 0) print(`✗ ${diagnostics.length} type error${diagnostics.length === 1 ? '' : 's'} (checked in ${ms} ms)`);
        else if (typeErrors > 0) print(`✓ types ok (checked in ${ms} ms)`);
        typeErrors = diagnostics.length;
      };

      const rebuild = async (first: boolean) => {
        if (running) {
          pending = true;
          return;
        }
        running = true;
        try {
          const files = [...saved].join(', ');
          saved.clear();
          const started = performance.now();
          const result = await compiler.compile({ typecheck: false, force: first });
          const ms = Math.round(performance.now() - started);
          if (!first && result.reused) return;
          printDiagnostics(result.diagnostics);
          if (hasErrors(result.diagnostics)) {
            const n = result.diagnostics.filter((d) => d.severity === 'error').length;
            print(`✗ build failed with ${n} error${n === 1 ? '' : 's'} in ${ms} ms; the last good build stays in place`);
          } else if (first) {
            print(`✓ built ${result.manifest.functions.length} functions in ${ms} ms; watching ${displayPath(paths.root, paths.integrationsDir)}/ (Ctrl-C to stop)`);
          } else {
            print(
              result.changed.length > 0
                ? `✓ rebuilt ${result.changed.join(', ')} in ${ms} ms`
                : `✓ rebuilt in ${ms} ms (${files || 'a file'} saved; no function's bundle changed)`,
            );
          }
          if (!hasErrors(result.diagnostics)) typecheck();
        } catch (error) {
          if (first) throw error;
          print(`✗ ${toPatchbayError(error).message}`);
        } finally {
          running = false;
          for (const root of watchRoots(paths.integrationsDir)) if (!watchers.has(root)) watchFolder(root);
          if (pending) {
            pending = false;
            void rebuild(false);
          }
        }
      };

      const schedule = (file: string | null) => {
        if (file && IGNORED.test(file)) return;
        if (file) saved.add(file.split(path.sep).join('/'));
        clearTimeout(timer);
        timer = setTimeout(() => void rebuild(false), DEBOUNCE_MS);
      };

      const watchFolder = (root: string) => {
        try {
          const watcher = watch(root, { recursive: true }, (_event, file) => schedule(file ? String(file) : null));
          watcher.on('error', () => watchers.delete(root));
          watchers.set(root, watcher);
        } catch {
          // not there (yet): the next rebuild retries
        }
      };

      const stop = () => {
        for (const w of watchers.values()) w.close();
        clearTimeout(timer);
        void compiler.dispose().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);

      for (const root of watchRoots(paths.integrationsDir)) watchFolder(root);
      await rebuild(true);
      await new Promise<never>(() => {});
    });
}
