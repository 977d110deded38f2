/**
 * The modules of src/define/ import each other without a cycle: schema bounds below the
 * `nango` context, the context below the definitions, the definitions below `create` and
 * `infer`. A cycle compiles fine (the imports are type-only) but makes the layer's order
 * unreadable and one module impossible to take without the other; this keeps it out.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const DEFINE_DIR = fileURLToPath(new URL('../../src/define/', import.meta.url));

/** Each module of the folder and the modules of the same folder it imports or re-exports. */
function importGraph(dir: string): Map<string, string[]> {
  const modules = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(dir, module), 'utf8'), true, true);
    const local = importedFiles.map((f) => f.fileName).filter((f) => f.startsWith('./')).map((f) => f.slice(2));
    graph.set(module, local.filter((f) => modules.includes(f)));
  }
  return graph;
}

/** The first cycle found, as the path of modules that closes it, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (module: string, trail: string[]): string[] | undefined => {
    if (trail.includes(module)) return [...trail.slice(trail.indexOf(module)), module];
    if (done.has(module)) return undefined;
    for (const next of graph.get(module) ?? []) {
      const cycle = visit(next, [...trail, module]);
      if (cycle) return cycle;
    }
    done.add(module);
    return undefined;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module, []);
    if (cycle) return cycle;
  }
  return undefined;
}

test('src/define/ has no import cycle', () => {
  const cycle = findCycle(importGraph(DEFINE_DIR));
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' -> ')}`);
});

test('the cycle check finds a cycle when there is one', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
  ]);
  assert.deepEqual(findCycle(graph), ['a.ts', 'b.ts', 'c.ts', 'a.ts']);
});
