import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProject, formatDiagnostic } from '../../src/build/index.ts';
import { resolvePaths } from '../../src/config/paths.ts';

/** Copies an examples folder into a fresh project and compiles it with the type-check. */
async function compileCopy(t: { after(fn: () => void): void }, relative: string, as = '') {
  const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-examples-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(fileURLToPath(new URL(`../../${relative}`, import.meta.url)), path.join(root, 'integrations', as), { recursive: true });
  return compileProject(resolvePaths({ cwd: root, env: {} }));
}

test("the repository's example integrations (github, slack) type-check and compile", async (t) => {
  const { manifest, diagnostics } = await compileCopy(t, 'integrations');
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.deepEqual(manifest.functions.map((f) => `${f.integrationId}/${f.name}`).sort(), ['github/create-issue', 'github/issues', 'slack/channels', 'slack/post-message']);
  assert.ok(manifest.integrations.every((i) => i.hasConfig));
  const issues = manifest.functions.find((f) => f.name === 'issues')!;
  assert.equal(issues.syncType, 'incremental');
  assert.ok(issues.metadata && issues.checkpoint, 'metadata and checkpoint schemas');
  assert.deepEqual(manifest.functions.find((f) => f.name === 'post-message')!.httpMethods, ['GET', 'POST']);
});

test("init's example (integrations/github) type-checks and compiles on its own", async (t) => {
  const { manifest, diagnostics } = await compileCopy(t, 'integrations/github', 'github');
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.deepEqual(manifest.functions.map((f) => f.name).sort(), ['create-issue', 'issues']);
});
