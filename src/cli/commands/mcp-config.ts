/**
 * `patchbay mcp-config`: a ready `mcpServers` entry for an MCP client, with absolute paths to
 * this Node binary and this CLI so the client needs no PATH or working directory (Claude Desktop
 * has neither), and PATCHBAY_HOME set. Printed by default (for Claude Code, the `claude mcp add`
 * command); `--write` merges it into the client's config file — every other server and key is
 * kept, and a different entry under the same name is replaced only with `--force`.
 *
 * @example
 * patchbay mcp-config --client claude-desktop --connection alice
 * patchbay mcp-config --client cursor --write            # .cursor/mcp.json in this project
 * patchbay mcp-config --client claude-code --write       # .mcp.json in this project
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { PatchbayError } from '../../errors.ts';
import { pathsFrom } from '../options.ts';

const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'generic'] as const;
type Client = (typeof CLIENTS)[number];

interface McpConfigOptions {
  client: string;
  name: string;
  connection?: string;
  catalog?: boolean;
  tools?: string;
  write?: string | boolean;
  force?: boolean;
}

/** One server as MCP clients write it under `mcpServers`. */
export interface ServerEntry {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
}

/** The stdio server entry: absolute node, absolute CLI, global paths as flags and env. */
export function serverEntry(options: { root: string; integrationsDir: string; home: string; connection?: string | undefined; catalog?: boolean | undefined; tools?: string | undefined }): Required<ServerEntry> {
  const cli = process.argv[1] ? path.resolve(process.argv[1]) : fileURLToPath(new URL('../main.ts', import.meta.url));
  const args = [cli, '--integrations', options.integrationsDir, '--home', options.home, 'serve', '--stdio'];
  if (options.connection) args.push('--connection', options.connection);
  if (options.catalog) args.push('--catalog');
  if (options.tools) args.push('--tools', options.tools);
  return { command: process.execPath, args, cwd: options.root, env: { PATCHBAY_HOME: options.home } };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Where each client reads its servers from (what `--write` without a file writes). */
export function defaultConfigFile(client: Client, root: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  switch (client) {
    case 'cursor':
      return path.join(root, '.cursor', 'mcp.json');
    case 'claude-code':
      return path.join(root, '.mcp.json');
    case 'generic':
      return path.join(root, 'mcp.json');
    case 'claude-desktop':
      if (platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
      if (platform === 'win32') return path.join(env['APPDATA'] ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
      return path.join(env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config'), 'Claude', 'claude_desktop_config.json');
  }
}

const AFTER_WRITE: Record<Client, string> = {
  'claude-desktop': 'Restart Claude Desktop to load it.',
  'claude-code': 'Claude Code asks to approve project servers on its next start in this folder.',
  cursor: 'Cursor picks it up in Settings → MCP (enable the server there).',
  generic: 'Point your MCP client at this file.',
};

const WHERE: Record<Exclude<Client, 'claude-code'>, string> = {
  'claude-desktop': 'Merge into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\), then restart Claude Desktop; or run again with --write.',
  cursor: 'Merge into .cursor/mcp.json in your project (or ~/.cursor/mcp.json for every project), or run again with --write.',
  generic: 'Merge into your MCP client configuration (the usual `mcpServers` format), or run again with --write <file>.',
};

/**
 * Merges `entry` under `mcpServers[name]` of the JSON config in `file` and writes it back
 * atomically (temp file + rename, same mode). Everything else in the file is kept. A different
 * entry under `name` is an error unless `force`. Returns what happened.
 *
 * @example
 * mergeServerEntry('.cursor/mcp.json', 'patchbay', entry, { force: false }) // 'added'
 */
export function mergeServerEntry(file: string, name: string, entry: object, options: { force: boolean }): 'added' | 'updated' | 'unchanged' {
  let config: Record<string, unknown> = {};
  let mode: number | undefined;
  if (existsSync(file)) {
    mode = statSync(file).mode & 0o777;
    const text = readFileSync(file, 'utf8');
    if (text.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new PatchbayError('INVALID_CONFIG', `${file} is not valid JSON (${(error as Error).message}); fix or move it, then run again. Nothing was written.`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new PatchbayError('INVALID_CONFIG', `${file} does not hold a JSON object; fix or move it, then run again. Nothing was written.`);
      }
      config = parsed as Record<string, unknown>;
    }
  }
  const servers = config['mcpServers'] ?? {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    throw new PatchbayError('INVALID_CONFIG', `"mcpServers" in ${file} is not an object; fix it, then run again. Nothing was written.`);
  }
  const existing = (servers as Record<string, unknown>)[name];
  if (existing !== undefined && isDeepStrictEqual(existing, entry)) return 'unchanged';
  if (existing !== undefined && !options.force) {
    throw new PatchbayError(
      'INVALID_ARGUMENT',
      `${file} already has a different server named "${name}". Keep it and pick another name with --name, or replace it with --force. Nothing was written.`,
    );
  }
  const next = { ...config, mcpServers: { ...(servers as Record<string, unknown>), [name]: entry } };
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, mode !== undefined ? { mode } : {});
  renameSync(temp, file);
  return existing === undefined ? 'added' : 'updated';
}

/** Registers `mcp-config`. */
export function register(program: Command): void {
  program
    .command('mcp-config')
    .description('Print (or --write into the client config) an mcpServers entry that starts this project as an MCP server')
    .option('--client <client>', `${CLIENTS.join(' | ')}`, 'generic')
    .option('--name <name>', 'server name in the client', 'patchbay')
    .option('--connection <id>', 'connection the tools use (passed to serve --connection)')
    .option('--catalog', 'catalog mode: meta-tools instead of one per action')
    .option('--tools <globs>', 'only these tools, e.g. "github_*,slack_post-message"')
    .option('--write [file]', "merge the entry into the client's config file (default: the client's own file; generic: mcp.json)")
    .option('--force', 'with --write: replace a different entry of the same name')
    .action((options: McpConfigOptions, command: Command) => {
      if (!(CLIENTS as readonly string[]).includes(options.client)) {
        throw new PatchbayError('INVALID_ARGUMENT', `--client must be one of ${CLIENTS.join(', ')}; got "${options.client}".`);
      }
      const paths = pathsFrom(command);
      const entry = serverEntry({ root: paths.root, integrationsDir: paths.integrationsDir, home: paths.home, connection: options.connection, catalog: options.catalog, tools: options.tools });
      const client = options.client as Client;
      // Claude Desktop ignores cwd; absolute --integrations/--home make it unnecessary.
      const server: ServerEntry = client === 'claude-desktop' || client === 'claude-code' ? { command: entry.command, args: entry.args, env: entry.env } : entry;
      if (options.write !== undefined && options.write !== false) {
        const file = path.resolve(typeof options.write === 'string' ? options.write : defaultConfigFile(client, paths.root));
        const outcome = mergeServerEntry(file, options.name, client === 'claude-code' ? { type: 'stdio', ...server } : server, { force: options.force === true });
        const what = outcome === 'unchanged' ? `${file} already has this "${options.name}" server; nothing to change.` : `${outcome === 'added' ? 'Added' : 'Replaced'} the "${options.name}" server in ${file}.`;
        process.stderr.write(`${what} ${outcome === 'unchanged' ? '' : AFTER_WRITE[client]}`.trimEnd() + '\n');
        return;
      }
      if (client === 'claude-code') {
        const parts = ['claude', 'mcp', 'add', options.name, '--scope', 'project', '-e', `PATCHBAY_HOME=${entry.env['PATCHBAY_HOME']}`, '--', entry.command, ...entry.args];
        process.stdout.write(`${parts.map(shellQuote).join(' ')}\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify({ mcpServers: { [options.name]: server } }, null, 2)}\n`);
      process.stderr.write(`${WHERE[client]}\n`);
    });
}
