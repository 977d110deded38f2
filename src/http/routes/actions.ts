/**
 * Nango's `POST /action/trigger`, as `@nangohq/node`'s `triggerAction` sends it: headers
 * `Connection-Id` and `Provider-Config-Key`, body `{ action_name, input }`; the answer is the
 * action's output itself (JSON), so a backend written for Nango works by changing the host and
 * the secret key. The action runs through the one executor (validation, timeouts, the runner
 * boundary), for the caller's key: a scoped key reaches only its connections and the actions its
 * tool globs match, here as over MCP. The client going away cancels the run.
 *
 * Asynchronous triggers (`X-Async: true`) answer 501 until durable async actions exist.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { connectionAllowed, toolAllowed } from '../../access/scope.ts';
import type { Manifest } from '../../build/manifest.ts';
import { PatchbayError } from '../../errors.ts';
import { findFunction } from '../../runtime/lookup.ts';
import type { ExecutionRequest, ExecutionResult } from '../../runtime/types.ts';
import type { AppEnv } from '../middleware.ts';

/** What the route needs: the executor's `run`, the manifest, and each action's MCP tool name. */
export interface ActionRouteDeps {
  run(request: ExecutionRequest): Promise<ExecutionResult>;
  manifest(): Manifest;
  /** The action's tool name, for scoped keys' tool globs (the same name MCP lists). */
  toolName(integrationId: string, name: string): string;
}

const Body = z.object({
  action_name: z.string().min(1, 'action_name must name an action, e.g. "create-issue".'),
  input: z.unknown().optional(),
});

function required(c: Context<AppEnv>, name: string, what: string): string {
  const value = c.req.header(name)?.trim();
  if (!value) throw new PatchbayError('INVALID_ARGUMENT', `Missing header ${name}: ${what}.`);
  return value;
}

async function readBody(c: Context<AppEnv>): Promise<z.infer<typeof Body>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new PatchbayError('INVALID_ARGUMENT', 'The body must be JSON: { "action_name": "<action>", "input": { ... } }.');
  }
  const parsed = Body.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
    throw new PatchbayError('INVALID_ARGUMENT', `Invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}. Send { "action_name": "<action>", "input": { ... } }.`, {
      details: { errors },
    });
  }
  return parsed.data;
}

/**
 * `POST /action/trigger`, behind the API-key middleware and the body limit.
 *
 * @example
 * app.post('/action/trigger', requireKey(verify), limitBody(max), triggerAction({ run, manifest, toolName }));
 */
export function triggerAction(deps: ActionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = required(c, 'Connection-Id', 'the connection to run the action for');
    const integrationId = required(c, 'Provider-Config-Key', 'the integration id');
    const body = await readBody(c);
    if (/^(true|1)$/i.test(c.req.header('X-Async')?.trim() ?? '')) {
      throw new PatchbayError(
        'NOT_IMPLEMENTED',
        'Asynchronous actions (X-Async: true) are not available in this version of patchbay. Send the same request without X-Async: the answer is the action’s output.',
      );
    }
    const fn = findFunction(deps.manifest(), integrationId, body.action_name);
    if (fn.type !== 'action') {
      throw new PatchbayError('FUNCTION_NOT_FOUND', `"${body.action_name}" of "${integrationId}" is a ${fn.type === 'sync' ? 'sync' : 'on-event function'}, not an action; only actions are triggered here.`);
    }
    const scope = c.get('scope');
    if (!connectionAllowed(scope, integrationId, connectionId)) {
      throw new PatchbayError('FORBIDDEN', `This API key may not use connection "${connectionId}" of "${integrationId}".`);
    }
    if (!toolAllowed(scope, deps.toolName(integrationId, fn.name), `${integrationId}/${fn.name}`)) {
      throw new PatchbayError('FORBIDDEN', `This API key may not run ${integrationId}/${fn.name}: its tool list does not include it.`);
    }
    const result = await deps.run({ integrationId, name: fn.name, connectionId, input: body.input, scope, signal: c.req.raw.signal });
    return c.json((result.output ?? null) as object);
  };
}
