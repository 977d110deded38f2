/**
 * Types read off a definition, so code around a function (helpers, callers, tests) names its
 * input, output, records and `nango` context by the definition itself, instead of
 * `Parameters<typeof sync['exec']>[0]` or a copy of the zod schema's shape that drifts.
 * Types only; nothing here exists at run time.
 */
import type * as z from 'zod';
import type { ActionDefinition, AnyDefinition, SyncDefinition } from './types.ts';

/**
 * The input an action's `exec` receives: its `input` schema's output type (after zod parsed
 * and applied defaults), e.g. to build a call in a test or another function.
 *
 * @example
 * import { createAction, type ActionInput } from 'nango';
 * import * as z from 'zod';
 *
 * const closeIssue = createAction({
 *   description: 'Close an issue',
 *   input: z.object({ owner: z.string(), repo: z.string(), number: z.number().int() }),
 *   output: z.object({ state: z.enum(['open', 'closed']) }),
 *   exec: async (nango, input) => {
 *     const { data } = await nango.patch<{ state: 'open' | 'closed' }>({
 *       endpoint: `/repos/${input.owner}/${input.repo}/issues/${input.number}`,
 *       data: { state: 'closed' },
 *     });
 *     return { state: data.state };
 *   },
 * });
 *
 * export const sample: ActionInput<typeof closeIssue> = { owner: 'octocat', repo: 'hello-world', number: 42 };
 */
export type ActionInput<TAction extends ActionDefinition<any, any, any, any>> = TAction extends { input: infer I extends z.ZodType } ? z.infer<I> : never;

/**
 * What an action's `exec` returns (and the caller gets back, validated): its `output` schema's type.
 *
 * @example
 * import { createAction, type ActionOutput } from 'nango';
 * import * as z from 'zod';
 *
 * const getUser = createAction({
 *   description: 'The authenticated GitHub user',
 *   input: z.object({}),
 *   output: z.object({ login: z.string(), name: z.string().nullable() }),
 *   exec: async (nango) => {
 *     const { data } = await nango.get<{ login: string; name: string | null }>({ endpoint: '/user' });
 *     return { login: data.login, name: data.name };
 *   },
 * });
 *
 * export function greeting(user: ActionOutput<typeof getUser>): string {
 *   return `Hello, ${user.name ?? user.login}`;
 * }
 */
export type ActionOutput<TAction extends ActionDefinition<any, any, any, any>> = TAction extends { output: infer O extends z.ZodType } ? z.infer<O> : never;

/**
 * The `nango` object a function's `exec` receives, typed by its own models, metadata and
 * checkpoint: `NangoSync<…>` for a sync, `NangoAction<…>` for an action or on-event function.
 * For helpers in other files that take the function's `nango`.
 *
 * @example
 * import { createSync, type FunctionContext } from 'nango';
 * import * as z from 'zod';
 *
 * const sync = createSync({
 *   description: 'Labels of a repository',
 *   frequency: 'every day',
 *   models: { GithubLabel: z.object({ id: z.string(), name: z.string(), color: z.string() }) },
 *   metadata: z.object({ owner: z.string(), repo: z.string() }),
 *   exec: async (nango) => {
 *     await saveLabels(nango);
 *   },
 * });
 * export default sync;
 *
 * async function saveLabels(nango: FunctionContext<typeof sync>): Promise<void> {
 *   const { owner, repo } = await nango.getMetadata();
 *   const { data } = await nango.get<{ id: number; name: string; color: string }[]>({ endpoint: `/repos/${owner}/${repo}/labels` });
 *   await nango.batchSave(data.map((l) => ({ id: String(l.id), name: l.name, color: l.color })), 'GithubLabel');
 * }
 */
export type FunctionContext<TFunction extends AnyDefinition> = TFunction['exec'] extends (nango: infer N, ...rest: any[]) => unknown ? N : never;

/**
 * The record type of one of a sync's models (all of them, as a union, when no model is named):
 * what `batchSave` takes and what the records API returns for it.
 *
 * @example
 * import { createSync, type SyncRecord } from 'nango';
 * import * as z from 'zod';
 *
 * const sync = createSync({
 *   description: 'Repositories the connection can see',
 *   frequency: 'every hour',
 *   models: { GithubRepo: z.object({ id: z.string(), fullName: z.string(), private: z.boolean() }) },
 *   exec: async (nango) => {
 *     for await (const page of nango.paginate<{ id: number; full_name: string; private: boolean }>({ endpoint: '/user/repos' })) {
 *       await nango.batchSave(page.map(toRecord), 'GithubRepo');
 *     }
 *   },
 * });
 * export default sync;
 *
 * function toRecord(repo: { id: number; full_name: string; private: boolean }): SyncRecord<typeof sync, 'GithubRepo'> {
 *   return { id: String(repo.id), fullName: repo.full_name, private: repo.private };
 * }
 */
export type SyncRecord<
  TSync extends SyncDefinition<any, any, any>,
  TModel extends keyof TSync['models'] & string = keyof TSync['models'] & string,
> = TSync['models'][TModel] extends infer S extends z.ZodType ? z.infer<S> : never;
