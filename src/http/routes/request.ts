/**
 * What every REST route reads the same way: a required header, a JSON body checked against a zod
 * schema (INVALID_ARGUMENT naming each field, `details.errors`), and the caller's right to use a
 * connection (FORBIDDEN).
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { connectionAllowed, type ApiScope } from '../../access/scope.ts';
import { PatchbayError } from '../../errors.ts';
import type { AppEnv } from '../middleware.ts';

/** INVALID_ARGUMENT with a message saying what to send instead (and `details` when given). */
export function invalid(message: string, details?: unknown): PatchbayError {
  return new PatchbayError('INVALID_ARGUMENT', message, details === undefined ? {} : { details });
}

/**
 * A yes/no value of a header or query parameter: absent, empty, `false` or `0` is false; `true`
 * or `1` is true; anything else is refused naming `name`.
 *
 * @example
 * const async = booleanValue(c.req.header('X-Async'), 'X-Async');
 */
export function booleanValue(raw: string | undefined, name: string): boolean {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw invalid(`${name} must be true or false (got "${value.slice(0, 40)}").`);
}

/** A header the route cannot do without; `what` says what it is for. */
export function requiredHeader(c: Context<AppEnv>, name: string, what: string): string {
  const value = c.req.header(name)?.trim();
  if (!value) throw new PatchbayError('INVALID_ARGUMENT', `Missing header ${name}: ${what}.`);
  return value;
}

/**
 * The body, parsed as JSON and by `schema`; `shape` shows what to send (`{ "action_name": … }`).
 *
 * @example
 * const body = await readJsonBody(c, Body, '{ "action_name": "<action>", "input": { ... } }');
 */
export async function readJsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, shape: string): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new PatchbayError('INVALID_ARGUMENT', `The body must be JSON: ${shape}.`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  throw new PatchbayError('INVALID_ARGUMENT', `Invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}. Send ${shape}.`, { details: { errors } });
}

/** FORBIDDEN unless the caller's key may use the connection. */
export function assertMayUse(scope: ApiScope, integrationId: string, connectionId: string): void {
  if (!connectionAllowed(scope, integrationId, connectionId)) {
    throw new PatchbayError('FORBIDDEN', `This API key may not use connection "${connectionId}" of "${integrationId}".`);
  }
}
