/**
 * The shape of src/ stays as the README draws it: dependency-cruiser checks the rules in
 * .dependency-cruiser.cjs (layers import only downward, no module cycle, no devDependency in
 * shipped code), and this test adds what a rule cannot say: no cycle between folders.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

interface Cruise {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; coreModule?: boolean; couldNotResolve?: boolean }> }>;
  summary: { violations: Array<{ from: string; to: string; rule: { name: string } }> };
}

async function cruise(cwd: string): Promise<Cruise> {
  const { stdout } = await promisify(execFile)(process.execPath, [DEPCRUISE, 'src', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(stdout) as Cruise;
}

/** `src/runtime/executor.ts` → `runtime`; `src/app.ts` → `app.ts`. */
function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  return parts[0] === 'src' ? parts[1] : undefined;
}

/** Folder-level cycles, each as the list of folders it passes through. */
function folderCycles(result: Cruise): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const module of result.modules) {
    const from = folderOf(module.source);
    if (!from) continue;
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (!to || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const cycles: string[][] = [];
  const visit = (node: string, trail: string[]) => {
    for (const next of edges.get(node) ?? []) {
      const at = trail.indexOf(next);
      if (at >= 0) cycles.push([...trail.slice(at), next]);
      else visit(next, [...trail, next]);
    }
  };
  for (const start of edges.keys()) visit(start, [start]);
  return cycles;
}

test('src/ follows the layer rules: no upward import, no module or folder cycle, no devDependency', async () => {
  const result = await cruise(ROOT);
  assert.ok(result.modules.length > 100, `cruised only ${result.modules.length} modules`);
  assert.deepEqual(
    result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
    [],
  );
  assert.deepEqual(folderCycles(result), []);
});

test('the rules catch an upward import and a cycle (a planted copy of src/ fails them)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-arch-'));
  try {
    cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
    cpSync(path.join(ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
    cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    // The store reaching up into the runtime, and two define modules importing each other.
    writeFileSync(path.join(dir, 'src', 'store', 'planted.ts'), "export { createExecutor } from '../runtime/executor.ts';\n");
    mkdirSync(path.join(dir, 'src', 'define'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'define', 'cycle-a.ts'), "import { b } from './cycle-b.ts';\nexport const a = () => b;\n");
    writeFileSync(path.join(dir, 'src', 'define', 'cycle-b.ts'), "import { a } from './cycle-a.ts';\nexport const b = () => a;\n");
    const result = await cruise(dir);
    const rules = new Set(result.summary.violations.map((v) => v.rule.name));
    assert.ok([...rules].some((name) => name.startsWith('layer-3-')), `no layer violation in ${[...rules].join(', ')}`);
    assert.ok(rules.has('no-circular'), `no cycle found in ${[...rules].join(', ')}`);
    assert.deepEqual(
      folderCycles({ ...result, modules: [...result.modules, { source: 'src/runtime/x.ts', dependencies: [{ resolved: 'src/store/types.ts' }] }] }).length > 0,
      true,
      'store → runtime → store is a folder cycle',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
