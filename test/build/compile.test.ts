import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { compileProject, ensureBuilt, loadManifest, type FunctionManifest } from '../../src/build/index.ts';
import { isDefinition } from '../../src/define/create.ts';
import { PatchbayError } from '../../src/errors.ts';
import { ACTION, tempProject } from './project.ts';

function fn(functions: FunctionManifest[], name: string): FunctionManifest {
  const found = functions.find((f) => f.name === name);
  assert.ok(found, `function ${name} in manifest`);
  return found;
}

test('compiles the fake fixture: schemas, models, frequency, event, http methods, integration config', async (t) => {
  const project = tempProject();
  t.after(project.cleanup);
  const result = await compileProject(project.paths);
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.reused, false);
  const { manifest } = result;
  assert.deepEqual(manifest.integrations, [{ id: 'fake', dir: path.join(project.paths.integrationsDir, 'fake'), hasConfig: true }]);
  assert.deepEqual(manifest.functions.map((f) => `${f.type}:${f.name}`).sort(), ['action:create-issue', 'action:get-issue', 'onEvent:validate-connection', 'sync:issues']);

  const create = fn(manifest.functions, 'create-issue');
  assert.equal(create.source, 'fake/actions/create-issue.ts');
  assert.deepEqual(create.httpMethods, ['POST']);
  assert.deepEqual((create.input as { required: string[] }).required, ['title']);
  assert.equal((create.output as { properties: Record<string, unknown> }).properties['state'] !== undefined, true);

  const sync = fn(manifest.functions, 'issues');
  assert.deepEqual(Object.keys(sync.models ?? {}), ['Issue', 'Item']);
  assert.equal(sync.intervalMs, 3_600_000);
  assert.equal(sync.frequency, 'every hour');
  assert.equal(sync.syncType, 'full');
  assert.equal(sync.trackDeletes, true);
  assert.deepEqual(sync.httpMethods, ['GET']);
  assert.equal(fn(manifest.functions, 'validate-connection').event, 'validate-connection');

  const onDisk = await loadManifest(project.paths);
  assert.deepEqual(onDisk, manifest);
  assert.ok(existsSync(path.join(project.paths.buildDir, 'typecheck.tsbuildinfo')), 'incremental type-check state saved');
});

test('a bundle imports our SDK and our zod: brand and zod instances survive', async (t) => {
  const project = tempProject();
  t.after(project.cleanup);
  const { manifest } = await compileProject(project.paths, { typecheck: false });
  const bundle = fn(manifest.functions, 'create-issue').bundle;
  assert.ok(bundle.startsWith(project.paths.buildDir));
  const text = readFileSync(bundle, 'utf8');
  assert.match(text, /from "file:\/\/.*\/src\/index\.ts"/, 'nango resolved to our SDK, kept external');
  assert.match(text, /sourceMappingURL=data:application\/json/, 'inline source map');
  const mod = (await import(pathToFileURL(bundle).href)) as { default: { input: unknown; type: string } };
  assert.ok(isDefinition(mod.default));
  assert.equal(mod.default.type, 'action');
  assert.ok(mod.default.input instanceof z.ZodType, 'schemas are built with our zod');
});

test("node builtins stay external; the user's own packages (CommonJS too) are bundled from their folder", async (t) => {
  const project = tempProject({
    'node_modules/shout/package.json': '{ "name": "shout", "version": "1.0.0", "main": "index.js" }',
    'node_modules/shout/index.js': "const path = require('path');\nmodule.exports = (s) => s.toUpperCase() + path.sep;\n",
    'demo/actions/echo.ts': `import { createHash } from 'crypto';
import { readFileSync } from 'node:fs';
import shout from 'shout';
${ACTION.replace('({ text: input.text })', "({ text: shout(input.text) + createHash('sha1').update(String(typeof readFileSync)).digest('hex').length })")}`,
  });
  t.after(project.cleanup);
  const { manifest, diagnostics } = await compileProject(project.paths, { typecheck: false });
  assert.deepEqual(diagnostics, []);
  const bundle = fn(manifest.functions, 'echo').bundle;
  const text = readFileSync(bundle, 'utf8');
  assert.match(text, /from "crypto"/);
  assert.match(text, /from "node:fs"/);
  assert.match(text, /toUpperCase/, 'shout is inlined');
  const mod = (await import(pathToFileURL(bundle).href)) as { default: { exec: (n: unknown, i: { text: string }) => Promise<{ text: string }> } };
  assert.deepEqual(await mod.default.exec({}, { text: 'hi' }), { text: 'HI/40' });
});

test('unchanged sources reuse the build; a change or force rebuilds', async (t) => {
  const project = tempProject();
  t.after(project.cleanup);
  const first = await compileProject(project.paths, { typecheck: false });
  const again = await compileProject(project.paths, { typecheck: false });
  assert.equal(again.reused, true);
  assert.equal(again.manifest.sourceHash, first.manifest.sourceHash);
  assert.equal((await compileProject(project.paths, { typecheck: false, force: true })).reused, false);

  project.write('fake/actions/get-issue.ts', readFileSync(path.join(project.paths.integrationsDir, 'fake/actions/get-issue.ts'), 'utf8').replace('Fetch one issue', 'Read one issue'));
  const changed = await compileProject(project.paths, { typecheck: false });
  assert.equal(changed.reused, false);
  assert.deepEqual(changed.changed, ['fake/get-issue']);
  assert.match(fn(changed.manifest.functions, 'get-issue').description, /^Read one issue/);
  assert.equal(fn(changed.manifest.functions, 'create-issue').bundle, fn(first.manifest.functions, 'create-issue').bundle, 'unchanged bundle kept');

  rmSync(path.join(project.paths.integrationsDir, 'fake/actions/create-issue.ts'));
  const removed = await compileProject(project.paths, { typecheck: false });
  assert.deepEqual(removed.removed, ['fake/create-issue']);
  assert.equal(removed.manifest.functions.some((f) => f.name === 'create-issue'), false);

  // A build without type-check is not reused by one that wants it.
  assert.equal((await compileProject(project.paths, { typecheck: true })).reused, false);
  assert.equal((await compileProject(project.paths, { typecheck: false })).reused, true);
});

test('integrations/index.ts decides which files are functions', async (t) => {
  const project = tempProject({
    'index.ts': "import './demo/actions/kept.js';\n",
    'demo/actions/kept.ts': ACTION,
    'demo/actions/ignored.ts': ACTION,
  });
  t.after(project.cleanup);
  const { manifest, diagnostics } = await compileProject(project.paths, { typecheck: false });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(manifest.functions.map((f) => f.name), ['kept']);
});

test('an integration folder linked under another name is its own integration (alias)', async (t) => {
  const project = tempProject();
  t.after(project.cleanup);
  symlinkSync(path.join(project.paths.integrationsDir, 'fake'), path.join(project.paths.integrationsDir, 'fake-alias'), 'dir');
  const { manifest, diagnostics } = await compileProject(project.paths, { typecheck: false });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(manifest.integrations.map((i) => i.id), ['fake', 'fake-alias']);
  const alias = manifest.functions.filter((f) => f.integrationId === 'fake-alias').map((f) => f.name).sort();
  assert.deepEqual(alias, ['create-issue', 'get-issue', 'issues', 'validate-connection']);
  assert.notEqual(fn(manifest.functions.filter((f) => f.integrationId === 'fake-alias'), 'issues').bundle, fn(manifest.functions.filter((f) => f.integrationId === 'fake'), 'issues').bundle);
});

test('only compiles the named functions, and an unknown name is an error naming the known ones', async (t) => {
  const project = tempProject();
  t.after(project.cleanup);
  await compileProject(project.paths, { typecheck: false });
  const { manifest } = await compileProject(project.paths, { typecheck: false, only: ['fake/get-issue'] });
  assert.deepEqual(manifest.functions.map((f) => f.name), ['get-issue']);
  assert.equal((await loadManifest(project.paths)).functions.length, 4, 'a partial build leaves the full manifest alone');
  assert.equal((await compileProject(project.paths, { typecheck: false, only: ['fake/get-issue'] })).reused, true);
  await assert.rejects(compileProject(project.paths, { only: ['fake/nope'] }), (error: unknown) => {
    return error instanceof PatchbayError && error.code === 'FUNCTION_NOT_FOUND' && /fake\/nope/.test(error.message) && /fake\/get-issue/.test(error.message);
  });
  const full = await compileProject(project.paths, { typecheck: false });
  assert.equal(full.reused, true);
  assert.equal(full.manifest.functions.length, 4);
});

test('loadManifest without a build, and a missing integrations folder, say what to run', async (t) => {
  const project = tempProject({});
  t.after(project.cleanup);
  await assert.rejects(loadManifest(project.paths), (e: unknown) => e instanceof PatchbayError && e.code === 'BUILD_NOT_FOUND' && /patchbay compile/.test(e.message));
  const missing = { ...project.paths, integrationsDir: path.join(project.root, 'nowhere') };
  await assert.rejects(ensureBuilt(missing), (e: unknown) => e instanceof PatchbayError && e.code === 'NOT_FOUND' && /patchbay init/.test(e.message));
});

test('ensureBuilt compiles once, then reuses; a broken file throws COMPILE_ERROR with file:line:col', async (t) => {
  const project = tempProject({ 'demo/actions/echo.ts': ACTION });
  t.after(project.cleanup);
  const built = await ensureBuilt(project.paths, { typecheck: false });
  const again = await ensureBuilt(project.paths, { typecheck: false });
  assert.equal(again.builtAt, built.builtAt);
  project.write('demo/actions/echo.ts', ACTION.replace("description: 'Echo',", "description: 'Echo',,"));
  await assert.rejects(ensureBuilt(project.paths, { typecheck: false }), (e: unknown) => {
    return e instanceof PatchbayError && e.code === 'COMPILE_ERROR' && /integrations\/demo\/actions\/echo\.ts:4:\d+/.test(String(e.details));
  });
  assert.equal((await loadManifest(project.paths)).builtAt, built.builtAt, 'the previous build is untouched');
});

test("the integrations folder's own tsconfig.json sets the type-check's strictness", async (t) => {
  const loose = ACTION.replace('export default', 'function twice(x) { return [x, x]; }\nvoid twice;\nexport default');
  const strict = tempProject({ 'demo/actions/echo.ts': loose });
  t.after(strict.cleanup);
  const errors = (await compileProject(strict.paths)).diagnostics;
  assert.deepEqual(errors.map((d) => d.code), ['TS7006'], 'strict by default: implicit any');

  const relaxed = tempProject({ 'demo/actions/echo.ts': loose, 'tsconfig.json': '{ "compilerOptions": { "strict": true, "noImplicitAny": false } }' });
  t.after(relaxed.cleanup);
  assert.deepEqual((await compileProject(relaxed.paths)).diagnostics, []);
});
