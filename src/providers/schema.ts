/**
 * Zod schemas for the two provider documents patchbay reads: a catalog entry
 * (`catalog/providers.json`) and a user's `integrations/<id>/integration.json`. Every message
 * names the field, so a typo in a config file reads as "provider.proxy.base_url: …", not a stack.
 */
import * as z from 'zod';
import { AUTH_MODES } from './types.ts';

const OAUTH_MODES = new Set(['OAUTH2', 'OAUTH2_CC']);

/** True when `value` is an absolute http(s) URL once `${…}` placeholders are filled with a word. */
function isUrlTemplate(value: string): boolean {
  try {
    // A base URL may be one placeholder filled from the connection (Salesforce's instance_url).
    const filled = value.startsWith('${') ? value.replace(/^\$\{[^}]+\}/, 'https://x') : value;
    const url = new URL(filled.replace(/\$\{[^}]+\}/g, 'x'));
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * A URL template: placeholders such as `${connectionConfig.subdomain}` allowed, and Nango's
 * `A || B` alternatives (the first one the connection can fill wins), each a URL.
 */
const urlWithPlaceholders = z.string().refine((value) => value.split('||').every((part) => isUrlTemplate(part.trim())), {
  message: 'must be an absolute http(s) URL (placeholders such as ${connectionConfig.subdomain} are allowed)',
});

const stringMap = z.record(z.string(), z.string());
const onPage = z.unknown().optional();
const common = {
  limit: z.union([z.number().int().positive(), z.string().min(1)]).optional(),
  limit_name_in_request: z.string().min(1).optional(),
  response_path: z.string().min(1).optional(),
  in_body: z.boolean().optional(),
  on_page: onPage,
};

/** Complete pagination objects, one per type: a catalog default must be usable on its own. */
export const paginationSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cursor'),
    cursor_path_in_response: z.string().min(1),
    cursor_name_in_request: z.string().min(1),
    ...common,
  }),
  z
    .strictObject({
      type: z.literal('link'),
      link_rel_in_response_header: z.string().min(1).optional(),
      link_path_in_response_body: z.string().min(1).optional(),
      ...common,
    })
    .refine((p) => p.link_rel_in_response_header !== undefined || p.link_path_in_response_body !== undefined, {
      message: 'link pagination needs link_rel_in_response_header or link_path_in_response_body',
    }),
  z.strictObject({
    type: z.literal('offset'),
    offset_name_in_request: z.string().min(1),
    offset_start_value: z.number().int().optional(),
    offset_calculation_method: z.enum(['per-page', 'by-response-size']).optional(),
    ...common,
  }),
]);

/** A partial pagination (user overrides): any known field, the type optional. */
export const partialPaginationSchema = z.strictObject({
  type: z.enum(['cursor', 'link', 'offset']).optional(),
  cursor_path_in_response: z.string().optional(),
  cursor_name_in_request: z.string().optional(),
  link_rel_in_response_header: z.string().optional(),
  link_path_in_response_body: z.string().optional(),
  offset_name_in_request: z.string().optional(),
  offset_start_value: z.number().int().optional(),
  offset_calculation_method: z.enum(['per-page', 'by-response-size']).optional(),
  ...common,
});

const retrySchema = z.strictObject({ at: z.string().optional(), after: z.string().optional(), remaining: z.string().optional() });
const verificationSchema = z.strictObject({
  method: z.enum(['GET', 'POST']).optional(),
  endpoints: z.array(z.string().startsWith('/', { message: 'verification endpoints start with "/"' })).min(1),
  base_url_override: urlWithPlaceholders.optional(),
  headers: stringMap.optional(),
  success_path: z.string().min(1).optional(),
});

const proxyFields = {
  headers: stringMap.optional(),
  query: stringMap.optional(),
  retry: retrySchema.optional(),
  decompress: z.boolean().optional(),
  allowed_hosts: z.array(z.string().min(1)).optional(),
  verification: verificationSchema.optional(),
};

/** `proxy` of a catalog entry: base_url required, pagination complete. */
export const providerProxySchema = z.strictObject({ base_url: urlWithPlaceholders, paginate: paginationSchema.optional(), ...proxyFields });

/** `proxy` in integration.json: every field optional, pagination partial (merged onto the provider's). */
export const proxyOverrideSchema = z.strictObject({
  base_url: urlWithPlaceholders.optional(),
  paginate: partialPaginationSchema.optional(),
  ...proxyFields,
});

/** A regular expression that compiles. */
const regexSource = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a valid regular expression' },
);

/** A domain a host must sit under: lower-case labels, no scheme, dot or wildcard in front. */
const hostSuffix = z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'allowed_host_suffixes are domains such as "workday.com" (no scheme, no leading dot or *)');

/**
 * One connection config field (see ConnectionConfigField). Loose: Nango's entries carry more keys
 * (prefix, suffix, doc_section, order, automated…) that patchbay accepts and ignores.
 */
const connectionConfigFieldSchema = z
  .looseObject({
    type: z.literal('string'),
    title: z.string().optional(),
    description: z.string().optional(),
    example: z.string().optional(),
    format: z.enum(['hostname', 'uri', 'uuid', 'email']).optional(),
    pattern: regexSource.optional(),
    enum: z.array(z.string().min(1)).min(1).optional(),
    allowed_host_suffixes: z.array(hostSuffix).min(1).optional(),
    allow_port: z.boolean().optional(),
  })
  .refine((field) => field.allowed_host_suffixes === undefined || field.format === 'hostname' || field.format === 'uri', {
    message: 'allowed_host_suffixes needs format "hostname" or "uri"',
    path: ['allowed_host_suffixes'],
  });

const connectionConfigSchema = z.record(z.string(), connectionConfigFieldSchema);

const providerFields = {
  display_name: z.string().min(1).optional(),
  categories: z.array(z.string().min(1)).optional(),
  auth_mode: z.enum(AUTH_MODES, { message: `must be one of ${AUTH_MODES.join(', ')}` }),
  authorization_url: urlWithPlaceholders.optional(),
  token_url: urlWithPlaceholders.optional(),
  refresh_url: urlWithPlaceholders.optional(),
  authorization_params: stringMap.optional(),
  token_params: stringMap.optional(),
  refresh_params: stringMap.optional(),
  token_request_auth_method: z.enum(['basic', 'body']).optional(),
  scope_separator: z.string().optional(),
  default_scopes: z.array(z.string().min(1)).optional(),
  token_expiration_buffer: z.number().int().nonnegative().optional(),
  disable_pkce: z.boolean().optional(),
  connection_config: connectionConfigSchema.optional(),
  docs: z.url().optional(),
  aliases: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'aliases are lower-case keys')).optional(),
};

function requireOAuthUrls(entry: { auth_mode: string; authorization_url?: string | undefined; token_url?: string | undefined }, ctx: z.RefinementCtx): void {
  if (!OAUTH_MODES.has(entry.auth_mode)) return;
  if (entry.auth_mode === 'OAUTH2' && !entry.authorization_url) {
    ctx.addIssue({ code: 'custom', path: ['authorization_url'], message: 'OAUTH2 providers need authorization_url' });
  }
  if (!entry.token_url) ctx.addIssue({ code: 'custom', path: ['token_url'], message: `${entry.auth_mode} providers need token_url` });
}

/** One catalog entry (the key is the `name`). */
export const providerSchema = z
  .strictObject({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'keys are lower-case, digits and dashes'), proxy: providerProxySchema, ...providerFields })
  .superRefine(requireOAuthUrls);

/** The whole catalog file: `{ "providers": [ … ] }`. */
export const catalogSchema = z.strictObject({ $comment: z.string().optional(), providers: z.array(providerSchema) });

/** An inline provider in integration.json: `base_url` may stand at the top level instead of in `proxy`. */
export const inlineProviderSchema = z.strictObject({
  name: z.string().min(1).optional(),
  base_url: urlWithPlaceholders.optional(),
  proxy: proxyOverrideSchema.optional(),
  ...providerFields,
});

/** `integrations/<id>/integration.json`. */
export const integrationFileSchema = z.strictObject({
  $schema: z.string().optional(),
  provider: z
    .union([z.string().min(1), inlineProviderSchema], {
      message: 'must be a catalog key (e.g. "github") or an object with at least auth_mode and base_url',
    })
    .describe('A catalog key or alias (patchbay providers search <term>), or an inline provider with Nango providers.yaml field names.'),
  oauth: z
    .strictObject({
      client_id: z.string().optional(),
      client_secret: z.string().optional(),
      scopes: z.union([z.array(z.string()), z.string()], { message: 'must be an array of scopes or one string separated by commas or spaces' }).optional(),
    })
    .optional()
    .describe('OAuth app credentials; write secrets as ${ENV_VAR}.'),
  proxy: proxyOverrideSchema.optional().describe("Merged onto the provider's proxy: headers/query/retry key by key, paginate when the type matches."),
  environment: z.record(z.string(), z.string()).optional().describe('Variables functions read with nango.getEnvironmentVariables().'),
  webhooks: z
    .strictObject({ urls: z.array(z.url()), secret: z.string().optional() })
    .optional()
    .describe("Your backend's URLs that receive sync webhooks."),
  syncs: z
    .record(
      z.string(),
      z.strictObject({
        allowMassDeletes: z.boolean().optional().describe('Let delete passes remove any share of a model (turns the delete guard off for this sync).'),
        maxDeleteShare: z
          .number({ message: 'must be a number from 0 to 1 (e.g. 0.8)' })
          .min(0, { message: 'must be a number from 0 to 1 (e.g. 0.8)' })
          .max(1, { message: 'must be a number from 0 to 1 (e.g. 0.8)' })
          .optional()
          .describe('Largest share of a model one delete pass may remove while the model shrinks (default PATCHBAY_SYNC_MAX_DELETE_SHARE or 0.5).'),
      }),
    )
    .optional()
    .describe('Settings per sync (keyed by sync name) that patchbay reads and Nango does not: the delete guard (docs/syncs.md).'),
});

/**
 * integration.json as JSON Schema, for editors: shipped as `catalog/integration.schema.json`
 * and printed by `patchbay providers schema`. Refinements (URL checks) stay in zod.
 */
export function integrationJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(integrationFileSchema, { unrepresentable: 'any' }),
    title: 'patchbay integration.json',
  };
}

/** Formats zod issues as `path: message; path: message`, for one readable error line. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)` : issue.message;
      return where ? `${where}: ${message}` : message;
    })
    .join('; ');
}
