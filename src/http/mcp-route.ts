/**
 * `/mcp`: MCP over Streamable HTTP in stateless mode. Each POST gets a fresh SDK server and
 * transport (`sessionIdGenerator: undefined`), so clients that drop `Mcp-Session-Id` still
 * work and any number of server processes can sit behind a load balancer. GET and DELETE are
 * 405: there is no session to stream to or end.
 *
 * Plain requests (list, calls without a progress token) are answered as JSON; calls with a
 * progress token stream SSE so progress notifications reach the client. Because the SDK's
 * own cancellation needs one session, this route keeps a small table of in-flight calls: a
 * `notifications/cancelled` POST from the same key aborts the call, and so does the client
 * closing the connection. Either way the executor's signal fires and the upstream request ends.
 *
 * @example
 * const mcp = createMcpRoute({ handlers, info: { version } });
 * await mcp.handle(req, res, body, scope, selection);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpHandlers } from '../mcp/handlers.ts';
import type { ConnectionSelection } from '../mcp/scope.ts';
import { createMcpServer, type McpServerInfo } from '../mcp/server.ts';
import { sendJson } from './respond.ts';
import type { ApiScope } from '../access/scope.ts';

interface JsonRpcLike {
  jsonrpc?: unknown;
  id?: string | number;
  method?: unknown;
  params?: { requestId?: string | number; _meta?: { progressToken?: unknown } };
}

export interface McpRoute {
  /** Answers one POST whose JSON body was already read. */
  handle(req: IncomingMessage, res: ServerResponse, body: unknown, scope: ApiScope, selection: ConnectionSelection): Promise<void>;
  /** Aborts every in-flight call (shutdown). */
  abortAll(): void;
  /** In-flight calls, for tests and /health. */
  inFlight(): number;
}

function messagesOf(body: unknown): JsonRpcLike[] {
  const list = Array.isArray(body) ? body : [body];
  return list.filter((item): item is JsonRpcLike => typeof item === 'object' && item !== null);
}

/** A JSON-RPC error answer for bodies the transport must not see. */
export function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Builds the `/mcp` handler around shared handlers. */
export function createMcpRoute(options: { handlers: McpHandlers; info: McpServerInfo }): McpRoute {
  const running = new Map<string, AbortController>();
  const keyOf = (scope: ApiScope, id: string | number) => `${scope.keyId ?? '-'}\u0000${typeof id}:${id}`;

  return {
    inFlight: () => running.size,
    abortAll() {
      for (const controller of running.values()) controller.abort(new Error('server shutting down'));
    },
    async handle(req, res, body, scope, selection) {
      const messages = messagesOf(body);
      // Cancellation for a call running under another (stateless) request of the same key.
      for (const message of messages) {
        if (message.method === 'notifications/cancelled' && message.params?.requestId !== undefined) {
          running.get(keyOf(scope, message.params.requestId))?.abort(new Error('cancelled by the client'));
        }
      }
      const requests = messages.filter((message) => message.id !== undefined && typeof message.method === 'string');
      const controller = new AbortController();
      const keys = requests.map((message) => keyOf(scope, message.id!));
      for (const key of keys) running.set(key, controller);
      const streaming = requests.some((message) => message.params?._meta?.progressToken !== undefined);

      const server = createMcpServer(options.handlers, { scope, selection }, { ...options.info, signal: controller.signal });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !streaming });
      const finish = () => {
        for (const key of keys) if (running.get(key) === controller) running.delete(key);
      };
      res.once('close', () => {
        if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
        finish();
        void transport.close().catch(() => {});
        void server.close().catch(() => {});
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
  };
}
