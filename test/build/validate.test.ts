import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { compileProject, formatDiagnostic, type Diagnostic } from '../../src/build/index.ts';
import { scanHttpMethods } from '../../src/build/validate.ts';
import { ACTION, syncFile, tempProject } from './project.ts';

/** Compiles `files`, expects failure with nothing written, returns the error diagnostics. */
async function failing(t: { after(fn: () => void): void }, files: Record<string, string>, options: { typecheck?: boolean; loadTimeoutMs?: number } = {}): Promise<Diagnostic[]> {
  const project = tempProject(files);
  t.after(project.cleanup);
  const result = await compileProject(project.paths, { typecheck: false, ...options });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.ok(errors.length > 0, 'expected compile errors');
  assert.equal(existsSync(project.paths.manifestFile), false, 'no manifest written');
  const left = existsSync(project.paths.buildDir) ? readdirSync(project.paths.buildDir).filter((f) => f !== 'typecheck.tsbuildinfo') : [];
  assert.deepEqual(left, [], 'no bundles or staging left behind');
  return errors;
}

function only(errors: Diagnostic[], code: string): Diagnostic {
  assert.deepEqual(errors.map((e) => e.code), [code], errors.map(formatDiagnostic).join('\n'));
  return errors[0]!;
}

test('duplicate function names within one integration', async (t) => {
  const d = only(await failing(t, { 'demo/actions/same.ts': ACTION, 'demo/actions/same.js': ACTION }), 'duplicate-function');
  assert.match(d.message, /duplicate function name "same" in integration "demo"/);
  // An action and a sync of one name (Nango allows it): a warning, the second is skipped.
  const mixed = tempProject({ 'demo/actions/same.ts': ACTION, 'demo/syncs/same.ts': syncFile() });
  t.after(mixed.cleanup);
  const result = await compileProject(mixed.paths, { typecheck: false });
  assert.deepEqual(result.diagnostics.map((x) => `${x.severity}:${x.code}`), ['warning:duplicate-function']);
  assert.deepEqual(result.manifest.functions.map((f) => `${f.type}:${f.name}`), ['action:same']);
  // The same name in two integrations is fine.
  const project = tempProject({ 'a/actions/same.ts': ACTION, 'b/actions/same.ts': ACTION });
  t.after(project.cleanup);
  assert.deepEqual((await compileProject(project.paths, { typecheck: false })).diagnostics, []);
});

test('a definition without exec', async (t) => {
  const d = only(await failing(t, { 'demo/actions/no-exec.ts': ACTION.replace(/exec: .*\n/, '') }), 'missing-exec');
  assert.equal(d.file, 'integrations/demo/actions/no-exec.ts');
  assert.match(d.message, /exec: async \(nango, input\)/);
});

test('a sync without models', async (t) => {
  const file = syncFile().replace(/models: .*\n/, '');
  only(await failing(t, { 'demo/syncs/things.ts': file }), 'missing-models');
});

test('a sync model without an id', async (t) => {
  const d = only(await failing(t, { 'demo/syncs/things.ts': syncFile('every hour', 'z.object({ name: z.string() })') }), 'model-without-id');
  assert.match(d.message, /model "Thing" has no `id`/);
  assert.equal(d.line, 6);
});

test('a bad frequency points at the frequency line', async (t) => {
  const d = only(await failing(t, { 'demo/syncs/things.ts': syncFile('every fortnight') }), 'bad-frequency');
  assert.equal(d.line, 5);
  assert.match(d.message, /Invalid frequency "every fortnight".*every 30 minutes/);
});

test('a relative import that cannot be resolved', async (t) => {
  const d = only(await failing(t, { 'demo/actions/echo.ts': `import { helper } from '../helpers/missing.js';\nhelper();\n${ACTION}` }), 'unresolved-import');
  assert.equal(formatDiagnostic(d).split(' - ')[0], 'integrations/demo/actions/echo.ts:1:24');
  assert.match(d.message, /"..\/helpers\/missing.js"/);
});

test('a missing package is reported by name with the npm install to run', async (t) => {
  const d = only(await failing(t, { 'demo/actions/echo.ts': `import soap from 'soap';\nconsole.log(soap);\n${ACTION}` }), 'missing-dependency');
  assert.match(d.message, /cannot find package "soap"\. Run `npm install soap` in the project folder/);
  assert.equal(d.line, 1);
});

test('a file without a default export of createX', async (t) => {
  const d = only(await failing(t, { 'demo/actions/echo.ts': ACTION.replace('export default', 'export const action =') }), 'missing-default-export');
  assert.match(d.message, /export default createAction/);
  const e = only(await failing(t, { 'demo/actions/echo.ts': 'export default { hello: 1 };\n' }), 'missing-default-export');
  assert.match(e.message, /not a function definition/);
  const legacy = only(await failing(t, { 'demo/syncs/old.ts': 'export default async function fetchData(nango: any) { await nango.batchSave([], "X"); }\n' }), 'missing-default-export');
  assert.match(legacy.message, /nango\.yaml style/);
});

test('a syntax error is reported as file:line:col', async (t) => {
  const d = only(await failing(t, { 'demo/actions/echo.ts': ACTION.replace("description: 'Echo',", "description: 'Echo' +,") }), 'syntax-error');
  assert.equal(formatDiagnostic(d).split(' - ')[0], 'integrations/demo/actions/echo.ts:4:24');
});

test('a type error is reported as file:line:col - error TSxxxx', async (t) => {
  const bad = ACTION.replace('exec: async (_nango, input) => ({ text: input.text }),', 'exec: async (_nango, input) => ({ text: input.length }),');
  const errors = await failing(t, { 'demo/actions/echo.ts': bad }, { typecheck: true });
  assert.ok(errors.every((e) => e.code.startsWith('TS') && e.file === 'integrations/demo/actions/echo.ts'), errors.map(formatDiagnostic).join('\n'));
  assert.match(formatDiagnostic(errors[0]!), /^integrations\/demo\/actions\/echo\.ts:7:\d+ - error TS\d+: /);
});

test('a top level that never finishes times out with the file named; the others still load', async (t) => {
  const errors = await failing(t, { 'demo/actions/hang.ts': `while (true) {}\n${ACTION}`, 'demo/actions/echo.ts': ACTION }, { loadTimeoutMs: 1500 });
  const d = only(errors, 'load-timeout');
  assert.equal(d.file, 'integrations/demo/actions/hang.ts');
});

test('a top level that throws is a load error naming the file', async (t) => {
  const d = only(await failing(t, { 'demo/actions/echo.ts': `throw new Error('boom at load');\n${ACTION}` }), 'load-error');
  assert.match(d.message, /boom at load/);
});

test('an index.ts import of a missing file points at index.ts', async (t) => {
  const errors = await failing(t, { 'index.ts': "import './demo/actions/echo.js';\nimport './demo/actions/gone.js';\n", 'demo/actions/echo.ts': ACTION });
  const d = only(errors, 'unresolved-import');
  assert.equal(formatDiagnostic(d).split(' - ')[0], 'integrations/index.ts:2:9');
});

test('http methods are found statically', () => {
  assert.deepEqual(scanHttpMethods(["await nango.post({ endpoint: '/a' });", "nango.delete<X>({}); nango.proxy({ method: 'PATCH' }); nango.paginate({})"]), ['GET', 'POST', 'PATCH', 'DELETE']);
  assert.deepEqual(scanHttpMethods(['const x = 1;']), []);
});
