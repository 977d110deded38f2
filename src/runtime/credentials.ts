/**
 * Credential sources for the HTTP client, one per connection. The adapter between the runtime and
 * the credential manager (runtime/auth, OAuth refresh, single-flight): until a manager is given,
 * a source hands out the stored credentials and reports a needed refresh as NEEDS_REAUTH.
 */
import type { ConnectionService, LoadedConnection } from '../connections/types.ts';
import type { Credentials } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { CredentialSource } from './http/client.ts';

/** Makes the credential source of one connection. */
export type CredentialsFactory = (integration: IntegrationConfig, connection: LoadedConnection) => CredentialSource;

export interface CredentialsOptions {
  connections: ConnectionService;
  logger?: Logger;
  /** The credential manager's factory (refreshing sources); stored credentials as they are otherwise. */
  manager?: CredentialsFactory;
}

/**
 * The runtime's credentials factory.
 *
 * @example
 * const source = createCredentials({ connections })(integration, connection);
 * const credentials = await source.get();
 */
export function createCredentials(options: CredentialsOptions): CredentialsFactory {
  if (options.manager) return options.manager;
  return (integration, connection) => storedCredentials(integration, connection);
}

function storedCredentials(integration: IntegrationConfig, connection: LoadedConnection): CredentialSource {
  const credentials: Credentials = connection.credentials;
  return {
    async get() {
      return credentials;
    },
    async refresh() {
      throw new PatchbayError(
        'NEEDS_REAUTH',
        `The credentials of connection "${connection.connection_id}" (${integration.id}) were refused and cannot be refreshed here. Re-authorise it: patchbay connection add ${integration.id} ${connection.connection_id} …`,
      );
    },
  };
}
