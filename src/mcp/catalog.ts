/**
 * Catalog mode (`--catalog`): three meta-tools instead of one tool per action, so a thousand
 * actions cost three definitions in the model's context. The model searches, reads the full
 * schema of the one it wants, then calls it by name; scope and connection rules are the same
 * as for direct tools.
 *
 * @example
 * searchActions(catalog.visible(scope, selection), 'create issue', 5)
 * // [{ name: 'github_create-issue', title: 'Create issue (github)', description: '…', integration: 'github' }]
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ActionTool } from './tools.ts';

/** One search hit: enough to choose, not the whole schema. */
export interface ActionSummary {
  name: string;
  title: string;
  description: string;
  integration: string;
}

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** The three meta-tool definitions. */
export const CATALOG_TOOLS: Tool[] = [
  {
    name: 'search_actions',
    title: 'Search actions',
    description:
      'Finds actions (API operations on connected services) by keywords. Returns names and one-line descriptions; ' +
      'then call describe_action for the arguments and call_action to run one.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Keywords, e.g. "create issue" or "slack message". Empty lists everything.' },
        limit: { type: 'integer', minimum: 1, maximum: 50, default: 10, description: 'At most this many results.' },
      },
      required: ['query'],
    },
    annotations: { title: 'Search actions', ...READ_ONLY },
  },
  {
    name: 'describe_action',
    title: 'Describe an action',
    description: 'Returns the full input and output JSON Schemas and hints of one action found with search_actions.',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', description: 'The action name from search_actions, e.g. github_create-issue.' } },
      required: ['name'],
    },
    annotations: { title: 'Describe an action', ...READ_ONLY },
  },
  {
    name: 'call_action',
    title: 'Call an action',
    description:
      'Runs one action with arguments matching its input schema (see describe_action). ' +
      'connection_id picks the account when the action has several connections.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'The action name, e.g. github_create-issue.' },
        arguments: { type: 'object', description: "The action's arguments, as described by describe_action.", additionalProperties: true },
        connection_id: { type: 'string', description: 'Which connection to use (optional when there is only one).' },
      },
      required: ['name'],
    },
    annotations: { title: 'Call an action', openWorldHint: true },
  },
];

/** The first sentence or line of a description, at most 160 characters. */
export function oneLine(description: string): string {
  const first = description.split(/\n/)[0]!.trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(first)?.[1] ?? first;
  return sentence.length > 160 ? `${sentence.slice(0, 159)}…` : sentence;
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 0);
}

/**
 * Actions ranked by keyword hits: a word in the name counts most, then the title, then the
 * description; prefixes count (`repo` finds `repos`). Ties keep name order.
 */
export function searchActions(tools: readonly ActionTool[], query: string, limit = 10): ActionSummary[] {
  const words = tokens(query);
  const scored = tools.map((tool, index) => {
    if (words.length === 0) return { tool, index, score: 1 };
    const name = tokens(`${tool.fn.integrationId} ${tool.fn.name}`);
    const title = tokens(tool.title);
    const description = tokens(tool.description);
    let score = 0;
    for (const word of words) {
      if (name.some((token) => token === word)) score += 6;
      else if (name.some((token) => token.startsWith(word))) score += 4;
      else if (title.some((token) => token.startsWith(word))) score += 2;
      else if (description.some((token) => token.startsWith(word))) score += 1;
    }
    return { tool, index, score };
  });
  return scored
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, Math.max(1, Math.min(limit, 50)))
    .map(({ tool }) => ({ name: tool.name, title: tool.title, description: oneLine(tool.description), integration: tool.fn.integrationId }));
}
