/**
 * The authoring API: `createAction`, `createSync`, `createOnEvent`. Pure: each returns a branded
 * plain object (Nango's shape, `{ type, ...props }`), which the loader finds as the file's default
 * export and registers. The examples on each are type-checked against the SDK by
 * test/define/examples.test.ts, so they stay true.
 */
import type * as z from 'zod';
import {
  DEFINITION_BRAND,
  type ActionDefinition,
  type AnyDefinition,
  type CreateActionProps,
  type CreateOnEventProps,
  type CreateSyncProps,
  type OnEventDefinition,
  type SyncDefinition,
} from './types.ts';
import type { ZodCheckpoint, ZodMetadata, ZodModel } from './schema.ts';

function brand<T extends object>(definition: T): T {
  Object.defineProperty(definition, DEFINITION_BRAND, { value: true, enumerable: false });
  return definition;
}

/**
 * Defines an action: a call with a zod-validated input and output, run on demand (an MCP tool,
 * `POST /action/trigger`, `patchbay dryrun`). `exec` gets the connection's `nango` context and
 * the parsed input; what it returns is checked against `output` before the caller sees it.
 *
 * @example
 * import { createAction } from 'nango';
 * import * as z from 'zod';
 *
 * export default createAction({
 *   description: 'Create an issue in a GitHub repository',
 *   input: z.object({
 *     owner: z.string(),
 *     repo: z.string(),
 *     title: z.string().min(1),
 *     body: z.string().optional(),
 *     labels: z.array(z.string()).default([]),
 *   }),
 *   output: z.object({ id: z.number(), number: z.number(), url: z.string() }),
 *   scopes: ['repo'],
 *   annotations: { title: 'Create issue', destructiveHint: false },
 *   exec: async (nango, input) => {
 *     const { data } = await nango.post<{ id: number; number: number; html_url: string }>({
 *       endpoint: `/repos/${input.owner}/${input.repo}/issues`,
 *       data: { title: input.title, body: input.body, labels: input.labels },
 *     });
 *     return { id: data.id, number: data.number, url: data.html_url };
 *   },
 * });
 */
export function createAction<
  TInput extends z.ZodType,
  TOutput extends z.ZodType,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
>(props: CreateActionProps<TInput, TOutput, TMetadata, TCheckpoint>): ActionDefinition<TInput, TOutput, TMetadata, TCheckpoint> {
  return brand({ type: 'action' as const, ...props });
}

/**
 * Defines a sync: a function run on a schedule (`frequency`) that saves the provider's data as
 * records of its `models`, which patchbay stores per connection and serves to callers.
 * `batchSave` upserts by `id`; a `checkpoint` lets the next run resume where this one stopped.
 *
 * @example
 * import { createSync } from 'nango';
 * import * as z from 'zod';
 *
 * const GithubIssue = z.object({
 *   id: z.string(),
 *   title: z.string(),
 *   state: z.enum(['open', 'closed']),
 *   updatedAt: z.string(),
 * });
 *
 * interface ApiIssue { id: number; title: string; state: 'open' | 'closed'; updated_at: string }
 *
 * export default createSync({
 *   description: 'Issues assigned to the connected user, incrementally',
 *   frequency: 'every 30 minutes',
 *   models: { GithubIssue },
 *   checkpoint: z.object({ since: z.string() }),
 *   exec: async (nango) => {
 *     const startedAt = new Date().toISOString();
 *     const checkpoint = await nango.getCheckpoint();
 *     const pages = nango.paginate<ApiIssue>({
 *       endpoint: '/issues',
 *       params: { state: 'all', ...(checkpoint ? { since: checkpoint.since } : {}) },
 *       paginate: { type: 'link', limit: 100, limit_name_in_request: 'per_page' },
 *     });
 *     for await (const page of pages) {
 *       const issues = page.map((i) => ({ id: String(i.id), title: i.title, state: i.state, updatedAt: i.updated_at }));
 *       await nango.batchSave(issues, 'GithubIssue');
 *     }
 *     await nango.saveCheckpoint({ since: startedAt });
 *   },
 * });
 */
export function createSync<
  TModels extends Record<string, ZodModel>,
  TMetadata extends ZodMetadata = undefined,
  TCheckpoint extends ZodCheckpoint = undefined,
>(props: CreateSyncProps<TModels, TMetadata, TCheckpoint>): SyncDefinition<TModels, TMetadata, TCheckpoint> {
  return brand({ type: 'sync' as const, ...props });
}

/**
 * Defines a function run on a connection's lifecycle event: `post-connection-creation` (set up
 * what the connection needs, e.g. metadata), `pre-connection-deletion` (clean up, e.g.
 * unregister webhooks) or `validate-connection` (throw to reject new credentials).
 *
 * @example
 * import { createOnEvent } from 'nango';
 * import * as z from 'zod';
 *
 * export default createOnEvent({
 *   description: 'Remember who the new connection belongs to',
 *   event: 'post-connection-creation',
 *   metadata: z.object({ login: z.string(), company: z.string().nullable() }),
 *   exec: async (nango) => {
 *     const { data } = await nango.get<{ login: string; company: string | null }>({ endpoint: '/user' });
 *     await nango.updateMetadata({ login: data.login, company: data.company });
 *     await nango.log(`Connected as ${data.login}`);
 *   },
 * });
 */
export function createOnEvent<TMetadata extends ZodMetadata = undefined, TCheckpoint extends ZodCheckpoint = undefined>(
  props: CreateOnEventProps<TMetadata, TCheckpoint>,
): OnEventDefinition<TMetadata, TCheckpoint> {
  return brand({ type: 'onEvent' as const, ...props });
}

/**
 * True for anything `createX` returned, from this copy of the module or another bundled one.
 * Nango's own helpers return `{ type, ...props }` without the brand; accept that shape too.
 */
export function isDefinition(value: unknown): value is AnyDefinition {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[DEFINITION_BRAND] === true) return true;
  const v = value as Record<string, unknown>;
  return (v['type'] === 'action' || v['type'] === 'sync' || v['type'] === 'onEvent') && typeof v['exec'] === 'function';
}
