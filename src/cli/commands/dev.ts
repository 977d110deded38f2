/**
 * `patchbay dev`: compiles, then watches integrations/ and re-bundles on every save, printing
 * one line per rebuild with its time (`✓ rebuilt github/create-issue in 38 ms`) and every error as
 * `file:line:col`. It keeps running through errors; the last good build stays in place. The
 * type-check runs right after each re-bundle, so type errors follow within a moment.
 */
import type { Command } from 'commander';
import { Compiler, formatDiagnostic, hasErrors, type Diagnostic } from '../../build/index.ts';
import { displayPath } from '../../build/diagnostics.ts';
import { watchTree, type TreeWatcher } from '../../build/watch.ts';
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

/** Registers `dev`. */
export function register(program: Command): void {
  program
    .command('dev')
    .description('watch integrations/, re-bundle on save, print errors; keeps running')
    .option('--no-typecheck', 'skip the TypeScript type-check after each rebuild')
    .action(async (opts: { typecheck: boolean }, cmd: Command) => {
      const paths = pathsFrom(cmd);
      const compiler = new Compiler(paths);
      let watcher: TreeWatcher | undefined;
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
            const n = result.manifest.functions.length;
            print(`✓ built ${n} function${n === 1 ? '' : 's'} in ${ms} ms; watching ${displayPath(paths.root, paths.integrationsDir)}/ (Ctrl-C to stop)`);
          } else {
            const removed = result.removed?.length ? `; removed ${result.removed.join(', ')}` : '';
            print(
              result.changed.length > 0 || removed
                ? `✓ rebuilt ${result.changed.join(', ') || 'nothing'} in ${ms} ms${removed}`
                : `✓ rebuilt in ${ms} ms (${files || 'a file'} saved; no function's bundle changed)`,
            );
          }
          if (!hasErrors(result.diagnostics)) typecheck();
          compiler.warm();
        } catch (error) {
          if (first) throw error;
          print(`✗ ${toPatchbayError(error).message}`);
        } finally {
          running = false;
          if (pending) {
            pending = false;
            void rebuild(false);
          }
        }
      };

      const schedule = (file: string) => {
        if (IGNORED.test(file)) return;
        if (/\.(ts|mts|js|mjs|json)$/.test(file)) saved.add(file);
        clearTimeout(timer);
        timer = setTimeout(() => void rebuild(false), DEBOUNCE_MS);
      };

      const stop = () => {
        watcher?.close();
        clearTimeout(timer);
        void compiler.dispose().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);

      watcher = watchTree(paths.integrationsDir, (file) => schedule(file));
      await rebuild(true);
      await new Promise<never>(() => {});
    });
}
