/**
 * `patchbay compile [functions...]`: type-check and bundle every function (or the named ones),
 * print each problem as `file:line:col - error CODE: message`, write the build under
 * `<PATCHBAY_HOME>/build/`. Exit 1 when anything is wrong, and then nothing is written.
 */
import type { Command } from 'commander';
import { compileProject, formatDiagnostic, hasErrors, manifestFileFor } from '../../build/index.ts';
import { displayPath } from '../../build/diagnostics.ts';
import { pathsFrom } from '../options.ts';

/** Registers `compile`. */
export function register(program: Command): void {
  program
    .command('compile')
    .description('type-check and bundle every function in integrations/ into .patchbay/build')
    .argument('[functions...]', 'only these functions: <integration>/<name>, <name> or <integration>')
    .option('--no-typecheck', 'skip the TypeScript type-check (bundle and validate only)')
    .option('--force', 'compile even when the sources are unchanged')
    .option('--json', 'print one JSON document: { ok, reused, diagnostics, functions }')
    .action(async (functions: string[], opts: { typecheck: boolean; force?: boolean; json?: boolean }, cmd: Command) => {
      const paths = pathsFrom(cmd);
      const started = performance.now();
      const result = await compileProject(paths, {
        typecheck: opts.typecheck,
        force: opts.force === true,
        ...(functions.length > 0 ? { only: functions } : {}),
      });
      if (opts.json) {
        const ok = !hasErrors(result.diagnostics);
        const fns = ok ? result.manifest.functions.map((f) => ({ integrationId: f.integrationId, name: f.name, type: f.type, source: f.source })) : [];
        process.stdout.write(`${JSON.stringify({ ok, reused: result.reused, diagnostics: result.diagnostics, functions: fns }, null, 2)}\n`);
        if (!ok) process.exitCode = 1;
        return;
      }
      for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      if (hasErrors(result.diagnostics)) {
        const n = result.diagnostics.filter((d) => d.severity === 'error').length;
        process.stderr.write(`error: ${n} error${n === 1 ? '' : 's'}; nothing was written. Fix the file(s) above and run \`patchbay compile\` again.\n`);
        process.exitCode = 1;
        return;
      }
      const { manifest } = result;
      const ms = Math.round(performance.now() - started);
      const where = displayPath(paths.root, manifestFileFor(paths, functions));
      const count = `${manifest.functions.length} function${manifest.functions.length === 1 ? '' : 's'} in ${manifest.integrations.length} integration${manifest.integrations.length === 1 ? '' : 's'}`;
      process.stdout.write(result.reused ? `up to date: ${count} (sources unchanged) → ${where}\n` : `compiled ${count} in ${ms} ms → ${where}\n`);
      for (const fn of manifest.functions) process.stdout.write(`  ${fn.type.padEnd(7)} ${fn.integrationId}/${fn.name}\n`);
    });
}
