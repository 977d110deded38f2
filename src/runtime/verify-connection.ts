/**
 * `connection test`: proves a connection's credentials work. The integration's own
 * `validate-connection` on-event function wins when it has one (run through the executor);
 * otherwise the provider's `proxy.verification` endpoints are called through the HTTP client,
 * with auth injected and refreshed the same way a function's requests are.
 *
 * Dependencies come in as arguments (a Runtime fits), so this module never imports the runtime.
 */
import type { Manifest } from '../build/manifest.ts';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { CredentialSource, HttpClient } from '../upstream/client.ts';
import type { Executor } from './types.ts';
import type { ConnectionService, LoadedConnection } from '../connections/types.ts';

export interface VerifyDeps {
  manifest: Manifest;
  connections: ConnectionService;
  integrations: (integrationId: string) => Promise<IntegrationConfig>;
  http: HttpClient;
  credentials: (integration: IntegrationConfig, connection: LoadedConnection) => CredentialSource;
  executor: Executor;
}

/** What `connection test` found: how it checked and, on success, the HTTP status seen. */
export interface VerifyResult {
  method: 'validate-connection' | 'verification-endpoint';
  detail: string;
}

/**
 * Verifies one connection; throws a PatchbayError telling what failed and what to do.
 *
 * @example
 * const { method, detail } = await verifyConnection(runtime, 'github', 'alice');
 */
export async function verifyConnection(deps: VerifyDeps, integrationId: string, connectionId: string, signal: AbortSignal = new AbortController().signal): Promise<VerifyResult> {
  const connection = await deps.connections.get(integrationId, connectionId);
  const validator = deps.manifest.functions.find((fn) => fn.type === 'onEvent' && fn.integrationId === integrationId && fn.event === 'validate-connection');
  if (validator) {
    try {
      await deps.executor.run({ integrationId, name: validator.name, connectionId, signal });
    } catch (error) {
      const err = toPatchbayError(error, 'FUNCTION_ERROR');
      throw new PatchbayError(err.code, `validate-connection (${validator.name}) rejected "${connectionId}": ${err.message}`, { cause: err });
    }
    return { method: 'validate-connection', detail: validator.name };
  }
  const integration = await deps.integrations(integrationId);
  const verification = integration.provider.proxy.verification;
  if (!verification || verification.endpoints.length === 0) {
    throw new PatchbayError(
      'INVALID_CONFIG',
      `Integration "${integrationId}" has no way to test a connection: add "proxy": { "verification": { "endpoints": ["/me"] } } to its integration.json, or an on-event function for "validate-connection".`,
    );
  }
  const context = { integration, credentials: deps.credentials(integration, connection), connectionConfig: connection.connection_config, signal };
  let last: PatchbayError | undefined;
  for (const endpoint of verification.endpoints) {
    try {
      const response = await deps.http.request(context, {
        method: verification.method ?? 'GET',
        endpoint,
        retries: 0,
        ...(verification.base_url_override ? { baseUrlOverride: verification.base_url_override } : {}),
        ...(verification.headers ? { headers: verification.headers } : {}),
      });
      return { method: 'verification-endpoint', detail: `${verification.method ?? 'GET'} ${endpoint} → ${response.status}` };
    } catch (error) {
      last = toPatchbayError(error, 'UPSTREAM_HTTP_ERROR');
    }
  }
  throw new PatchbayError(
    last?.code === 'UPSTREAM_HTTP_ERROR' && (last.status === 401 || last.status === 403) ? 'INVALID_CREDENTIALS' : (last?.code ?? 'UPSTREAM_HTTP_ERROR'),
    `The credentials of "${connectionId}" (${integrationId}) did not pass verification: ${withoutStop(last?.message ?? 'no endpoint answered')}. Replace them: patchbay connection remove ${integrationId} ${connectionId}, then add or connect again.`,
    { cause: last, ...(last?.status !== undefined ? { status: last.status } : {}) },
  );
}

/** A sentence without its final period, to continue it with another (no "..". in messages). */
function withoutStop(message: string): string {
  return message.replace(/[.\s]+$/, '');
}
