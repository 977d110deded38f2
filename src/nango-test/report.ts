/**
 * How `patchbay test` prints: one line per function as vitest does (`✓ github/list-issues 12ms`),
 * the reasons indented under a failure, and `N passed, M failed` alone on the last line so scripts
 * and people find the verdict in the same place. `--json` prints the summary object instead.
 *
 * @example
 * process.stdout.write(formatResult(result));
 * process.stdout.write(formatSummary(summary));
 */
import type { TestResult } from './run.ts';
import type { SuiteSummary } from './suite.ts';

/** The line (and failure reasons) of one function. */
export function formatResult(result: TestResult): string {
  const mark = result.status === 'passed' ? '✓' : '✗';
  const head = ` ${mark} ${result.integrationId}/${result.name} ${result.durationMs}ms\n`;
  if (result.status === 'passed') return head;
  const body = result.failures.map((f) => f.message.split('\n').map((line) => `     ${line}`).join('\n')).join('\n');
  return `${head}${body}\n`;
}

/** The closing lines; the very last one is `N passed, M failed`. */
export function formatSummary(summary: SuiteSummary): string {
  const lines: string[] = [''];
  if (summary.skipped.length > 0) {
    const shown = summary.skipped.slice(0, 5).join(', ');
    lines.push(`${summary.skipped.length} without a fixture (skipped): ${shown}${summary.skipped.length > 5 ? ', …' : ''}`);
  }
  lines.push(`${summary.passed} passed, ${summary.failed} failed`);
  return `${lines.join('\n')}\n`;
}

/** The machine-readable form printed by `--json`. */
export function summaryJson(summary: SuiteSummary): unknown {
  return {
    passed: summary.passed,
    failed: summary.failed,
    skipped: summary.skipped,
    durationMs: summary.durationMs,
    results: summary.results.map((r) => ({
      integration: r.integrationId,
      function: r.name,
      type: r.type,
      status: r.status,
      durationMs: r.durationMs,
      fixture: r.fixture,
      failures: r.failures,
    })),
  };
}
