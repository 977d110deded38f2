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
import { toolAllowed } from '../../access/scope.ts';
import type { Manifest } from '../../build/manifest.ts';
import { PatchbayError } from '../../errors.ts';
import { findFunction } from '../../runtime/lookup.ts';
import type { ExecutionRequest, ExecutionResult } from '../../runtime/types.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, readJsonBody, requiredHeader } from './request.ts';

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

/**
 * `POST /action/trigger`, behind the API-key middleware and the body limit.
 *
 * @example
 * app.post('/action/trigger', requireKey(verify), limitBody(max), triggerAction({ run, manifest, toolName }));
 */
export function triggerAction(deps: ActionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const connectionId = requiredHeader(c, 'Connection-Id', 'the connection to run the action for');
    const integrationId = requiredHeader(c, 'Provider-Config-Key', 'the integration id');
    const body = await readJsonBody(c, Body, '{ "action_name": "<action>", "input": { ... } }');
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
    assertMayUse(scope, integrationId, connectionId);
    if (!toolAllowed(scope, deps.toolName(integrationId, fn.name), `${integrationId}/${fn.name}`)) {
      throw new PatchbayError('FORBIDDEN', `This API key may not run ${integrationId}/${fn.name}: its tool list does not include it.`);
    }
    const result = await deps.run({ integrationId, name: fn.name, connectionId, input: body.input, scope, signal: c.req.raw.signal });
    return c.json((result.output ?? null) as object);
  };
}
