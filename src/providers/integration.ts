/**
 * Reads `integrations/<id>/integration.json` and resolves it into an IntegrationConfig: the
 * provider (a catalog entry or written inline) with the file's `proxy` overrides merged on, OAuth
 * app credentials, environment variables for functions, and backend webhooks — `${ENV}` filled.
 * Without the file, an id that names a catalog provider (Nango's usual convention) just works.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as z from 'zod';
import type { ProjectPaths } from '../config/paths.ts';
import { PatchbayError } from '../errors.ts';
import { getProvider, providerKeyForIntegration, suggestProviders } from './catalog.ts';
import { interpolate, interpolateString } from './interpolate.ts';
import { mergeProxy } from './merge.ts';
import { formatIssues, inlineProviderSchema, integrationFileSchema, providerSchema } from './schema.ts';
import type { IntegrationConfig, IntegrationFile, ProviderConfig } from './types.ts';

/** The file name inside each integration folder. */
export const INTEGRATION_FILE = 'integration.json';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Integration ids: the folders of the integrations directory (hidden folders and node_modules
 * skipped), sorted. An absent directory is an empty project, not an error.
 */
export async function listIntegrationIds(paths: ProjectPaths): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(paths.integrationsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PatchbayError('INVALID_CONFIG', `Cannot read the integrations folder ${paths.integrationsDir}: ${(error as Error).message}`, { cause: error });
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_') && e.name !== 'node_modules' && SAFE_ID.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * The resolved configuration of one integration.
 *
 * @example
 * const config = await loadIntegrationConfig(resolvePaths(), 'github');
 * config.provider.proxy.base_url // 'https://api.github.com'
 * @throws PatchbayError INVALID_CONFIG (bad JSON, bad field, missing env var, no file and no catalog match),
 *   PROVIDER_NOT_FOUND (unknown catalog key, with suggestions), INVALID_ARGUMENT (unsafe id).
 */
export async function loadIntegrationConfig(paths: ProjectPaths, integrationId: string, env: NodeJS.ProcessEnv = process.env): Promise<IntegrationConfig> {
  if (!SAFE_ID.test(integrationId)) {
    throw new PatchbayError('INVALID_ARGUMENT', `"${integrationId}" is not a valid integration id: use letters, digits, dots, dashes and underscores (the folder name under integrations/).`);
  }
  const file = path.join(paths.integrationsDir, integrationId, INTEGRATION_FILE);
  const shown = displayPath(paths, file);
  const text = await readOptional(file, shown);
  if (text === undefined) return fromCatalogOnly(integrationId, shown);

  const raw = parseJson(text, shown);
  // The OAuth app's client id and secret are resolved where they are used (oauthClient()), so a
  // missing variable fails an OAuth flow, not every use of the integration.
  const deferred = takeOAuthClient(raw);
  const parsed = interpolate(raw, env, shown);
  const result = integrationFileSchema.safeParse(parsed);
  if (!result.success) throw invalid(shown, result.error);
  const data = result.data as IntegrationFile;

  let provider = resolveProvider(data.provider, integrationId, shown);
  if (data.proxy) provider = { ...provider, proxy: mergeProxy(provider.proxy, data.proxy) };

  const config: IntegrationConfig = {
    id: integrationId,
    provider,
    oauth: { scopes: splitScopes(data.oauth?.scopes) ?? provider.default_scopes ?? [] },
    environment: data.environment ?? {},
    webhooks: data.webhooks ?? { urls: [] },
  };
  if (data.syncs !== undefined) config.syncs = data.syncs;
  for (const field of ['client_id', 'client_secret'] as const) {
    const template = deferred[field];
    if (template === undefined) continue;
    try {
      config.oauth[field] = interpolateString(template, env, `${shown} (oauth.${field})`);
    } catch (error) {
      if (!(error instanceof PatchbayError)) throw error;
      (config.oauth.unresolved ??= {})[field] = error.message;
    }
  }
  return config;
}

/**
 * The OAuth app's client id (and secret, when the caller needs it) for a flow or a token request.
 * Throws INVALID_CONFIG naming the unset variable, or the missing setting, and where to put it.
 *
 * @example
 * const { clientId, clientSecret } = oauthClient(integration, { secret: true });
 */
export function oauthClient(integration: IntegrationConfig, needs: { secret?: boolean } = {}): { clientId: string; clientSecret?: string } {
  const { oauth } = integration;
  const unresolved = oauth.unresolved?.client_id ?? (needs.secret ? oauth.unresolved?.client_secret : undefined);
  if (unresolved !== undefined) throw new PatchbayError('INVALID_CONFIG', unresolved);
  if (!oauth.client_id) {
    throw new PatchbayError(
      'INVALID_CONFIG',
      `Integration "${integration.id}" has no oauth.client_id; add it to integrations/${integration.id}/integration.json (e.g. "client_id": "\${${integration.id.toUpperCase().replace(/\W/g, '_')}_CLIENT_ID}", the value in the environment or .env).`,
    );
  }
  return oauth.client_secret !== undefined ? { clientId: oauth.client_id, clientSecret: oauth.client_secret } : { clientId: oauth.client_id };
}

/** Removes `oauth.client_id` / `client_secret` from the parsed file (string templates only) and returns them. */
function takeOAuthClient(raw: unknown): { client_id?: string; client_secret?: string } {
  const oauth = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['oauth'] : undefined;
  if (typeof oauth !== 'object' || oauth === null) return {};
  const block = oauth as Record<string, unknown>;
  const taken: { client_id?: string; client_secret?: string } = {};
  for (const field of ['client_id', 'client_secret'] as const) {
    const value = block[field];
    if (typeof value === 'string') {
      taken[field] = value;
      delete block[field];
    }
  }
  return taken;
}

function fromCatalogOnly(integrationId: string, shown: string): IntegrationConfig {
  const key = providerKeyForIntegration(integrationId);
  if (!key) {
    const close = suggestProviders(integrationId);
    const hint = close.length ? ` Close catalog keys: ${close.join(', ')}.` : '';
    throw new PatchbayError(
      'INVALID_CONFIG',
      `${shown} is missing: create it with { "provider": "<catalog key>" } (patchbay providers search <term>).${hint}`,
      { details: { integration: integrationId, suggestions: close, reason: 'missing_file' } },
    );
  }
  const provider = getProvider(key)!;
  return { id: integrationId, provider, oauth: { scopes: provider.default_scopes ?? [] }, environment: {}, webhooks: { urls: [] } };
}

function resolveProvider(spec: IntegrationFile['provider'], integrationId: string, shown: string): ProviderConfig {
  if (typeof spec === 'string') {
    const provider = getProvider(spec);
    if (provider) return provider;
    const close = suggestProviders(spec);
    const hint = close.length ? `Did you mean ${close.map((k) => `"${k}"`).join(' or ')}? ` : '';
    throw new PatchbayError(
      'PROVIDER_NOT_FOUND',
      `${shown}: provider "${spec}" is not in the catalog. ${hint}Search with: patchbay providers search <term>, or describe the provider inline: { "provider": { "auth_mode": "API_KEY", "base_url": "https://…" } }.`,
      { details: { provider: spec, suggestions: close } },
    );
  }
  const inline = spec as z.infer<typeof inlineProviderSchema>;
  const { base_url, proxy, ...rest } = inline;
  const baseUrl = base_url ?? proxy?.base_url;
  if (!baseUrl) {
    throw new PatchbayError('INVALID_CONFIG', `${shown}: provider.base_url is required for an inline provider (e.g. "base_url": "https://api.example.com").`);
  }
  const candidate = { ...rest, name: inline.name ?? integrationId.toLowerCase(), proxy: { ...proxy, base_url: baseUrl } };
  const checked = providerSchema.safeParse(candidate);
  if (!checked.success) throw invalid(shown, checked.error, 'provider');
  return checked.data as ProviderConfig;
}

/** Scopes as written: an array, or one string separated by commas and/or spaces. */
function splitScopes(scopes: string[] | string | undefined): string[] | undefined {
  if (scopes === undefined) return undefined;
  const list = Array.isArray(scopes) ? scopes : scopes.split(/[\s,]+/);
  return list.map((s) => s.trim()).filter(Boolean);
}

async function readOptional(file: string, shown: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PatchbayError('INVALID_CONFIG', `Cannot read ${shown}: ${(error as Error).message}`, { cause: error });
  }
}

/** JSON.parse with the file, line and column in the message. */
function parseJson(text: string, shown: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    } else if (/end of JSON input/i.test(message)) {
      where = ' at the end of the file';
    }
    const reason = message.replace(/\s*(in JSON )?at position \d+( \(line \d+ column \d+\))?/, '');
    throw new PatchbayError('INVALID_CONFIG', `${shown} is not valid JSON${where}: ${reason}. Fix the file and retry.`, { cause: error });
  }
}

function invalid(shown: string, error: z.ZodError, prefix = ''): PatchbayError {
  return new PatchbayError('INVALID_CONFIG', `${shown} is invalid: ${formatIssues(error, prefix)}`, { details: error.issues });
}

function displayPath(paths: ProjectPaths, file: string): string {
  const relative = path.relative(paths.root, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}
