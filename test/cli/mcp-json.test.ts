/**
 * The checked-in MCP entries: `.mcp.json` (Claude Code, which expands `${VAR:-default}`) and
 * `mcp.json` start `bin/patchbay`, a shim that brings Node 24 when the machine's node is older.
 * Here the entry is expanded as Claude Code does, started from another folder under the
 * machine's default node, and driven with the MCP SDK's own Client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Entry {
  command: string;
  args: string[];
}

/** `${VAR}` and `${VAR:-default}` as Claude Code expands them in `.mcp.json`. */
function expand(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '');
}

/** PATH with the machine's own node first (/usr/bin), as a client started outside this shell sees it. */
function machinePath(): string {
  return ['/usr/local/bin', '/usr/bin', '/bin', ...(process.env['PATH'] ?? '').split(':')].join(':');
}

test('both files name the shim and the same arguments', () => {
  const claude = (JSON.parse(readFileSync(path.join(ROOT, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, Entry> }).mcpServers['patchbay']!;
  const generic = (JSON.parse(readFileSync(path.join(ROOT, 'mcp.json'), 'utf8')) as { mcpServers: Record<string, Entry> }).mcpServers['patchbay']!;
  assert.equal(claude.command, 'sh');
  assert.deepEqual(
    claude.args.map((arg) => expand(arg, { CLAUDE_PROJECT_DIR: '.' })),
    generic.args.map((arg) => (['bin/patchbay', 'integrations', '.patchbay'].includes(arg) ? `./${arg}` : arg)),
  );
});

test('the shim runs under the machine default node, from any folder', () => {
  const run = spawnSync('sh', [path.join(ROOT, 'bin', 'patchbay'), '--version'], { cwd: os.tmpdir(), env: { ...process.env, PATH: machinePath() }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('the .mcp.json entry, expanded as Claude Code does and started elsewhere, serves tools over stdio', { timeout: 180_000 }, async (t) => {
  // A project that looks like this checkout (shim, sources, modules linked; its own state).
  const project = mkdtempSync(path.join(os.tmpdir(), 'patchbay-mcpjson-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  for (const part of ['bin', 'scripts', 'src', 'node_modules', 'package.json', 'catalog']) symlinkSync(path.join(ROOT, part), path.join(project, part));
  cpSync(path.join(ROOT, 'integrations'), path.join(project, 'integrations'), { recursive: true });
  const entry = (JSON.parse(readFileSync(path.join(ROOT, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, Entry> }).mcpServers['patchbay']!;
  const env = { ...process.env, PATH: machinePath(), CLAUDE_PROJECT_DIR: project } as Record<string, string>;
  delete env['PATCHBAY_HOME'];
  delete env['PATCHBAY_INTEGRATIONS'];
  const client = new Client({ name: 'mcp-json-test', version: '1' });
  await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args.map((arg) => expand(arg, env)), cwd: os.tmpdir(), env, stderr: 'ignore' }));
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'github_create-issue'), tools.map((tool) => tool.name).join(', '));
  } finally {
    await client.close();
  }
});
