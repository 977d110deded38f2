/**
 * Placeholders in a provider's OAuth endpoints and parameters: Zendesk, Shopify, Okta, Zoho,
 * Auth0, Workday and Microsoft app-only tokens live at `https://${connectionConfig.subdomain}…`,
 * Checkr and TikTok put `${clientId}` into the authorization URL or its params. They are filled
 * per connection with the same machinery as the proxy base URL (src/upstream/inject.ts): a
 * connection-config value may not move the host, it must have the shape its provider declares
 * (providers/connection-config.ts), and a missing field is an INVALID_CONFIG that says which
 * `--config` field to pass.
 */
import { PatchbayError } from '../../errors.ts';
import { assertConnectionConfig, oauthClient } from '../../providers/index.ts';
import type { IntegrationConfig } from '../../providers/types.ts';
import { checkUrlValues, fillTemplate, missingPlaceholders, placeholderValues } from '../../upstream/inject.ts';

/** The connection an OAuth request is made for: its config fills the templates, its id makes hints concrete. */
export interface OAuthConnection {
  connectionConfig?: Record<string, unknown>;
  connectionId?: string;
  /** Which command creates such a connection, for the hint (default `connect`; OAUTH2_CC: `connection add`). */
  command?: 'connect' | 'connection add';
  /**
   * The config was set by a full-access caller (a full-access API key, the local CLI operator) or
   * read back from a stored connection, whose config was checked under its creator's rights when
   * stored: the provider's suffix, pattern and enum rules are waived. Syntax rules never are.
   * Default false: every rule applies.
   */
  fullAccess?: boolean;
}

type Field = 'authorization_url' | 'token_url' | 'refresh_url' | 'authorization_params' | 'token_params' | 'refresh_params';

const CONFIG_PREFIX = 'connectionConfig.';
const CONFIG_FIELD = /\$\{connectionConfig\.([\w.]+)\}/g;

/**
 * The fields of `template` must have their declared shape (providers/connection-config.ts), as at
 * connect time: this is the last check before the URL receives the authorization code, the client
 * secret or a refresh token. INVALID_CONFIG, like a host-moving value.
 */
function checkShape(integration: IntegrationConfig, template: string, connection: OAuthConnection): void {
  const config = connection.connectionConfig ?? {};
  const used = Object.fromEntries([...template.matchAll(CONFIG_FIELD)].map((m) => m[1]!).filter((name) => Object.hasOwn(config, name)).map((name) => [name, config[name]]));
  assertConnectionConfig(integration, used, { fullAccess: connection.fullAccess === true, code: 'INVALID_CONFIG' });
}

/** `${connectionConfig.<field>}` and `${clientId}` values for one connection (nothing else: no secret is ever filled here). */
function templateValues(integration: IntegrationConfig, connectionConfig: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(placeholderValues({ type: 'NONE' }, connectionConfig))) {
    if (name.startsWith(CONFIG_PREFIX)) values[name] = value;
  }
  if (integration.oauth.unresolved?.client_id !== undefined) oauthClient(integration);
  if (integration.oauth.client_id) values['clientId'] = integration.oauth.client_id;
  return values;
}

/** The INVALID_CONFIG for placeholders the connection (or integration) cannot fill. */
function missingError(integration: IntegrationConfig, field: Field, missing: string[], connection: OAuthConnection): PatchbayError {
  const id = integration.id;
  const fields = missing.filter((name) => name.startsWith(CONFIG_PREFIX)).map((name) => name.slice(CONFIG_PREFIX.length));
  if (fields.length === 0) {
    const clientIdHint = missing.includes('clientId') ? ` Set oauth.client_id in integrations/${id}/integration.json.` : '';
    return new PatchbayError('INVALID_CONFIG', `The ${field} of "${id}" uses ${missing.map((n) => `\${${n}}`).join(', ')}, which cannot be filled.${clientIdHint}`, {
      details: { field, missing },
    });
  }
  const connectionId = connection.connectionId ?? '<connection-id>';
  const examples = integration.provider.connection_config ?? {};
  const config = JSON.stringify(Object.fromEntries(fields.map((name) => [name, examples[name]?.example ?? `<${name}>`])));
  const query = fields.map((name) => `connection_config[${name}]=${encodeURIComponent(examples[name]?.example ?? `<${name}>`)}`).join('&');
  const how =
    connection.command === 'connection add'
      ? `patchbay connection add ${id} ${connectionId} --config '${config}'`
      : `patchbay connect ${id} ${connectionId} --config '${config}' (over HTTP: GET /connect/${id}?connection_id=${connectionId}&${query})`;
  return new PatchbayError(
    'INVALID_CONFIG',
    `The ${field} of "${id}" needs the connection config field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}, which this connection does not have. Pass it when connecting: ${how}`,
    { details: { field, missing: fields } },
  );
}

/**
 * One OAuth URL with its placeholders filled and checked; a template without placeholders comes
 * back unchanged.
 *
 * @example
 * fillOAuthUrl(zendesk, 'token_url', zendesk.provider.token_url!, { connectionConfig: { subdomain: 'acme' } })
 * // 'https://acme.zendesk.com/oauth/tokens'
 */
export function fillOAuthUrl(integration: IntegrationConfig, field: 'authorization_url' | 'token_url' | 'refresh_url', template: string, connection: OAuthConnection = {}): URL {
  const values = templateValues(integration, connection.connectionConfig ?? {});
  const filled = fillTemplate(template, values);
  if (filled === undefined) throw missingError(integration, field, missingPlaceholders(template, values), connection);
  checkUrlValues(integration, template, values, field);
  checkShape(integration, template, connection);
  try {
    return new URL(filled);
  } catch (cause) {
    throw new PatchbayError('INVALID_CONFIG', `The ${field} of "${integration.id}" is not a valid URL once filled (${filled}); check it and the connection's config.`, { cause });
  }
}

/**
 * A provider's `authorization_params` / `token_params` / `refresh_params` with placeholders
 * filled. A value that is itself a URL (Auth0's `audience`) gets the host check too.
 */
export function fillOAuthParams(integration: IntegrationConfig, field: 'authorization_params' | 'token_params' | 'refresh_params', connection: OAuthConnection = {}): Record<string, string> {
  const params = integration.provider[field] ?? {};
  const values = templateValues(integration, connection.connectionConfig ?? {});
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(params)) {
    const filled = fillTemplate(template, values);
    if (filled === undefined) throw missingError(integration, field, missingPlaceholders(template, values), connection);
    if (/^https?:\/\//.test(template)) {
      checkUrlValues(integration, template, values, `${field}.${key}`);
      checkShape(integration, template, connection);
    }
    out[key] = filled;
  }
  return out;
}
