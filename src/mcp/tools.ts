/**
 * The action tools: computed once from the manifest (names, flattened schemas, hints), then
 * shaped per caller (scope, connection choice) on every `tools/list`. Nothing here loads a
 * bundle — 1,000 actions list in the time it takes to walk the manifest.
 *
 * @example
 * const catalog = createToolCatalog(manifest, { tools: ['github_*'] });
 * const tools = catalog.list(connections, FULL_SCOPE, {});
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { FunctionManifest, JsonSchema, Manifest } from '../build/manifest.ts';
import type { ConnectionSummary } from '../connections/types.ts';
import type { ToolAnnotations } from '../define/types.ts';
import { toolAnnotations, toolTitle } from './annotations.ts';
import { connectionAllowed, globMatcher, toolAllowed, type ApiScope } from '../access/scope.ts';
import { functionKey, TOOL_NAME_PATTERN, toolNames } from './naming.ts';
import { toolInputSchema, toolOutputSchema, type ToolInputSchema, type ToolOutputSchema } from './schema.ts';
import { connectionPlan, integrationSelected, noConnectionMessage, type ConnectionPlan, type ConnectionSelection } from './scope.ts';

/** Names the catalog mode and records tools use; an action never takes one. */
export const META_TOOL_NAMES = ['search_actions', 'describe_action', 'call_action', 'query_records'] as const;

/** One action as a tool, before per-caller shaping. */
export interface ActionTool {
  name: string;
  /**
   * The action's own name (`create-issue`), used instead of `name` when the caller selected the
   * integration with Nango's `provider-config-key` header — Nango's MCP server names tools so.
   * Undefined when it would be invalid or clash with a meta-tool.
   */
  bareName: string | undefined;
  key: string;
  fn: FunctionManifest;
  title: string;
  description: string;
  input: ToolInputSchema;
  output: ToolOutputSchema | undefined;
  annotations: ToolAnnotations;
  /** The argument that picks a connection (`connection_id`, renamed when the input has one). */
  connectionArg: string;
}

export interface ToolCatalogOptions {
  /** `--tools` globs over tool names or `integration/name`; absent = all. */
  tools?: string[] | undefined;
}

/** The action tools of one manifest. */
export interface ToolCatalog {
  readonly actions: readonly ActionTool[];
  /** A tool by its name, or by its bare name when the selection names its integration. */
  get(name: string, selection?: ConnectionSelection): ActionTool | undefined;
  /** The name this caller sees for a tool. */
  nameFor(tool: ActionTool, selection: ConnectionSelection): string;
  /** The tools a caller may see, in a stable order. */
  visible(scope: ApiScope, selection: ConnectionSelection): ActionTool[];
  /** The MCP definition of one tool for this caller's connections. */
  definition(tool: ActionTool, plan: ConnectionPlan, scope: ApiScope, selection?: ConnectionSelection): Tool;
  /** Visible tools this caller can actually call, each with its connection plan. */
  usable(connections: Array<Pick<ConnectionSummary, 'integration_id' | 'connection_id'>>, scope: ApiScope, selection: ConnectionSelection): Array<{ tool: ActionTool; plan: ConnectionPlan }>;
  /** Definitions of every visible tool. */
  list(connections: Array<Pick<ConnectionSummary, 'integration_id' | 'connection_id'>>, scope: ApiScope, selection: ConnectionSelection): Tool[];
}

function connectionArgName(input: ToolInputSchema): string {
  const properties = (input.schema['properties'] ?? {}) as Record<string, unknown>;
  return 'connection_id' in properties ? 'patchbay_connection_id' : 'connection_id';
}

function bareNameOf(fn: FunctionManifest): string | undefined {
  const bare = fn.name.replace(/[^a-zA-Z0-9_-]+/g, '-');
  return TOOL_NAME_PATTERN.test(bare) && !(META_TOOL_NAMES as readonly string[]).includes(bare) ? bare : undefined;
}

function buildTool(fn: FunctionManifest, name: string): ActionTool {
  const input = toolInputSchema(fn.input);
  return {
    name,
    bareName: bareNameOf(fn),
    key: functionKey(fn.integrationId, fn.name),
    fn,
    title: toolTitle(fn.integrationId, fn.name, fn.annotations?.title),
    description: fn.description?.trim() || `Runs the ${fn.name} action of ${fn.integrationId}.`,
    input,
    output: toolOutputSchema(fn.output),
    annotations: toolAnnotations(fn.httpMethods, fn.annotations),
    connectionArg: connectionArgName(input),
  };
}

/** Adds the connection argument to an input schema when the caller must choose. */
export function inputSchemaFor(tool: ActionTool, plan: ConnectionPlan): JsonSchema & { type: 'object' } {
  if (plan.mode !== 'choose') return tool.input.schema;
  const properties = { ...((tool.input.schema['properties'] ?? {}) as Record<string, unknown>) };
  properties[tool.connectionArg] = { type: 'string', enum: plan.ids, description: `Which ${tool.fn.integrationId} connection to use.` };
  const required = [...((tool.input.schema['required'] ?? []) as string[]), tool.connectionArg];
  return { ...tool.input.schema, properties, required };
}

/**
 * A key scoped to some connections only sees tools it can call: none of its connections in the
 * integration (or a `connection-id` header outside its scope) hides the integration's tools.
 */
function usableUnderScope(integrationId: string, plan: ConnectionPlan, scope: ApiScope): boolean {
  if (scope.connections === null) return true;
  if (plan.mode === 'none') return false;
  return plan.mode !== 'fixed' || connectionAllowed(scope, integrationId, plan.id);
}

const namesByManifest = new WeakMap<Manifest, Map<string, string>>();

/**
 * The tool name of every action of `manifest`, keyed by `integration/name`: what MCP lists and
 * what a scoped key's tool globs match, on `/mcp` and the REST API alike.
 */
export function actionToolNames(manifest: Manifest): Map<string, string> {
  let names = namesByManifest.get(manifest);
  if (!names) {
    names = toolNames(manifest.functions.filter((fn) => fn.type === 'action'), META_TOOL_NAMES);
    namesByManifest.set(manifest, names);
  }
  return names;
}

/** Builds the catalog; `--tools` filtering happens here, once. */
export function createToolCatalog(manifest: Manifest, options: ToolCatalogOptions = {}): ToolCatalog {
  const actions = manifest.functions
    .filter((fn) => fn.type === 'action')
    .sort((a, b) => functionKey(a.integrationId, a.name).localeCompare(functionKey(b.integrationId, b.name)));
  const names = actionToolNames(manifest);
  const filter = options.tools && options.tools.length > 0 ? globMatcher(options.tools) : undefined;
  const tools = actions
    .map((fn) => buildTool(fn, names.get(functionKey(fn.integrationId, fn.name))!))
    .filter((tool) => !filter || filter([tool.name, tool.key]));
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const byBareName = new Map(tools.filter((tool) => tool.bareName).map((tool) => [functionKey(tool.fn.integrationId, tool.bareName!), tool]));
  const nameFor = (tool: ActionTool, selection: ConnectionSelection) =>
    selection.integrationId === tool.fn.integrationId && tool.bareName ? tool.bareName : tool.name;

  const catalog: ToolCatalog = {
    actions: tools,
    get: (name, selection) =>
      (selection?.integrationId !== undefined ? byBareName.get(functionKey(selection.integrationId, name)) : undefined) ?? byName.get(name),
    nameFor,
    visible: (scope, selection) =>
      tools.filter((tool) => integrationSelected(selection, tool.fn.integrationId) && toolAllowed(scope, tool.name, tool.key)),
    definition(tool, plan, scope, selection = {}) {
      let description = tool.description;
      if (plan.mode === 'none') description = `${description}\n\n(Not usable yet: ${noConnectionMessage(tool.fn.integrationId, scope)})`;
      const definition: Tool = {
        name: nameFor(tool, selection),
        title: tool.title,
        description,
        inputSchema: inputSchemaFor(tool, plan) as Tool['inputSchema'],
        annotations: { title: tool.title, ...tool.annotations },
      };
      if (tool.output) definition.outputSchema = tool.output.schema as Tool['outputSchema'];
      return definition;
    },
    usable(connections, scope, selection) {
      const plans = new Map<string, ConnectionPlan>();
      const usable: Array<{ tool: ActionTool; plan: ConnectionPlan }> = [];
      for (const tool of catalog.visible(scope, selection)) {
        let plan = plans.get(tool.fn.integrationId);
        if (!plan) {
          plan = connectionPlan(tool.fn.integrationId, connections, scope, selection);
          plans.set(tool.fn.integrationId, plan);
        }
        if (usableUnderScope(tool.fn.integrationId, plan, scope)) usable.push({ tool, plan });
      }
      return usable;
    },
    list(connections, scope, selection) {
      return catalog.usable(connections, scope, selection).map(({ tool, plan }) => catalog.definition(tool, plan, scope, selection));
    },
  };
  return catalog;
}
