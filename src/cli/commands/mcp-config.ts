/**
 * `patchbay mcp-config`: prints a ready `mcpServers` entry for an MCP client, with absolute
 * paths to this Node binary and this CLI so the client needs no PATH or working directory
 * (Claude Desktop has neither), and PATCHBAY_HOME set. For Claude Code it prints the
 * `claude mcp add` command instead. `--write` saves the JSON (default `mcp.json`).
 *
 * @example
 * patchbay mcp-config --client claude-desktop --connection alice
 * patchbay mcp-config --client claude-code
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
}

/** The stdio server entry: absolute node, absolute CLI, global paths as flags and env. */
export function serverEntry(options: { root: string; integrationsDir: string; home: string; connection?: string | undefined; catalog?: boolean | undefined; tools?: string | undefined }) {
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

const WHERE: Record<Exclude<Client, 'claude-code'>, string> = {
  'claude-desktop':
    'Merge into claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: %APPDATA%\\Claude\\), then restart Claude Desktop.',
  cursor: 'Merge into .cursor/mcp.json in your project (or ~/.cursor/mcp.json for every project).',
  generic: 'Merge into your MCP client configuration (the usual `mcpServers` format).',
};

/** Registers `mcp-config`. */
export function register(program: Command): void {
  program
    .command('mcp-config')
    .description('Print an mcpServers entry (or the claude mcp add command) that starts this project as an MCP server')
    .option('--client <client>', `${CLIENTS.join(' | ')}`, 'generic')
    .option('--name <name>', 'server name in the client', 'patchbay')
    .option('--connection <id>', 'connection the tools use (passed to serve --connection)')
    .option('--catalog', 'catalog mode: three meta-tools instead of one per action')
    .option('--tools <globs>', 'only these tools, e.g. "github_*,slack_post-message"')
    .option('--write [file]', 'write the JSON to a file (default mcp.json) instead of stdout')
    .action((options: McpConfigOptions, command: Command) => {
      if (!(CLIENTS as readonly string[]).includes(options.client)) {
        throw new PatchbayError('INVALID_ARGUMENT', `--client must be one of ${CLIENTS.join(', ')}; got "${options.client}".`);
      }
      const paths = pathsFrom(command);
      const entry = serverEntry({ root: paths.root, integrationsDir: paths.integrationsDir, home: paths.home, connection: options.connection, catalog: options.catalog, tools: options.tools });
      const client = options.client as Client;
      if (client === 'claude-code') {
        const parts = ['claude', 'mcp', 'add', options.name, '--scope', 'project', '-e', `PATCHBAY_HOME=${entry.env.PATCHBAY_HOME}`, '--', entry.command, ...entry.args];
        process.stdout.write(`${parts.map(shellQuote).join(' ')}\n`);
        return;
      }
      // Claude Desktop ignores cwd; absolute --integrations/--home make it unnecessary.
      const server = client === 'claude-desktop' ? { command: entry.command, args: entry.args, env: entry.env } : entry;
      const json = `${JSON.stringify({ mcpServers: { [options.name]: server } }, null, 2)}\n`;
      if (options.write !== undefined && options.write !== false) {
        const file = path.resolve(typeof options.write === 'string' ? options.write : 'mcp.json');
        writeFileSync(file, json);
        process.stderr.write(`Wrote ${file}. ${WHERE[client]}\n`);
        return;
      }
      process.stdout.write(json);
      process.stderr.write(`${WHERE[client]}\n`);
    });
}
