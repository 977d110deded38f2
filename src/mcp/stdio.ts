/**
 * MCP over stdin/stdout (`patchbay serve --stdio`): the way Claude Desktop, Claude Code and
 * Cursor start a local server. stdout carries only protocol frames; logs go to stderr. The
 * session ends when the client closes stdin.
 *
 * @example
 * const session = await serveStdio(handlers, { scope: FULL_SCOPE, selection: { connectionId: 'alice' } }, { version });
 * await session.closed;
 */
import { Console } from 'node:console';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpCaller, McpHandlers } from './handlers.ts';
import { createMcpServer, type McpServerInfo } from './server.ts';

export interface StdioSession {
  /** Resolves when the client disconnects or `close()` ran. */
  closed: Promise<void>;
  close(): Promise<void>;
}

const STDOUT_METHODS = ['log', 'info', 'debug', 'dir', 'dirxml', 'table', 'group', 'groupCollapsed', 'groupEnd', 'count', 'countReset', 'time', 'timeEnd', 'timeLog'] as const;

/**
 * Sends every console method that would write to stdout to stderr instead: stdout carries only
 * protocol frames, and a stray `console.log` (an action run inline, a dependency) would corrupt
 * the stream. Worker threads already forward their output to stderr.
 */
export function keepStdoutForProtocol(): void {
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const target = console as unknown as Record<string, unknown>;
  const source = toStderr as unknown as Record<string, (...args: unknown[]) => void>;
  for (const method of STDOUT_METHODS) target[method] = source[method]!.bind(toStderr);
}

/** Connects one MCP server to this process's stdin/stdout. */
export async function serveStdio(handlers: McpHandlers, caller: McpCaller, info: McpServerInfo): Promise<StdioSession> {
  keepStdoutForProtocol();
  const server = createMcpServer(handlers, caller, info);
  const transport = new StdioServerTransport();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  server.onclose = () => resolveClosed();
  // The SDK's stdio transport does not notice stdin ending; a client that exits must end us.
  process.stdin.once('end', () => void server.close());
  process.stdin.once('close', () => void server.close());
  await server.connect(transport);
  // The SDK drops a line that is not JSON-RPC without a word; answer it as the spec asks, so a
  // sloppy client sees why instead of waiting forever for a reply.
  server.onerror = (error) => {
    if (!(error instanceof SyntaxError) && error.name !== 'ZodError') return;
    const message = error instanceof SyntaxError ? 'Parse error: a line is not valid JSON.' : 'Invalid request: a line is not a JSON-RPC 2.0 message.';
    const answer = { jsonrpc: '2.0', id: null, error: { code: error instanceof SyntaxError ? -32700 : -32600, message: `${message} Send one JSON-RPC object per line.` } };
    transport.send(answer as unknown as Parameters<typeof transport.send>[0]).catch(() => {});
  };
  return {
    closed,
    async close() {
      await server.close();
    },
  };
}
