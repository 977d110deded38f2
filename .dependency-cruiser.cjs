/**
 * The shape of src/, checked on every `npm test` (test/architecture.test.ts): layers import only
 * downward, no module imports itself through a circle, and shipped code never imports a
 * devDependency. The order below is the README's "Architecture" section; change both together.
 *
 * A layer may import from its own layer and every layer below it. Inside a layer, folders may
 * import each other in one direction only (the test also fails on a cycle between folders).
 */
const LAYERS = [
  ['errors.ts', 'config', 'observability'],
  ['define', 'access', 'index.ts', 'client'],
  ['build', 'providers', 'records'],
  ['store'],
  ['upstream'],
  ['connections'],
  ['runtime'],
  ['sync', 'queue'],
  ['mcp', 'nango-test'],
  ['http'],
  ['cli', 'app.ts'],
];

/** `src/define/…` or `src/errors.ts` as a path pattern. */
const pattern = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${index}-imports-upward`,
  severity: 'error',
  comment: `${layer.join(', ')} may only import from layers 0-${index} (${LAYERS.slice(0, index + 1).flat().join(', ')}).`,
  from: { path: layer.map(pattern) },
  to: { path: LAYERS.slice(index + 1).flat().map(pattern) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module that reaches itself through its imports: move the shared part down.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-dev-dependency-in-src',
      severity: 'error',
      comment: 'Shipped code must not need a devDependency.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
