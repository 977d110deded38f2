/**
 * Credential injection: turns a connection's credentials and the provider's `proxy` config into
 * the headers and query parameters that authenticate a request, plus the set of secrets to
 * redact. Functions never see this; they call `nango.get({ endpoint })` and the right
 * `Authorization` / `x-api-key` / `?api_key=` appears here.
 *
 * Placeholders (Nango's): `${apiKey}`, `${accessToken}`, `${username}`, `${password}`,
 * `${credentials.<field>}`, `${connectionConfig.<field>}`, and `${base64(...)}` around them.
 * Defaults when the provider's headers do not set `authorization`: OAuth2 / bearer →
 * `Bearer <token>`, basic → `Basic base64(user:pass)`; API keys have no default (the provider
 * says where the key goes), like Nango.
 */
import type { Credentials } from '../define/context.ts';
import { isLoopbackHost } from '../config/net.ts';
import { PatchbayError } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import { addSecretValue, emptySecrets, type Secrets } from './redact.ts';

/** What a request carries to prove who it is, kept apart so it can be withheld from other hosts. */
export interface InjectedAuth {
  headers: Record<string, string>;
  query: Record<string, string>;
  secrets: Secrets;
}

const PLACEHOLDER = /\$\{([\w.]+)\}/g;
const BASE64 = /\$\{base64\(([^)]*)\)\}/g;
const CONNECTION_CONFIG_ONLY = /^connectionConfig\./;

/** The values placeholders resolve to for one connection. */
export function placeholderValues(credentials: Credentials, connectionConfig: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(connectionConfig)) {
    if (value !== undefined && value !== null && value !== '' && typeof value !== 'object') values[`connectionConfig.${key}`] = String(value);
  }
  for (const [key, value] of Object.entries(credentials)) {
    if (typeof value === 'string' || typeof value === 'number') {
      values[`credentials.${key}`] = String(value);
      values[key] = String(value);
    }
  }
  if (credentials.type === 'API_KEY') values['apiKey'] = credentials.api_key;
  if (credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC') values['accessToken'] = credentials.access_token;
  if (credentials.type === 'BEARER') values['accessToken'] = credentials.token;
  return values;
}

/** Fills placeholders; returns undefined when one has no value (the header is then left out). */
export function fillTemplate(template: string, values: Record<string, string>): string | undefined {
  let missing = false;
  const filled = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  if (missing) return undefined;
  return filled.replace(BASE64, (_whole, inner: string) => Buffer.from(inner, 'utf8').toString('base64'));
}

/** The placeholder names in `template` that `values` has no value for (to say what is missing). */
export function missingPlaceholders(template: string, values: Record<string, string>): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => values[name] === undefined);
}

/** Whether a template references a credential (not just connection config). */
function referencesCredential(template: string): boolean {
  for (const match of template.matchAll(PLACEHOLDER)) if (!CONNECTION_CONFIG_ONLY.test(match[1]!)) return true;
  return false;
}

/**
 * The provider's base URL with `${connectionConfig.x}` filled in (`A || B` picks the first
 * alternative the connection has every field for, like Nango). Throws INVALID_CONFIG naming the
 * missing field, so the user knows which `--config` to pass when connecting.
 */
export function resolveBaseUrl(integration: IntegrationConfig, connectionConfig: Record<string, unknown>, override?: string): string {
  const template = override ?? integration.provider.proxy.base_url;
  if (!template) {
    throw new PatchbayError('INVALID_CONFIG', `Integration "${integration.id}" has no proxy.base_url; set it in integrations/${integration.id}/integration.json or pass baseUrlOverride.`);
  }
  const values = placeholderValues({ type: 'NONE' }, connectionConfig);
  // Nango's `A || B`: the first alternative whose placeholders the connection can fill.
  let filled: string | undefined;
  for (const alternative of template.split('||')) {
    filled = fillTemplate(alternative.trim(), values);
    if (filled !== undefined && !/^https?:\/\/(\/|$)/.test(filled)) {
      checkUrlValues(integration, alternative.trim(), values);
      break;
    }
    filled = undefined;
  }
  if (filled === undefined) {
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((n) => values[n!] === undefined);
    throw new PatchbayError(
      'INVALID_CONFIG',
      `The base URL of "${integration.id}" needs ${names.join(', ')}, which this connection does not have. Re-create the connection with that connection config.`,
      { details: { missing: names } },
    );
  }
  return filled.replace(/\/+$/, '');
}

const HOST_SAFE = /^[A-Za-z0-9._~:-]+$/;
const PATH_SAFE = /^[A-Za-z0-9._~:@!$&'()*+,;=%/-]+$/;

/**
 * Connection config values land in the URL credentials are sent to, so they must not be able to
 * move it: a value in the host part may not hold `/ ? # @ \` (`evil.io#` or `evil.io@` would
 * redirect `https://${subdomain}.example.com` to evil.io), one in the path may not hold `? #` or
 * `..`. A whole URL is accepted only where the template starts with the placeholder (Salesforce's
 * `${connectionConfig.instance_url}`), since the template then fixes nothing anyway. Also guards
 * the OAuth URLs (src/connections/oauth/templates.ts); `label` names the URL in the message. The
 * declared shape of each field (host suffixes, patterns) is checked where config enters, by
 * src/providers/connection-config.ts.
 */
export function checkUrlValues(integration: IntegrationConfig, template: string, values: Record<string, string>, label = 'base URL'): void {
  const authorityEnd = template.indexOf('/', template.indexOf('://') + 3);
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!CONNECTION_CONFIG_ONLY.test(name)) continue; // only a connection's config is user input
    const value = values[name] ?? '';
    const index = match.index ?? 0;
    if (index === 0 && /^https?:\/\/[^\s]+$/.test(value)) continue;
    const inHost = authorityEnd === -1 || index < authorityEnd;
    // `%2e%2e` climbs like `..`: WHATWG URL parsing resolves both.
    const ok = inHost ? HOST_SAFE.test(value) : PATH_SAFE.test(value) && !value.split('/').some((segment) => /^(\.|%2e){2}$/i.test(segment));
    if (!ok) {
      throw new PatchbayError(
        'INVALID_CONFIG',
        `The connection config field ${name.replace('connectionConfig.', '')} holds characters not allowed in ${inHost ? 'a host name' : 'a URL path'} of ${integration.id}'s ${label}; fix the connection's config (e.g. "acme", not "acme.example.com/x").`,
        { details: { field: name } },
      );
    }
  }
}

/** Builds the credential headers and query of one request. */
export function injectAuth(integration: IntegrationConfig, credentials: Credentials, connectionConfig: Record<string, unknown>): InjectedAuth {
  const secrets = emptySecrets();
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  const proxy = integration.provider.proxy;
  const values = placeholderValues(credentials, connectionConfig);
  for (const [key, value] of Object.entries(credentials)) {
    if (key !== 'type' && key !== 'expires_at' && key !== 'raw') addSecretValue(secrets, value);
  }

  const providerHeaders = Object.entries(proxy.headers ?? {});
  const setsAuthorization = providerHeaders.some(([name, template]) => name.toLowerCase() === 'authorization' && referencesCredential(template));
  if (!setsAuthorization) {
    if (credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC') headers['authorization'] = `Bearer ${credentials.access_token}`;
    else if (credentials.type === 'BEARER') headers['authorization'] = `Bearer ${credentials.token}`;
    else if (credentials.type === 'BASIC') {
      headers['authorization'] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
    }
  }
  if (headers['authorization']) {
    secrets.names.add('authorization');
    addSecretValue(secrets, headers['authorization'].split(' ')[1]);
  }
  for (const [name, template] of providerHeaders) {
    if (!referencesCredential(template)) continue;
    const value = fillTemplate(template, values);
    if (value === undefined) continue;
    headers[name.toLowerCase()] = value;
    secrets.names.add(name.toLowerCase());
    addSecretValue(secrets, value.includes(' ') ? value.slice(value.lastIndexOf(' ') + 1) : value);
  }
  for (const [name, template] of Object.entries(proxy.query ?? {})) {
    if (!referencesCredential(template)) continue;
    const value = fillTemplate(template, values);
    if (value === undefined) continue;
    query[name] = value;
    secrets.names.add(name.toLowerCase());
    addSecretValue(secrets, value);
  }
  return { headers, query, secrets };
}

/** Provider headers and query that hold no credential (sent to any host), connection config filled in. */
export function publicDefaults(integration: IntegrationConfig, connectionConfig: Record<string, unknown>): { headers: Record<string, string>; query: Record<string, string> } {
  const values = placeholderValues({ type: 'NONE' }, connectionConfig);
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(integration.provider.proxy.headers ?? {})) {
    if (referencesCredential(template)) continue;
    const value = fillTemplate(template, values);
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  for (const [name, template] of Object.entries(integration.provider.proxy.query ?? {})) {
    if (referencesCredential(template)) continue;
    const value = fillTemplate(template, values);
    if (value !== undefined) query[name] = value;
  }
  return { headers, query };
}

/** Whether `url` may receive this integration's credentials: the base URL's origin or an allowed host. */
export function mayReceiveCredentials(url: URL, baseUrl: string, allowedHosts: string[] = []): boolean {
  if (url.origin === new URL(baseUrl).origin) return true;
  if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) return false;
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const host = p.includes(':') ? url.host : url.hostname;
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
  });
}
