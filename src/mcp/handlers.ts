/**
 * Step 1 of a tool call (the front end): tool name → function definition, the caller's scope →
 * the connection; then runtime/executor.ts (step 2) runs it and mcp/result.ts (step 6) shapes
 * the answer. HTTP reaches here through http/routes/mcp.ts, stdio through mcp/stdio.ts.
 *
 * What `tools/list` and `tools/call` do, independent of the transport: the same functions
 * answer stdio and every stateless HTTP request. Listing reads the manifest-derived catalog and
 * the current connections (so a connection added while serving shows up on the next list);
 * calling resolves the connection, unwraps arguments, runs the action through the executor with
 * the client's abort signal and progress token, and shapes the result.
 *
 * @example
 * const handlers = createMcpHandlers(services, { catalogMode: false, maxResultBytes: 100_000 });
 * const tools = await handlers.listTools({ scope: FULL_SCOPE, selection: {} });
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from './protocol-error.ts';
import type { Manifest } from '../build/manifest.ts';
import type { ConnectionSummary } from '../connections/types.ts';
import { closest } from '../config/similar.ts';
import { PatchbayError } from '../errors.ts';
import { toolAllowed, type ApiScope } from '../access/scope.ts';
import type { ExecutionRequest, Executor, ProgressUpdate } from '../runtime/types.ts';
import type { RecordStore } from '../store/types.ts';
import { CATALOG_TOOLS, searchActions } from './catalog.ts';
import { callQueryRecords, QUERY_RECORDS, queryRecordsTool, syncedModels } from './records-tool.ts';
import { errorResult, successResult } from './result.ts';
import { unwrapArguments } from './schema.ts';
import { connectionPlan, integrationSelected, resolveConnection, type ConnectionSelection } from './scope.ts';
import { createToolCatalog, type ActionTool, type ToolCatalog } from './tools.ts';

/** A connection as tool listing needs it. */
export type ConnectionRef = Pick<ConnectionSummary, 'integration_id' | 'connection_id'>;

/** The services MCP needs; `serve` builds them from the runtime. */
export interface McpServices {
  manifest: Manifest;
  executor: Pick<Executor, 'run'>;
  /** Current connections (ids only: listing must not decrypt credentials on every call). */
  connections(): Promise<ConnectionRef[]>;
  records?: Pick<RecordStore, 'query'>;
}

export interface McpOptions {
  /** `--catalog`: three meta-tools instead of one tool per action. */
  catalogMode: boolean;
  /** `--max-result-bytes`. */
  maxResultBytes: number;
  /** `--tools` globs. */
  tools?: string[];
}

/** Who is calling: the key's scope and the connection they selected outside arguments. */
export interface McpCaller {
  scope: ApiScope;
  selection: ConnectionSelection;
}

/** Per-call facilities from the transport. */
export interface CallExtras {
  signal?: AbortSignal;
  onProgress?: (update: ProgressUpdate) => void;
}

export interface McpHandlers {
  readonly catalog: ToolCatalog;
  listTools(caller: McpCaller): Promise<Tool[]>;
  /** Throws a ProtocolError only for unknown tools; every other failure is an `isError` result. */
  callTool(caller: McpCaller, name: string, args: Record<string, unknown> | undefined, extras?: CallExtras): Promise<CallToolResult>;
}

/** A client-sent tool name as it may appear in an error: quoted, escaped, at most 80 characters. */
function shownName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name).replace(/[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function unknownTool(name: string, visible: readonly ActionTool[]): ProtocolError {
  const similar = closest(name, visible.map((tool) => tool.name));
  const hint = similar.length > 0 ? ` Did you mean ${similar.join(', ')}?` : '';
  return new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${shownName(name)}.${hint}`);
}

/** Builds the handlers once per server; everything per-request is cheap. */
export function createMcpHandlers(services: McpServices, options: McpOptions): McpHandlers {
  const catalog = createToolCatalog(services.manifest, { tools: options.tools });
  const models = syncedModels(services.manifest);

  function visibleTool(caller: McpCaller, name: string): ActionTool | undefined {
    const tool = catalog.get(name, caller.selection);
    if (!tool) return undefined;
    if (!integrationSelected(caller.selection, tool.fn.integrationId) || !toolAllowed(caller.scope, tool.name, tool.key)) return undefined;
    return tool;
  }

  async function planFor(caller: McpCaller, integrationId: string) {
    if (caller.selection.connectionId !== undefined) return connectionPlan(integrationId, [], caller.scope, caller.selection);
    return connectionPlan(integrationId, await services.connections(), caller.scope, caller.selection);
  }

  async function runAction(caller: McpCaller, tool: ActionTool, args: Record<string, unknown>, extras: CallExtras): Promise<CallToolResult> {
    const integrationId = tool.fn.integrationId;
    let connectionId: string | undefined;
    try {
      const plan = await planFor(caller, integrationId);
      const { [tool.connectionArg]: connectionArg, ...rest } = args;
      connectionId = resolveConnection(integrationId, plan, connectionArg, caller.scope, tool.connectionArg);
      const request: ExecutionRequest = { integrationId, name: tool.fn.name, connectionId, input: unwrapArguments(rest, tool.input.wrap), scope: caller.scope };
      if (extras.signal) request.signal = extras.signal;
      if (extras.onProgress) request.onProgress = extras.onProgress;
      const result = await services.executor.run(request);
      return successResult(result.output, tool.output?.wrap, options.maxResultBytes);
    } catch (error) {
      return errorResult(error, { integrationId, connectionId, tool: tool.name, fieldPrefix: tool.input.wrap === 'input' ? 'input' : undefined }, options.maxResultBytes);
    }
  }

  async function describe(caller: McpCaller, name: string): Promise<CallToolResult> {
    const tool = visibleTool(caller, name);
    if (!tool) {
      const similar = closest(name, catalog.visible(caller.scope, caller.selection).map((tool) => tool.name));
      const hint = similar.length ? ` Did you mean ${similar.join(', ')}?` : ' Use search_actions to find one.';
      return errorResult(new PatchbayError('FUNCTION_NOT_FOUND', `No action named "${name}".${hint}`), {}, options.maxResultBytes);
    }
    const definition = catalog.definition(tool, await planFor(caller, tool.fn.integrationId), caller.scope, caller.selection);
    return successResult(definition, undefined, options.maxResultBytes);
  }

  return {
    catalog,
    async listTools(caller) {
      const tools: Tool[] = options.catalogMode ? [...CATALOG_TOOLS] : [];
      if (!options.catalogMode) {
        const connections = caller.selection.connectionId !== undefined ? [] : await services.connections();
        tools.push(...catalog.list(connections, caller.scope, caller.selection));
      }
      if (services.records) {
        const records = queryRecordsTool(models, caller.selection);
        if (records && toolAllowed(caller.scope, QUERY_RECORDS, QUERY_RECORDS)) tools.push(records);
      }
      return tools;
    },
    async callTool(caller, name, args = {}, extras = {}) {
      if (name === QUERY_RECORDS && services.records && models.size > 0 && toolAllowed(caller.scope, QUERY_RECORDS, QUERY_RECORDS)) {
        return callQueryRecords(args, { models, records: services.records, connections: services.connections, maxResultBytes: options.maxResultBytes }, caller.scope, caller.selection);
      }
      if (options.catalogMode) {
        if (name === 'search_actions') {
          const connections = caller.selection.connectionId !== undefined || caller.scope.connections === null ? [] : await services.connections();
          const candidates = caller.scope.connections === null ? catalog.visible(caller.scope, caller.selection) : catalog.usable(connections, caller.scope, caller.selection).map((entry) => entry.tool);
          const hits = searchActions(candidates, String(args['query'] ?? ''), Number(args['limit'] ?? 10) || 10);
          return successResult({ actions: hits }, undefined, options.maxResultBytes);
        }
        if (name === 'describe_action') return describe(caller, String(args['name'] ?? ''));
        if (name === 'call_action') {
          const target = String(args['name'] ?? '');
          const tool = visibleTool(caller, target);
          if (!tool) return describe(caller, target);
          const inner = typeof args['arguments'] === 'object' && args['arguments'] !== null ? { ...(args['arguments'] as Record<string, unknown>) } : {};
          if (args['connection_id'] !== undefined) inner[tool.connectionArg] = args['connection_id'];
          return runAction(caller, tool, inner, extras);
        }
        throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${shownName(name)}. In catalog mode the tools are search_actions, describe_action and call_action.`);
      }
      const tool = visibleTool(caller, name);
      if (!tool) throw unknownTool(name, catalog.visible(caller.scope, caller.selection));
      return runAction(caller, tool, args, extras);
    },
  };
}
