/**
 * The MCP server object: the SDK's low-level `Server` holding our two handlers. One is made per
 * stdio session, and one per HTTP request in stateless mode (cheap: the handlers and catalog
 * are built once and shared). Progress tokens become `notifications/progress`, the SDK's
 * per-request abort signal (fired by `notifications/cancelled`) reaches the executor.
 *
 * @example
 * const server = createMcpServer(handlers, { scope: FULL_SCOPE, selection: {} }, { version: '0.1.0' });
 * await server.connect(new StdioServerTransport());
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { CallToolRequestParamsSchema, CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from './protocol-error.ts';
import { z } from 'zod';
import type { ProgressUpdate } from '../runtime/types.ts';
import type { CallExtras, McpCaller, McpHandlers } from './handlers.ts';

export interface McpServerInfo {
  version: string;
  /** Extra abort signal (the HTTP request closing), combined with the SDK's own. */
  signal?: AbortSignal;
  /** Told about every call, for logs. */
  onCall?: (event: McpCallEvent) => void;
}

/** One finished tool call, for the audit log (no arguments: they may hold personal data). */
export interface McpCallEvent {
  tool: string;
  durationMs: number;
  isError: boolean;
  /** The API key's name (HTTP), absent on stdio and `--no-auth`. */
  key?: string;
}

const INSTRUCTIONS =
  'Tools run integration actions against third-party APIs through patchbay connections. ' +
  'When a tool has a connection_id argument, pick the account the user means. ' +
  'Errors say what to do next (fix a field, re-authorise a connection, wait for a rate limit).';

/**
 * tools/call whose params we check ourselves: the SDK's own check of the request answers a
 * non-object `arguments` or a missing `name` with -32603 and a raw zod dump; this answers
 * -32602 (invalid params) with one line naming each bad field.
 */
const CallToolRequest = CallToolRequestSchema.extend({
  params: z.unknown().transform((params) => {
    const parsed = CallToolRequestParamsSchema.safeParse(params);
    if (parsed.success) return parsed.data;
    const fields = parsed.error.issues.map((issue) => `${['params', ...issue.path].join('.')}: ${issue.message}`);
    throw new ProtocolError(ErrorCode.InvalidParams, `Invalid tools/call request (${fields.join('; ')}). Send {"name": "<tool>", "arguments": {...}}.`);
  }),
});

/**
 * One JSON Schema validator for every server of the process, made on first use. The SDK's
 * `Server` builds a fresh Ajv (meta-schemas, vocabularies: ~1 ms of CPU) unless given one, and
 * stateless HTTP makes a server per request; patchbay's servers never ask it to validate anything
 * (no elicitation), so most processes never build one at all.
 */
let sharedValidator: AjvJsonSchemaValidator | undefined;
const lazyValidator: jsonSchemaValidator = {
  getValidator: (schema) => (sharedValidator ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/** A new SDK server answering tools/list and tools/call for one caller. */
export function createMcpServer(handlers: McpHandlers, caller: McpCaller, info: McpServerInfo): Server {
  const server = new Server(
    { name: 'patchbay', version: info.version },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS, jsonSchemaValidator: lazyValidator },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await handlers.listTools(caller) }));

  server.setRequestHandler(CallToolRequest, async (request, extra) => {
    const started = performance.now();
    const extras: CallExtras = { signal: info.signal ? AbortSignal.any([extra.signal, info.signal]) : extra.signal };
    const token = request.params._meta?.progressToken;
    if (token !== undefined) {
      let last = -Infinity;
      extras.onProgress = (update: ProgressUpdate) => {
        // The spec wants progress to increase on every notification.
        if (!(update.progress > last) || extras.signal?.aborted) return;
        last = update.progress;
        const params: { progressToken: string | number; progress: number; total?: number; message?: string } = { progressToken: token, progress: update.progress };
        if (update.total !== undefined) params.total = update.total;
        if (update.message !== undefined) params.message = update.message;
        extra.sendNotification({ method: 'notifications/progress', params }).catch(() => {});
      };
    }
    const result = await handlers.callTool(caller, request.params.name, request.params.arguments, extras);
    const event: McpCallEvent = { tool: request.params.name, durationMs: performance.now() - started, isError: result.isError === true };
    if (caller.scope.keyName !== undefined) event.key = caller.scope.keyName;
    info.onCall?.(event);
    return result;
  });

  return server;
}
