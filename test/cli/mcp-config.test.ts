/**
 * `mcp-config --write` as a user runs it: into an existing client config it merges (every other
 * server and key kept), a different entry of the same name is replaced only with --force, a
 * broken file is never overwritten, and every client has its own default file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function project(t: { after(fn: () => void): void }): { dir: string; run: (...args: string[]) => { status: number | null; stdout: string; stderr: string } } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-mcpcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'integrations'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config') };
  delete env['PATCHBAY_HOME'];
  return { dir, run: (...args) => spawnSync(process.execPath, [CLI, 'mcp-config', ...args], { cwd: dir, env, encoding: 'utf8' }) };
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; type?: string }> } & Record<string, unknown>;

test('cursor --write merges into .cursor/mcp.json, keeping the other servers and keys; again is a no-op', (t) => {
  const { dir, run } = project(t);
  const file = path.join(dir, '.cursor', 'mcp.json');
  mkdirSync(path.dirname(file));
  writeFileSync(file, JSON.stringify({ mcpServers: { github: { command: 'gh-mcp', args: [] } }, inputs: [{ id: 'token' }] }));
  const first = run('--client', 'cursor', '--write');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /Added the "patchbay" server in .*\.cursor\/mcp\.json/);
  assert.doesNotMatch(first.stderr, /Merge into/);
  const written = read(file);
  assert.deepEqual(written.mcpServers['github'], { command: 'gh-mcp', args: [] });
  assert.deepEqual(written['inputs'], [{ id: 'token' }]);
  assert.equal(written.mcpServers['patchbay']!.command, process.execPath);
  assert.ok(written.mcpServers['patchbay']!.args.includes('--stdio'));
  const again = run('--client', 'cursor', '--write');
  assert.equal(again.status, 0);
  assert.match(again.stderr, /already has this "patchbay" server; nothing to change/);
});

test('a different entry of the same name is kept unless --force; a broken file is never overwritten', (t) => {
  const { dir, run } = project(t);
  const file = path.join(dir, 'clients.json');
  writeFileSync(file, JSON.stringify({ mcpServers: { patchbay: { command: 'other', args: ['x'] } } }));
  const refused = run('--write', file, '--connection', 'alice');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^error \[INVALID_ARGUMENT\]: .*already has a different server named "patchbay".*--force/);
  assert.deepEqual(read(file).mcpServers['patchbay'], { command: 'other', args: ['x'] });
  const forced = run('--write', file, '--connection', 'alice', '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /Replaced the "patchbay" server/);
  assert.ok(read(file).mcpServers['patchbay']!.args.includes('alice'));
  const other = run('--write', file, '--name', 'patchbay-2');
  assert.equal(other.status, 0, other.stderr);
  assert.deepEqual(Object.keys(read(file).mcpServers).sort(), ['patchbay', 'patchbay-2']);

  writeFileSync(file, '{ "mcpServers": { oops');
  const broken = run('--write', file);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /^error \[INVALID_CONFIG\]: .*clients\.json is not valid JSON.*Nothing was written/);
  assert.equal(readFileSync(file, 'utf8'), '{ "mcpServers": { oops');
});

test('every client has a --write default: .mcp.json for Claude Code, the desktop config for Claude Desktop, mcp.json otherwise', (t) => {
  const { dir, run } = project(t);
  assert.equal(run('--client', 'claude-code', '--write').status, 0);
  const code = read(path.join(dir, '.mcp.json')).mcpServers['patchbay']!;
  assert.equal(code.type, 'stdio');
  assert.equal(code.command, process.execPath);
  if (process.platform === 'linux') {
    assert.equal(run('--client', 'claude-desktop', '--write').status, 0);
    assert.ok(existsSync(path.join(dir, '.config', 'Claude', 'claude_desktop_config.json')));
  }
  assert.equal(run('--write').status, 0);
  assert.ok(read(path.join(dir, 'mcp.json')).mcpServers['patchbay']);
});
