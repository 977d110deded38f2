/**
 * A provider: how to authenticate to and talk with one third-party API. Field names follow
 * Nango's providers.yaml where one exists, so a Nango user reads them without a guide.
 */
import type { Pagination } from '../define/context.ts';

export const AUTH_MODES = ['OAUTH2', 'OAUTH2_CC', 'API_KEY', 'BASIC', 'BEARER', 'NONE'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface ProviderProxy {
  /** e.g. 'https://api.github.com'; may hold `${connectionConfig.subdomain}` placeholders. */
  base_url: string;
  /** Headers added to every request; values may reference `${apiKey}`, `${accessToken}`, `${username}`… */
  headers?: Record<string, string>;
  /** Query parameters added to every request (an API key in the query, for example). */
  query?: Record<string, string>;
  /** Rate-limit headers: `at` is an epoch reset time, `after` a delay in seconds, `remaining` the budget left. */
  retry?: { at?: string; after?: string; remaining?: string };
  /** Default pagination merged under the call's own `paginate`. */
  paginate?: Partial<Pagination>;
  /** Endpoint(s) that prove credentials work, for `connection test`. */
  verification?: {
    method?: 'GET' | 'POST';
    endpoints: string[];
    base_url_override?: string;
    headers?: Record<string, string>;
    /** A dotted path in the JSON body that must be truthy, for APIs that answer 200 on bad credentials (Slack's `ok`). */
    success_path?: string;
  };
  decompress?: boolean;
  /** Extra hosts allowed to receive credentials besides base_url's origin. */
  allowed_hosts?: string[];
}

/**
 * One connection config field, as Nango's providers.yaml declares it (`type`, `title`,
 * `description`, `example`, `pattern`, `format`, `enum`) plus patchbay's `allowed_host_suffixes`
 * and `allow_port`. A value that lands in the provider's URLs is checked against it when a
 * connection is made (src/providers/connection-config.ts); Nango's other keys (`prefix`,
 * `suffix`, `doc_section`, `order`…) are accepted and ignored.
 *
 * @example
 * { "type": "string", "title": "Host name", "format": "hostname", "allowed_host_suffixes": ["workday.com", "myworkday.com"], "example": "wd2-impl-services1.workday.com" }
 */
export interface ConnectionConfigField {
  type: 'string';
  title?: string;
  description?: string;
  example?: string;
  /** What the value is: a bare host name (`acme.workday.com`), an absolute https URL, a UUID or an e-mail address. */
  format?: 'hostname' | 'uri' | 'uuid' | 'email';
  /** A regular expression the value must match; write `^…$` to match the whole value. */
  pattern?: string;
  /** The only values accepted (Zoho's data centre: `com`, `eu`, `in`…). */
  enum?: string[];
  /** With format hostname or uri: the host must be one of these domains or a subdomain of one. */
  allowed_host_suffixes?: string[];
  /** With format hostname or uri: a `:port` is accepted (self-hosted services). */
  allow_port?: boolean;
}

export interface ProviderConfig {
  /** Catalog key, e.g. 'github'. */
  name: string;
  display_name?: string;
  categories?: string[];
  auth_mode: AuthMode;
  authorization_url?: string;
  token_url?: string;
  refresh_url?: string;
  authorization_params?: Record<string, string>;
  token_params?: Record<string, string>;
  refresh_params?: Record<string, string>;
  /** How to send client credentials to the token endpoint (default: body). */
  token_request_auth_method?: 'basic' | 'body';
  scope_separator?: string;
  default_scopes?: string[];
  /** Seconds before expiry at which a token is refreshed ahead of time (default 300). */
  token_expiration_buffer?: number;
  /** Whether refresh tokens rotate on every refresh (most OAuth2 providers may). */
  disable_pkce?: boolean;
  proxy: ProviderProxy;
  /** Connection config fields the user must supply (e.g. `subdomain`), and the shape each must have. */
  connection_config?: Record<string, ConnectionConfigField>;
  docs?: string;
  /** Other keys that resolve to this provider (e.g. `outlook` → `microsoft`), so Nango integration ids work as is. */
  aliases?: string[];
}

/** `integrations/<id>/integration.json` as written by the user. */
export interface IntegrationFile {
  /** A catalog key, or an inline provider (`name` optional; `base_url` may stand at the top level). */
  provider: string | (Partial<ProviderConfig> & { base_url?: string; auth_mode: AuthMode });
  oauth?: { client_id?: string; client_secret?: string; scopes?: string[] | string };
  /** Overrides merged onto the provider (base_url, headers, retry, paginate…). */
  proxy?: Partial<ProviderProxy>;
  /** Variables a function reads through `nango.getEnvironmentVariables()`. */
  environment?: Record<string, string>;
  /** URLs of the user's backend that receive sync webhooks. */
  webhooks?: { urls: string[]; secret?: string };
  /** Per-sync settings keyed by sync name (patchbay's own; Nango's createSync has no place for them). */
  syncs?: Record<string, SyncSettings>;
}

/**
 * What integration.json may set for one sync. They live here rather than in `createSync` so a
 * function file still compiles under Nango's CLI, whose createSync props admit no unknown field.
 */
export interface SyncSettings {
  /** Turns the delete guard off: delete passes may remove any share of a model. */
  allowMassDeletes?: boolean;
  /** Largest share (0 to 1) of a model's live records a shrinking delete pass may remove. */
  maxDeleteShare?: number;
}

/** An integration's resolved configuration: provider merged, `${ENV}` interpolated. */
export interface IntegrationConfig {
  id: string;
  provider: ProviderConfig;
  oauth: {
    client_id?: string;
    client_secret?: string;
    scopes: string[];
    /**
     * OAuth app settings whose `${ENV}` is not set, with the sentence to show. They are resolved
     * lazily: only an OAuth flow or token request fails on them (`oauthClient()`), so a token or
     * API-key connection never needs the OAuth app's variables.
     */
    unresolved?: { client_id?: string; client_secret?: string };
  };
  environment: Record<string, string>;
  webhooks: { urls: string[]; secret?: string };
  /** Per-sync settings from integration.json, keyed by sync name; absent when the file sets none. */
  syncs?: Record<string, SyncSettings>;
}
