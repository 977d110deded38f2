/**
 * `patchbay test [integration[/function]] [--json]`: replays recorded fixtures (Nango's
 * `<integration>/tests/<function>.test.json`, or the older `mocks/` layout) through the real
 * `nango` context and compares outputs and saved records. Prints a line per function, then
 * `N passed, M failed`; exits 1 when anything failed.
 *
 * @example
 * patchbay test                      # every function that has a fixture
 * patchbay test github/list-issues   # one function
 * patchbay test --json > report.json
 */
import type { Command } from 'commander';
import { ensureBuilt } from '../../build/index.ts';
import { PatchbayError } from '../../errors.ts';
import { pathsFrom } from '../options.ts';

interface TestOptions {
  json?: boolean;
  typecheck?: boolean;
  timeout?: string;
  httpErrors?: string;
}

/** Registers `test`. */
export function register(program: Command): void {
  program
    .command('test')
    .description('replay recorded fixtures (tests/<function>.test.json) and compare outputs and records')
    .argument('[target]', 'an integration, or <integration>/<function>')
    .option('--integrations <dir>', 'integrations folder (default: ./integrations)')
    .option('--json', 'print the results as JSON')
    .option('--typecheck', 'type-check the functions before replaying (off by default, as in Nango tests)')
    .option('--timeout <ms>', 'time limit per function', '30000')
    .option('--http-errors <mode>', 'recorded statuses >= 400: "throw" as a live run does, or "return" them as data like Nango\'s mock (default: per fixture; "return" for Nango recordings)')
    .action(async (target: string | undefined, opts: TestOptions, cmd: Command) => {
      const paths = pathsFrom(cmd);
      const timeoutMs = Number(opts.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new PatchbayError('INVALID_ARGUMENT', `--timeout must be a positive number of milliseconds, got "${opts.timeout}".`);
      if (opts.httpErrors !== undefined && opts.httpErrors !== 'throw' && opts.httpErrors !== 'return') {
        throw new PatchbayError('INVALID_ARGUMENT', `--http-errors must be "throw" or "return", got "${opts.httpErrors}".`);
      }
      // The fixture runner is loaded here, not at the top: every other command (serve) starts faster.
      const [{ formatResult, formatSummary, summaryJson }, { runSuite }] = await Promise.all([import('../../nango-test/report.ts'), import('../../nango-test/suite.ts')]);
      const integration = target?.split('/')[0];
      const manifest = await ensureBuilt(paths, { typecheck: opts.typecheck === true, ...(integration ? { only: [integration] } : {}) });
      const summary = await runSuite(manifest, {
        paths,
        ...(target ? { only: target } : {}),
        timeoutMs,
        ...(opts.httpErrors ? { httpErrors: opts.httpErrors } : {}),
        ...(opts.json ? {} : { onResult: (result) => process.stdout.write(formatResult(result)) }),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(summaryJson(summary), null, 2)}\n`);
      else process.stdout.write(formatSummary(summary));
      if (summary.failed > 0) process.exitCode = 1;
    });
}
