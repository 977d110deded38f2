/**
 * `dev` rebuild benchmark: after a cold compile of the repository's integrations/ (the baseline,
 * measured in the same run), one function file is edited and rebuilt N times through the same
 * `Compiler` that `patchbay dev` keeps alive. Prints the median re-bundle time (what dev's one-line
 * message reports), the median incremental type-check, and their ratio to the cold build.
 *
 *   node bench/build/index.ts [--edits 10]
 *
 * Goal: a changed file re-bundles in well under a second (target: < 100 ms median).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Compiler, hasErrors } from '../../src/build/index.ts';
import { resolvePaths } from '../../src/config/paths.ts';

const { values } = parseArgs({ options: { edits: { type: 'string', default: '10' } } });
const EDITS = Number(values.edits);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const source = fileURLToPath(new URL('../../integrations', import.meta.url));
const root = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-build-'));

try {
  cpSync(source, path.join(root, 'integrations'), { recursive: true });
  const paths = resolvePaths({ cwd: root, env: {} });
  const compiler = new Compiler(paths);

  let started = performance.now();
  const cold = await compiler.compile({ typecheck: false, force: true });
  const coldMs = performance.now() - started;
  if (hasErrors(cold.diagnostics)) throw new Error('the example integrations do not compile');
  started = performance.now();
  compiler.typecheck();
  const coldCheckMs = performance.now() - started;
  compiler.warm();

  const file = path.join(paths.integrationsDir, 'github/actions/create-issue.ts');
  const original = readFileSync(file, 'utf8');
  const rebuilds: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    writeFileSync(file, original.replace('Open an issue', `Open an issue (edit ${i})`));
    started = performance.now();
    const result = await compiler.compile({ typecheck: false });
    rebuilds.push(performance.now() - started);
    if (result.changed.join() !== 'github/create-issue') throw new Error(`expected one changed function, got ${result.changed.join()}`);
    started = performance.now();
    compiler.typecheck();
    checks.push(performance.now() - started);
  }
  await compiler.dispose();

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(`functions: ${cold.manifest.functions.length}, edits: ${EDITS}`);
  console.log(`cold build (baseline)        ${fmt(coldMs)}   cold type-check ${fmt(coldCheckMs)}`);
  console.log(`re-bundle one changed file   ${fmt(median(rebuilds))} median   ratio to cold build ${(median(rebuilds) / coldMs).toFixed(2)}`);
  console.log(`incremental type-check       ${fmt(median(checks))} median   ratio to cold check ${(median(checks) / coldCheckMs).toFixed(2)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
