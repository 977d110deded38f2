/**
 * Measures Nango compatibility on Nango's public integration templates: how many functions
 * `patchbay compile` builds and how many of their recorded fixtures `patchbay test` passes, with the
 * main causes of failure. The templates are never committed (their licence forbids it); point this
 * at a checkout:
 *
 *   git -C <mirror> worktree add /tmp/nango-templates HEAD     # or: git archive HEAD | tar -x -C …
 *   (cd /tmp/nango-templates/integrations && npm install soap unzipper)   # packages functions import
 *   node bench/nango-templates/run.ts /tmp/nango-templates [--typecheck] [--http-errors return] [--out report.json]
 *
 * Prints the numbers and writes the per-function results as JSON (default /tmp/nango-templates-report.json).
 * Everything patchbay writes goes to a temp PATCHBAY_HOME; the checkout is only read.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compileProject } from '../../src/build/index.ts';
import { discover } from '../../src/build/discover.ts';
import type { Diagnostic } from '../../src/build/diagnostics.ts';
import { resolvePaths } from '../../src/config/paths.ts';
import { runSuite } from '../../src/nango-test/suite.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    typecheck: { type: 'boolean', default: false },
    'http-errors': { type: 'string' },
    out: { type: 'string', default: path.join(os.tmpdir(), 'nango-templates-report.json') },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const checkout = positionals[0];
if (!checkout) {
  process.stderr.write('usage: node bench/nango-templates/run.ts <templates-checkout> [--typecheck] [--http-errors throw|return] [--out file] [--only integration]\n');
  process.exit(2);
}
const integrationsDir = existsSync(path.join(checkout, 'integrations')) ? path.resolve(checkout, 'integrations') : path.resolve(checkout);
const home = mkdtempSync(path.join(os.tmpdir(), 'pb-nango-templates-'));
const paths = resolvePaths({ cwd: integrationsDir, integrations: integrationsDir, home, env: {} });

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`);
/** A failure message reduced to its cause: no paths, ids, numbers or quoted values. */
const causeOf = (message: string) =>
  message
    .split('\n')[0]!
    .replace(/\/(?:tmp|work|home|Users|var|private)\/\S+/g, '<path>')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 120);

function diagnosticKey(d: Diagnostic): string {
  return `${d.code}: ${causeOf(d.message)}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const found = discover(integrationsDir, integrationsDir);
  const only = values.only ? [values.only] : undefined;
  const discoveryLost = found.diagnostics.filter((d) => d.code === 'duplicate-function').length;
  // Functions skipped by discovery (a duplicate name) count as not compiled.
  const total = only ? found.functions.filter((f) => f.integrationId === values.only).length : found.functions.length + discoveryLost;

  // Compile everything at once. A build that fails to bundle writes and returns nothing, so then
  // compile integration by integration (each into its own home: a successful build collects the
  // bundles it does not list), so one bad file does not hide how many others compile.
  const compileErrors: Diagnostic[] = [];
  const first = await compileProject(paths, { typecheck: values.typecheck, force: true, ...(only ? { only } : {}) });
  let manifest = first.manifest;
  const bundleFailed = first.manifest.functions.length === 0 && first.diagnostics.some((d) => d.severity === 'error');
  if (!bundleFailed) compileErrors.push(...first.diagnostics.filter((d) => d.severity === 'error'));
  else {
    const ids = [...new Set(found.functions.map((f) => f.integrationId))].filter((id) => !only || only.includes(id));
    const functions = [];
    for (const id of ids) {
      const own = resolvePaths({ cwd: integrationsDir, integrations: integrationsDir, home: path.join(home, 'by-integration', id), env: {} });
      const r = await compileProject(own, { typecheck: values.typecheck, force: true, only: [id] });
      functions.push(...r.manifest.functions);
      compileErrors.push(...r.diagnostics.filter((d) => d.severity === 'error'));
    }
    manifest = { ...first.manifest, functions };
  }
  const compiled = manifest.functions.length;
  const compileMs = Date.now() - started;

  const httpErrors = values['http-errors'] === 'return' || values['http-errors'] === 'throw' ? values['http-errors'] : undefined;
  const suite = await runSuite(manifest, { paths, ...(httpErrors ? { httpErrors } : {}), timeoutMs: 15_000 });
  const tested = suite.passed + suite.failed;

  const causes = new Map<string, string[]>();
  for (const r of suite.results) {
    if (r.status !== 'failed') continue;
    const key = causeOf(r.failures[0]?.message ?? 'unknown');
    causes.set(key, [...(causes.get(key) ?? []), `${r.integrationId}/${r.name}`]);
  }
  const diagCauses = new Map<string, number>();
  for (const d of compileErrors) diagCauses.set(diagnosticKey(d), (diagCauses.get(diagnosticKey(d)) ?? 0) + 1);

  const lines = [
    `Nango templates at ${integrationsDir}`,
    `functions:  ${total} (${found.fromIndex ? 'index.ts entries' : 'function files'}${discoveryLost ? `; ${discoveryLost} skipped as a duplicate name` : ''})`,
    `compiled:   ${compiled} / ${total} = ${pct(compiled, total)}${values.typecheck ? ' (with type-check)' : ' (bundled + loaded + validated, no type-check)'} in ${Math.round(compileMs / 1000)} s`,
    `fixtures:   ${tested} replayed, ${suite.skipped.length} compiled functions without a fixture`,
    `passed:     ${suite.passed} / ${tested} = ${pct(suite.passed, tested)} (failed ${suite.failed}) in ${Math.round(suite.durationMs / 1000)} s`,
    '',
    'top failure causes:',
    ...[...causes.entries()]
      .sort((a, b) => b[1].length - a[1].length)
      .slice(0, 15)
      .map(([cause, fns]) => `  ${String(fns.length).padStart(4)}  ${cause}  (${fns.slice(0, 3).join(', ')}${fns.length > 3 ? ', …' : ''})`),
  ];
  if (diagCauses.size > 0) {
    lines.push('', 'compile errors:');
    for (const [cause, n] of [...diagCauses.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${String(n).padStart(4)}  ${cause}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(
    values.out!,
    JSON.stringify({ total, compiled, tested, passed: suite.passed, failed: suite.failed, skipped: suite.skipped, compileErrors, results: suite.results }, null, 2),
  );
  process.stdout.write(`\nper-function results: ${values.out}\n`);
}

try {
  await main();
} finally {
  if (!values.keep) rmSync(home, { recursive: true, force: true });
}
