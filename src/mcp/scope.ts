/**
 * Which tools and connections a caller may use, and which connection a call runs against.
 *
 * Scope comes from the API key (HTTP) or is unrestricted (stdio, `--no-auth`). Selection comes
 * from `--connection`/PATCHBAY_CONNECTION (stdio) or Nango's `connection-id` and
 * `provider-config-key` headers (HTTP). Without a selection an integration with one usable
 * connection uses it; with several the tool gains a required `connection_id` whose enum lists
 * them; with none the tool still appears and its call says how to add one.
 *
 * @example
 * connectionPlan('github', summaries, scope, {}) // { mode: 'choose', ids: ['alice', 'bob'] }
 */
import type { ConnectionSummary } from '../connections/types.ts';
import { PatchbayError } from '../errors.ts';
import { connectionAllowed, type ApiScope } from '../access/scope.ts';

/** What the caller asked for outside tool arguments. */
export interface ConnectionSelection {
  /** `--connection`, PATCHBAY_CONNECTION or the `connection-id` header. */
  connectionId?: string;
  /** Nango's `provider-config-key` header: only this integration's tools are offered. */
  integrationId?: string;
}

export type ConnectionPlan =
  | { mode: 'fixed'; id: string }
  | { mode: 'single'; id: string }
  | { mode: 'choose'; ids: string[] }
  | { mode: 'none' };

/** True when the selection's `provider-config-key` (if any) names this integration. */
export function integrationSelected(selection: ConnectionSelection, integrationId: string): boolean {
  return selection.integrationId === undefined || selection.integrationId === integrationId;
}

/** How a tool of this integration gets its connection, given what exists and what is allowed. */
export function connectionPlan(
  integrationId: string,
  connections: Array<Pick<ConnectionSummary, 'integration_id' | 'connection_id'>>,
  scope: ApiScope,
  selection: ConnectionSelection,
): ConnectionPlan {
  if (selection.connectionId !== undefined) return { mode: 'fixed', id: selection.connectionId };
  const ids = connections
    .filter((connection) => connection.integration_id === integrationId && connectionAllowed(scope, integrationId, connection.connection_id))
    .map((connection) => connection.connection_id)
    .sort();
  if (ids.length === 0) return { mode: 'none' };
  if (ids.length === 1) return { mode: 'single', id: ids[0]! };
  return { mode: 'choose', ids };
}

/** The sentence a model or person reads when an integration has no connection to use. */
export function noConnectionMessage(integrationId: string, scope: ApiScope): string {
  if (scope.connections !== null) {
    return `This API key may not use any connection of "${integrationId}". Ask for a key scoped to one (patchbay key create --connections ${integrationId}:<id>).`;
  }
  return `Integration "${integrationId}" has no connection yet. Add one: patchbay connection add ${integrationId} <connection-id> --api-key <key> (or --token / --basic / --credentials, by auth mode; patchbay connect ${integrationId} <connection-id> for OAuth), then call again.`;
}

/**
 * The connection a call runs against: the plan's, or the `connection_id` argument. Throws a
 * PatchbayError whose message says what to do (pick one, add one, or ask for another key).
 */
export function resolveConnection(integrationId: string, plan: ConnectionPlan, argument: unknown, scope: ApiScope, argName: string): string {
  let id: string;
  if (plan.mode === 'none') {
    if (typeof argument === 'string' && argument !== '') id = argument;
    else throw new PatchbayError('CONNECTION_NOT_FOUND', noConnectionMessage(integrationId, scope));
  } else if (plan.mode === 'choose') {
    if (typeof argument !== 'string' || argument === '') {
      throw new PatchbayError('INVALID_INPUT', `Argument "${argName}" is required: pick one of ${plan.ids.map((c) => `"${c}"`).join(', ')}.`, {
        details: [{ path: [argName], message: `Required; one of ${plan.ids.join(', ')}` }],
      });
    }
    id = argument;
  } else if (plan.mode === 'fixed') {
    if (typeof argument === 'string' && argument !== '' && argument !== plan.id) {
      throw new PatchbayError('INVALID_INPUT', `This server is bound to connection "${plan.id}" (--connection or the connection-id header); "${argName}" cannot switch it.`, {
        details: [{ path: [argName], message: `Only "${plan.id}" is allowed here` }],
      });
    }
    id = plan.id;
  } else {
    id = typeof argument === 'string' && argument !== '' ? argument : plan.id;
  }
  if (!connectionAllowed(scope, integrationId, id)) {
    throw new PatchbayError('FORBIDDEN', `This API key may not use connection "${id}" of "${integrationId}".`);
  }
  return id;
}
