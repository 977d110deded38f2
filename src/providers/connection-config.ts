/**
 * The one check of a connection's config against its provider: what each field was declared to
 * be (`format`, `pattern`, `enum`, `allowed_host_suffixes`, `allow_port`) and where the provider
 * puts it (`https://${connectionConfig.hostname}/ccx/oauth2/…` makes `hostname` a host name even
 * when nothing is declared). It runs wherever config enters (`/connect`, `patchbay connect
 * --config`, `connection add --config`, the connection service) and again on the config that
 * fills a token URL, because the token request carries the OAuth client secret.
 *
 * Two kinds of rule (see hostname.ts): syntax, refused for everyone; policy (suffix, pattern,
 * enum, format uuid/email, https, private names), which a full-access caller may override.
 * Fields neither declared nor used in a URL or header are free-form (functions read them).
 *
 * @example
 * checkConnectionConfig(workday, { hostname: 'attacker.example', tenant: 'acme' })
 * // [{ field: 'hostname', problem: 'is not under workday.com or myworkday.com', expected: 'a host name under …', overridable: true }]
 * assertConnectionConfig(integration, config, { fullAccess: isFullScope(scope) }) // throws INVALID_ARGUMENT
 */
import { PatchbayError, type ErrorCode } from '../errors.ts';
import { hostProblem, hostUnder, pathProblem, privateHostProblem, uriHost, uriPolicyProblem, uriProblem } from './hostname.ts';
import type { ConnectionConfigField, ProviderConfig } from './types.ts';

/** One refused field: what is wrong and what it should look like. */
export interface ConnectionConfigIssue {
  field: string;
  /** e.g. `is not under workday.com or myworkday.com`, `has user info (@)`. */
  problem: string;
  /** e.g. `a host name under workday.com or myworkday.com (e.g. wd2-impl-services1.workday.com)`. */
  expected: string;
  /** True when a full-access caller may set the value anyway (suffix, pattern, enum, private name). */
  overridable: boolean;
}

export interface CheckOptions {
  /** A full-access API key or the local CLI operator: policy rules are waived, syntax rules are not. */
  fullAccess?: boolean;
}

/** Longest value accepted in any checked field. */
export const MAX_CONFIG_VALUE_LENGTH = 2048;

/** Where a provider puts a field: a whole URL, a whole host, part of a host (with the host's template), a path, or a header/parameter. */
export type ConnectionConfigUse = { kind: 'url' } | { kind: 'host' } | { kind: 'host-part'; authority: string } | { kind: 'path' } | { kind: 'text' };

const CONFIG_PLACEHOLDER = /\$\{connectionConfig\.([\w.]+)\}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The URL templates of a provider, each `A || B` alternative on its own. */
function urlTemplates(provider: ProviderConfig): string[] {
  const urls = [provider.authorization_url, provider.token_url, provider.refresh_url, provider.proxy.base_url, provider.proxy.verification?.base_url_override];
  for (const params of [provider.authorization_params, provider.token_params, provider.refresh_params]) {
    for (const value of Object.values(params ?? {})) if (/^https?:\/\//.test(value)) urls.push(value);
  }
  return urls.filter((url): url is string => typeof url === 'string').flatMap((url) => url.split('||').map((part) => part.trim()));
}

/** Templates that are not URLs but still reach the wire: headers, query, non-URL parameters. */
function textTemplates(provider: ProviderConfig): string[] {
  const texts = [...Object.values(provider.proxy.headers ?? {}), ...Object.values(provider.proxy.query ?? {})];
  for (const params of [provider.authorization_params, provider.token_params, provider.refresh_params]) {
    for (const value of Object.values(params ?? {})) if (!/^https?:\/\//.test(value)) texts.push(value);
  }
  return texts;
}

/**
 * Every use of every `${connectionConfig.<field>}` in the provider, by field: what shape a field
 * has even when the provider declares none.
 *
 * @example
 * connectionConfigUses(getProvider('zoho-crm')!).get('extension') // [{ kind: 'host-part', authority: 'accounts.zoho.${connectionConfig.extension}' }, …]
 */
export function connectionConfigUses(provider: ProviderConfig): Map<string, ConnectionConfigUse[]> {
  const uses = new Map<string, ConnectionConfigUse[]>();
  const add = (field: string, use: ConnectionConfigUse): void => {
    uses.set(field, [...(uses.get(field) ?? []), use]);
  };
  for (const template of urlTemplates(provider)) {
    const scheme = template.indexOf('://');
    const start = scheme === -1 ? -1 : scheme + 3;
    const ends = ['/', '?', '#'].map((c) => template.indexOf(c, start)).filter((i) => i !== -1);
    const end = start === -1 ? -1 : Math.min(template.length, ...ends);
    for (const match of template.matchAll(CONFIG_PLACEHOLDER)) {
      const index = match.index ?? 0;
      if (index === 0) add(match[1]!, { kind: 'url' });
      else if (start !== -1 && index >= start && index < end) {
        const authority = template.slice(start, end);
        add(match[1]!, authority === match[0] ? { kind: 'host' } : { kind: 'host-part', authority });
      } else add(match[1]!, { kind: 'path' });
    }
  }
  for (const template of textTemplates(provider)) for (const match of template.matchAll(CONFIG_PLACEHOLDER)) add(match[1]!, { kind: 'text' });
  return uses;
}

function orList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The declared or implied format: a field that is a whole URL is a uri, a whole host a hostname. */
function formatOf(declared: ConnectionConfigField | undefined, uses: ConnectionConfigUse[]): ConnectionConfigField['format'] {
  if (declared?.format) return declared.format;
  if (uses.some((use) => use.kind === 'url')) return 'uri';
  if (uses.some((use) => use.kind === 'host')) return 'hostname';
  return undefined;
}

/** What a field should look like, in words, for the message. */
function expectedShape(declared: ConnectionConfigField | undefined, format: ConnectionConfigField['format'], uses: ConnectionConfigUse[]): string {
  const suffixes = declared?.allowed_host_suffixes;
  const under = suffixes ? ` under ${orList(suffixes)}` : '';
  const hostPart = uses.find((use): use is Extract<ConnectionConfigUse, { kind: 'host-part' }> => use.kind === 'host-part');
  let shape: string;
  if (declared?.enum) shape = `one of ${orList(declared.enum)}`;
  else if (format === 'hostname') shape = `a host name${under}, without scheme, path, user info${declared?.allow_port ? '; a :port may follow' : ' or port'}`;
  else if (format === 'uri') shape = `an https URL${suffixes ? ` on a host${under}` : ''}, without user info, query or fragment${declared?.allow_port ? '; a :port may follow the host' : ''}`;
  else if (format === 'uuid') shape = 'a UUID';
  else if (format === 'email') shape = 'an e-mail address';
  else if (hostPart) shape = `letters, digits and hyphens for the host ${hostPart.authority}`;
  else if (uses.some((use) => use.kind === 'path')) shape = 'a URL path segment without ? # \\ or ..';
  else shape = 'one line of text';
  if (declared?.pattern) shape += ` matching ${declared.pattern}`;
  return declared?.example ? `${shape} (e.g. ${declared.example})` : shape;
}

/** The host a `host-part` use makes with this config, or undefined when another field is missing. */
function filledAuthority(authority: string, config: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = authority.replace(CONFIG_PLACEHOLDER, (_whole, name: string) => {
    const value = config[name];
    if (value === undefined || value === null || value === '' || typeof value === 'object') missing = true;
    return String(value ?? '');
  });
  return missing ? undefined : filled;
}

/** The first syntax problem of one value, or undefined. */
function syntaxProblem(value: string, declared: ConnectionConfigField | undefined, format: ConnectionConfigField['format'], uses: ConnectionConfigUse[], config: Record<string, unknown>): string | undefined {
  const allowPort = declared?.allow_port === true;
  if (value.length > MAX_CONFIG_VALUE_LENGTH) return `is longer than ${MAX_CONFIG_VALUE_LENGTH} characters`;
  if (/[\x00-\x1f\x7f]/.test(value)) return 'has control characters';
  if (format === 'hostname') {
    const problem = hostProblem(value, { allowPort });
    if (problem) return problem;
  }
  if (format === 'uri') {
    const problem = uriProblem(value, { allowPort });
    if (problem) return problem;
  }
  for (const use of uses) {
    let problem: string | undefined;
    if (use.kind === 'url' && format !== 'uri') problem = uriProblem(value, { allowPort });
    else if (use.kind === 'host' && format !== 'hostname') problem = hostProblem(value, { allowPort });
    else if (use.kind === 'path') problem = pathProblem(value);
    else if (use.kind === 'host-part') {
      if (!/^[A-Za-z0-9._-]+$/.test(value)) problem = 'has characters not allowed in a host name';
      else {
        const host = filledAuthority(use.authority, config);
        const hostIssue = host === undefined ? undefined : hostProblem(host, { allowPort: /:\d+$/.test(use.authority) });
        if (hostIssue) problem = `would make the host ${host}, which ${hostIssue}`;
      }
    }
    if (problem) return problem;
  }
  return undefined;
}

/** The first policy problem of a value that passed the syntax rules, or undefined. */
function policyProblem(value: string, declared: ConnectionConfigField | undefined, format: ConnectionConfigField['format'], uses: ConnectionConfigUse[], config: Record<string, unknown>): string | undefined {
  if (declared?.enum && !declared.enum.includes(value)) return `is not one of ${orList(declared.enum)}`;
  if (declared?.pattern && !new RegExp(declared.pattern).test(value)) return `does not match ${declared.pattern}`;
  const suffixes = declared?.allowed_host_suffixes;
  if (format === 'hostname') {
    const problem = privateHostProblem(value);
    if (problem) return problem;
    if (suffixes && !hostUnder(value, suffixes)) return `is not under ${orList(suffixes)}`;
  }
  if (format === 'uri') {
    const problem = uriPolicyProblem(value);
    if (problem) return problem;
    if (suffixes && !hostUnder(uriHost(value), suffixes)) return `has a host that is not under ${orList(suffixes)}`;
  }
  if (format === 'uuid' && !UUID.test(value)) return 'is not a UUID';
  if (format === 'email' && !EMAIL.test(value)) return 'is not an e-mail address';
  for (const use of uses) {
    if (use.kind !== 'host-part') continue;
    const host = filledAuthority(use.authority, config);
    const problem = host === undefined ? undefined : privateHostProblem(host);
    if (problem) return `would make the host ${host}, which ${problem}`;
  }
  return undefined;
}

/**
 * Every field of `config` that does not have the shape its provider declares or implies. Pure;
 * an empty list means the config may be used. Missing fields are not reported here (filling a
 * template says which `--config` is missing).
 */
export function checkConnectionConfig(provider: ProviderConfig, config: Record<string, unknown>, options: CheckOptions = {}): ConnectionConfigIssue[] {
  const declarations = provider.connection_config ?? {};
  const allUses = connectionConfigUses(provider);
  const issues: ConnectionConfigIssue[] = [];
  for (const [field, raw] of Object.entries(config)) {
    const declared = Object.hasOwn(declarations, field) ? declarations[field] : undefined;
    const uses = allUses.get(field) ?? [];
    if ((!declared && uses.length === 0) || raw === undefined || raw === null || raw === '') continue;
    const format = formatOf(declared, uses);
    const expected = expectedShape(declared, format, uses);
    if (typeof raw === 'object' || typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') {
      issues.push({ field, problem: 'is not a string', expected, overridable: false });
      continue;
    }
    const value = String(raw);
    const syntax = syntaxProblem(value, declared, format, uses, config);
    if (syntax) {
      issues.push({ field, problem: syntax, expected, overridable: false });
      continue;
    }
    const policy = policyProblem(value, declared, format, uses, config);
    if (policy && !options.fullAccess) issues.push({ field, problem: policy, expected, overridable: true });
  }
  return issues;
}

/** One line for a list of issues: each field, what is wrong, what is expected. */
export function describeConfigIssues(integrationId: string, issues: ConnectionConfigIssue[]): string {
  const parts = issues.map((issue) => `connection config field "${issue.field}" of ${integrationId} ${issue.problem}: expected ${issue.expected}`);
  const override = issues.some((issue) => issue.overridable) ? ' Only a full-access API key may set a value outside the declared shape.' : '';
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.${override}`;
}

/**
 * Throws when `config` does not fit the integration's provider (INVALID_ARGUMENT by default,
 * a 400 over HTTP and exit status 2 in the CLI), with every bad field in the message and in
 * `details.fields`.
 *
 * @example
 * assertConnectionConfig(integration, { hostname: 'evil.com/x' }, { fullAccess: true })
 * // PatchbayError INVALID_ARGUMENT: Connection config field "hostname" of workday has a path, query or fragment (/ ? # \): expected a host name under …
 */
export function assertConnectionConfig(
  integration: { id: string; provider: ProviderConfig },
  config: Record<string, unknown> | undefined,
  options: CheckOptions & { code?: ErrorCode } = {},
): void {
  if (!config) return;
  const issues = checkConnectionConfig(integration.provider, config, options);
  if (issues.length === 0) return;
  throw new PatchbayError(options.code ?? 'INVALID_ARGUMENT', describeConfigIssues(integration.id, issues), { details: { fields: issues } });
}
