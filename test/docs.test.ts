/**
 * The docs say only what is served: every integration.json example in README.md and docs/*.md
 * (a ```json block with a "provider") loads through the same code as `serve`, with every
 * `${ENV}` it names set.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolvePaths } from '../src/config/paths.ts';
import { loadIntegrationConfig } from '../src/providers/integration.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function examples(): Array<{ where: string; text: string }> {
  const found: Array<{ where: string; text: string }> = [];
  for (const file of FILES) {
    const markdown = readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of markdown.matchAll(/```json\n([\s\S]*?)```/g)) {
      const text = match[1]!;
      if (!/^\s*\{\s*"provider"/.test(text)) continue;
      found.push({ where: `${file}:${markdown.slice(0, match.index).split('\n').length}`, text });
    }
  }
  return found;
}

test('every integration.json example in the docs loads as serve loads it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-docs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = resolvePaths({ cwd: dir });
  const list = examples();
  assert.ok(list.length >= 4, `found only ${list.length} examples`);
  for (const [i, { where, text }] of list.entries()) {
    const env = Object.fromEntries([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => [m[1]!, `value-of-${m[1]}`]));
    const id = `example${i}`;
    mkdirSync(path.join(paths.integrationsDir, id), { recursive: true });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      assert.fail(`${where}: the example is not valid JSON (${(error as Error).message})`);
    }
    writeFileSync(path.join(paths.integrationsDir, id, 'integration.json'), JSON.stringify(parsed));
    await assert.doesNotReject(loadIntegrationConfig(paths, id, env), `${where} does not load`);
  }
});
