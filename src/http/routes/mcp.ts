/**
 * The HTTP door to step 1 of a tool call — `POST /mcp`: MCP over Streamable HTTP, stateless.
 * Each POST gets a fresh SDK server and web-standard transport (`sessionIdGenerator: undefined`),
 * so clients that drop `Mcp-Session-Id` still work and any number of server processes can sit
 * behind a load balancer. GET and DELETE are 405: there is no session to stream to or end. A
 * call then goes to mcp/handlers.ts (step 1) → runtime/executor.ts (step 2).
 *
 * Plain requests (list, calls without a progress token) are answered as JSON; calls with a
 * progress token stream SSE so progress notifications reach the client. Because the SDK's own
 * cancellation needs one session, this route keeps a small table of in-flight requests, one
 * entry per HTTP request. The answer to `initialize` carries an `Mcp-Session-Id` that is only a
 * client tag (no state is kept for it; any process accepts any tag): clients echo it, so a
 * `notifications/cancelled` POST aborts the call of the same key and tag, never another client's
 * that happens to share the key and the JSON-RPC id. A cancel without a tag aborts a call only
 * when exactly one untagged call of that key has that id. The client closing the connection
 * aborts its call too. Either way the executor's signal fires and the upstream request ends.
 *
 * @example
 * const mcp = createMcpRoute({ handlers, info: { version } });
 * app.post('/mcp', requireKey(verify), limitBody(max), (c) => mcp.handle(c));
 */
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import type { ApiScope } from '../../access/scope.ts';
import { PatchbayError } from '../../errors.ts';
import type { McpHandlers } from '../../mcp/handlers.ts';
import { createMcpServer, type McpServerInfo } from '../../mcp/server.ts';
import { selectionFromHeaders } from '../auth.ts';
import type { AppEnv } from '../middleware.ts';

interface JsonRpcLike {
  jsonrpc?: unknown;
  id?: string | number;
  method?: unknown;
  params?: { requestId?: string | number; _meta?: { progressToken?: unknown } };
}

export interface McpRoute {
  /** Answers one POST (after the key and body-size middleware). */
  handle(c: Context<AppEnv>): Promise<Response>;
  /** Aborts every in-flight call (shutdown). */
  abortAll(): void;
  /** HTTP requests in flight, for tests and /health. */
  inFlight(): number;
}

/** A body the JSON parser refused: answered as JSON-RPC -32700 by the app's error handler. */
export function isParseError(error: unknown): boolean {
  return error instanceof PatchbayError && (error.details as { reason?: string } | undefined)?.reason === 'parse_error';
}

function messagesOf(body: unknown): JsonRpcLike[] {
  const list = Array.isArray(body) ? body : [body];
  return list.filter((item): item is JsonRpcLike => typeof item === 'object' && item !== null);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PatchbayError('INVALID_ARGUMENT', `Parse error: The request body is not valid JSON: ${(error as Error).message}`, { details: { reason: 'parse_error' } });
  }
}

/** Builds the `/mcp` handler around shared handlers. */
export function createMcpRoute(options: { handlers: McpHandlers; info: McpServerInfo }): McpRoute {
  /** Every HTTP request in flight, and the same requests by (key, client tag, JSON-RPC id). */
  const active = new Set<AbortController>();
  const byCall = new Map<string, Set<AbortController>>();
  const callKey = (scope: ApiScope, tag: string | undefined, id: string | number) => `${scope.keyId ?? '-'}\u0000${tag ?? ''}\u0000${typeof id}:${id}`;

  return {
    inFlight: () => active.size,
    abortAll() {
      for (const controller of active) controller.abort(new Error('server shutting down'));
    },
    async handle(c) {
      const body = await readJson(c);
      const scope = c.get('scope');
      const tag = c.req.header('mcp-session-id') || undefined;
      const messages = messagesOf(body);
      // Cancellation of a call running under another (stateless) request of the same client.
      for (const message of messages) {
        if (message.method === 'notifications/cancelled' && message.params?.requestId !== undefined) {
          const matches = byCall.get(callKey(scope, tag, message.params.requestId));
          if (matches && (tag !== undefined || matches.size === 1)) for (const match of matches) match.abort(new Error('cancelled by the client'));
        }
      }
      const requests = messages.filter((message) => message.id !== undefined && typeof message.method === 'string');
      const controller = new AbortController();
      const keys = requests.map((message) => callKey(scope, tag, message.id!));
      active.add(controller);
      for (const key of keys) {
        let set = byCall.get(key);
        if (!set) byCall.set(key, (set = new Set()));
        set.add(controller);
      }
      const initializing = requests.some((message) => message.method === 'initialize');
      const streaming = requests.some((message) => message.params?._meta?.progressToken !== undefined);

      const server = createMcpServer(options.handlers, { scope, selection: selectionFromHeaders(c.req.header()) }, { ...options.info, signal: controller.signal });
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: !streaming });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        active.delete(controller);
        for (const key of keys) {
          const set = byCall.get(key);
          set?.delete(controller);
          if (set?.size === 0) byCall.delete(key);
        }
        void transport.close().catch(() => {});
        void server.close().catch(() => {});
      };
      const outgoing = c.env?.outgoing;
      if (outgoing) {
        // The socket closing before the answer was written is the client giving up.
        outgoing.once('close', () => {
          if (!outgoing.writableFinished) controller.abort(new Error('client closed the connection'));
          finish();
        });
      } else {
        c.req.raw.signal.addEventListener('abort', () => controller.abort(new Error('client closed the connection')), { once: true });
      }
      await server.connect(transport);
      const response = await transport.handleRequest(c.req.raw, { parsedBody: body });
      // Without node bindings (app.request in tests) a JSON answer is complete here.
      if (!outgoing && !streaming) finish();
      if (initializing && response.ok && !response.headers.has('mcp-session-id')) response.headers.set('mcp-session-id', tag ?? randomUUID());
      return response;
    },
  };
}
