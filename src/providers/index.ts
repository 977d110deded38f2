/**
 * Providers: the shipped catalog and each integration's resolved configuration. Import from here,
 * not from the files behind it.
 *
 * @example
 * import { loadIntegrationConfig, getProvider } from '../providers/index.ts';
 * const { provider, oauth } = await loadIntegrationConfig(paths, 'github');
 */
export { catalogPath, getProvider, listProviders, loadCatalog, providerKeyForIntegration, searchProviders, suggestProviders } from './catalog.ts';
export { assertConnectionConfig, checkConnectionConfig, connectionConfigUses, describeConfigIssues, MAX_CONFIG_VALUE_LENGTH } from './connection-config.ts';
export type { CheckOptions, ConnectionConfigIssue, ConnectionConfigUse } from './connection-config.ts';
export { INTEGRATION_FILE, listIntegrationIds, loadIntegrationConfig, oauthClient } from './integration.ts';
export { interpolate, interpolateString } from './interpolate.ts';
export { mergePagination, mergeProxy } from './merge.ts';
export { catalogSchema, integrationFileSchema, integrationJsonSchema, paginationSchema, providerSchema } from './schema.ts';
export type { AuthMode, ConnectionConfigField, IntegrationConfig, IntegrationFile, ProviderConfig, ProviderProxy, SyncSettings } from './types.ts';
export { AUTH_MODES } from './types.ts';
