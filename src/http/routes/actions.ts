/**
 * Nango's `POST /action/trigger`, as `@nangohq/node`'s `triggerAction` sends it: headers
 * `Connection-Id` and `Provider-Config-Key`, body `{ action_name, input }`; the answer is the
 * action's output itself (JSON), so a backend written for Nango works by changing the host and
 * the secret key. The action runs through the one executor (validation, timeouts, the runner
 * boundary), for the caller's key: a scoped key reaches only its connections and the actions its
 * tool globs match, here as over MCP. The client going away cancels the run.
 *
 * Asynchronous triggers (`X-Async: true`) are persisted before the `202 { id, statusUrl }` and run
 * by the queue (queue/async-actions.ts), `X-Max-Retries` (0-5) times retried; `GET /action/:id`
 * answers as Nango's does: 404 while pending (code ACTION_PENDING, with Retry-After), 200 with
 * the output, 500 with the error. An `Idempotency-Key` makes a retried trigger run once: the
 * second trigger gets the first one's id (asynchronous) or its outcome (synchronous).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { connectionAllowed, toolAllowed } from '../../access/scope.ts';
import type { Manifest } from '../../build/manifest.ts';
import { PatchbayError, type ErrorCode } from '../../errors.ts';
import { findFunction } from '../../runtime/lookup.ts';
import { MAX_ASYNC_RETRIES, type AsyncActionQueue } from '../../queue/async-actions.ts';
import type { ExecutionRequest, ExecutionResult } from '../../runtime/types.ts';
import type { AsyncActionRow } from '../../store/types.ts';
import { jsonResponse, statusForCode } from '../respond.ts';
import type { AppEnv } from '../middleware.ts';
import { assertMayUse, booleanValue, readJsonBody, requiredHeader } from './request.ts';

/** What the route needs: the executor's `run`, the manifest, and each action's MCP tool name. */
export interface ActionRouteDeps {
  run(request: ExecutionRequest): Promise<ExecutionResult>;
  manifest(): Manifest;
  /** The action's tool name, for scoped keys' tool globs (the same name MCP lists). */
  toolName(integrationId: string, name: string): string;
  /** The asynchronous-action queue; without it `X-Async` and `Idempotency-Key` answer 501. */
  queue?: Pick<AsyncActionQueue, 'enqueue' | 'get' | 'wait'>;
  /** Whether the connection exists: an asynchronous trigger for none is refused before its 202. */
  connectionExists?(integrationId: string, connectionId: string): Promise<boolean>;
}

/** Longest `?wait=` a poll may ask for, in seconds. */
const MAX_WAIT_S = 60;
/** Longest a synchronous trigger with an Idempotency-Key waits for its run (a retry may find it still running). */
const SYNC_WAIT_MS = 15 * 60_000;

/** The body of `POST /action/trigger` (also in GET /openapi.json). */
export const TriggerBody = z.object({
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
    const async = booleanValue(c.req.header('X-Async'), 'X-Async');
    const idempotencyKey = idempotencyKeyOf(c);
    const maxRetries = async ? retriesOf(c) : 0;
    const body = await readJsonBody(c, TriggerBody, '{ "action_name": "<action>", "input": { ... } }');
    const fn = findFunction(deps.manifest(), integrationId, body.action_name);
    if (fn.type !== 'action') {
      throw new PatchbayError('FUNCTION_NOT_FOUND', `"${body.action_name}" of "${integrationId}" is a ${fn.type === 'sync' ? 'sync' : 'on-event function'}, not an action; only actions are triggered here.`);
    }
    const scope = c.get('scope');
    assertMayUse(scope, integrationId, connectionId);
    if (!toolAllowed(scope, deps.toolName(integrationId, fn.name), `${integrationId}/${fn.name}`)) {
      throw new PatchbayError('FORBIDDEN', `This API key may not run ${integrationId}/${fn.name}: its tool list does not include it.`);
    }
    if (!async && idempotencyKey === undefined) {
      const result = await deps.run({ integrationId, name: fn.name, connectionId, input: body.input, scope, signal: c.req.raw.signal });
      return c.json((result.output ?? null) as object);
    }
    const queue = deps.queue;
    if (!queue) {
      throw new PatchbayError('NOT_IMPLEMENTED', 'Asynchronous actions and Idempotency-Key need `patchbay serve` over HTTP. Send the request without X-Async and Idempotency-Key: the answer is the action’s output.');
    }
    if (deps.connectionExists && !(await deps.connectionExists(integrationId, connectionId))) {
      throw new PatchbayError('CONNECTION_NOT_FOUND', `No connection "${connectionId}" for integration "${integrationId}". Add it first (POST /connections, or patchbay connection add ${integrationId} ${connectionId}).`);
    }
    const request = { integrationId, connectionId, actionName: fn.name, input: body.input, scope, maxRetries, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
    const { row, created } = await queue.enqueue(request, { immediate: !async });
    const replayed: Record<string, string> = created ? {} : { 'idempotent-replayed': 'true' };
    if (async) return jsonResponse(202, { id: row.id, statusUrl: `/action/${row.id}` }, replayed);
    // Synchronous with an Idempotency-Key: the first trigger runs it; a retry waits for the same run.
    const finished = await queue.wait(row.id, SYNC_WAIT_MS, c.req.raw.signal);
    if (!finished) throw new PatchbayError('NOT_FOUND', `The action run ${row.id} is gone (its result was pruned). Trigger it again with a new Idempotency-Key.`);
    if (finished.status === 'queued' || finished.status === 'running') {
      throw new PatchbayError('TIMEOUT', `The action is still ${finished.status} after ${SYNC_WAIT_MS / 60_000} minutes; its result will be at GET /action/${finished.id} (the same Idempotency-Key also answers with it).`, {
        details: { id: finished.id, statusUrl: `/action/${finished.id}` },
      });
    }
    return outcomeResponse(finished, replayed, (code) => statusForCode(code));
  };
}

/**
 * `GET /action/:id`: the result of an asynchronous action, as Nango answers it (404 while it is
 * pending, 200 with the output, 500 with the error); `?wait=<seconds>` (at most 60) holds the
 * answer until it finishes. A key sees only the actions of connections and tools it may use.
 */
export function getActionResult(deps: ActionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const row = await visibleRow(deps, c);
    const wait = waitSeconds(c);
    const current = wait > 0 && deps.queue ? ((await deps.queue.wait(row.id, wait * 1000, c.req.raw.signal)) ?? row) : row;
    if (current.status === 'queued' || current.status === 'running') {
      const error = new PatchbayError('ACTION_PENDING', `Action ${current.id} is ${current.status === 'queued' ? 'queued' : 'running'} (attempt ${Math.max(1, current.attempts)} of ${current.max_retries + 1}). Ask again in a second, or add ?wait=30 to wait for it.`, {
        details: describeRow(current),
      });
      return jsonResponse(404, { error: { code: error.code, message: error.message, details: error.details } }, { 'retry-after': '1' });
    }
    return outcomeResponse(current, {}, () => 500);
  };
}

/** `GET /action/:id/status`: where an asynchronous action stands (200 in every state). */
export function getActionStatus(deps: ActionRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => c.json(describeRow(await visibleRow(deps, c)));
}

/** The row of `:id` when it exists and the caller may see it; NOT_FOUND alike otherwise (no oracle). */
async function visibleRow(deps: ActionRouteDeps, c: Context<AppEnv>): Promise<AsyncActionRow> {
  const id = c.req.param('id') ?? '';
  const notFound = new PatchbayError('NOT_FOUND', `No asynchronous action "${id}". Its id is the one POST /action/trigger with X-Async: true answered; results are kept 7 days.`);
  if (!deps.queue || !/^[0-9a-f-]{36}$/i.test(id)) throw notFound;
  const row = await deps.queue.get(id.toLowerCase());
  if (!row) throw notFound;
  const scope = c.get('scope');
  if (!connectionAllowed(scope, row.integration_id, row.connection_id) || !toolAllowed(scope, deps.toolName(row.integration_id, row.action_name), `${row.integration_id}/${row.action_name}`)) throw notFound;
  return row;
}

/**
 * A finished row: the output (200), or the error with `failureStatus` of its code (a synchronous
 * trigger answers as without a key; a poll answers 500, as Nango's does).
 */
function outcomeResponse(row: AsyncActionRow, headers: Record<string, string>, failureStatus: (code: ErrorCode) => number): Response {
  if (row.status === 'succeeded') return jsonResponse(200, row.output ?? null, headers);
  const error = row.error ?? { name: 'PatchbayError', code: 'INTERNAL', message: 'The action failed without an error.' };
  const { name: _name, ...body } = error;
  const status = failureStatus(error.code);
  const retryAfter = status === 429 && error.retryAfter !== undefined ? { 'retry-after': String(Math.ceil(error.retryAfter)) } : {};
  return jsonResponse(status, { error: { ...body, attempts: row.attempts } }, { ...headers, ...retryAfter });
}

function describeRow(row: AsyncActionRow): Record<string, unknown> {
  return {
    id: row.id,
    status: row.status,
    action_name: row.action_name,
    provider_config_key: row.integration_id,
    connection_id: row.connection_id,
    attempts: row.attempts,
    max_retries: row.max_retries,
    deferrals: row.deferrals,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    next_attempt_at: row.status === 'queued' ? new Date(row.run_at).toISOString() : null,
    ...(row.error ? { error: { code: row.error.code, message: row.error.message } } : {}),
  };
}

function retriesOf(c: Context<AppEnv>): number {
  const raw = c.req.header('X-Max-Retries')?.trim();
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > MAX_ASYNC_RETRIES) {
    throw new PatchbayError('INVALID_ARGUMENT', `X-Max-Retries must be a whole number from 0 to ${MAX_ASYNC_RETRIES} (got "${raw.slice(0, 40)}").`);
  }
  return value;
}

function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const raw = c.req.header('Idempotency-Key');
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new PatchbayError('INVALID_ARGUMENT', 'Idempotency-Key must be 1-255 printable ASCII characters without spaces, e.g. a UUID.');
  }
  return key;
}

function waitSeconds(c: Context<AppEnv>): number {
  const raw = c.req.query('wait');
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > MAX_WAIT_S) {
    throw new PatchbayError('INVALID_ARGUMENT', `wait must be a number of seconds from 0 to ${MAX_WAIT_S} (got "${raw.slice(0, 40)}").`);
  }
  return value;
}
