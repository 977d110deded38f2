/**
 * What the project and the provider catalog hold, as Nango's API answers it:
 * `GET /integrations` (`listIntegrations`), `GET /integrations/:key` (`getIntegration`, with the
 * integration's functions and their JSON schemas, a patchbay addition), `GET /providers[?search=]`
 * (`listProviders`) and `GET /providers/:provider` (`getProvider`). Read-only: integrations live
 * in `integrations/` and change by deploy, so creating, changing or deleting one answers 501.
 *
 * A scoped key sees the integrations where it may use a connection, and of their actions only
 * those its tool globs match. No answer carries a secret: the OAuth client secret and webhook
 * secret stay in the server's environment (`client_secret: null`).
 */
import type { Context } from 'hono';
import { toolAllowed, type ApiScope } from '../../access/scope.ts';
import type { FunctionManifest, Manifest } from '../../build/manifest.ts';
import { PatchbayError } from '../../errors.ts';
import { getProvider, searchProviders, suggestProviders } from '../../providers/catalog.ts';
import type { IntegrationConfig, ProviderConfig } from '../../providers/types.ts';
import type { Store } from '../../store/types.ts';
import type { AppEnv } from '../middleware.ts';

export interface CatalogRouteDeps {
  manifest(): Manifest;
  integrations(integrationId: string): Promise<IntegrationConfig>;
  store: Pick<Store, 'connections'>;
  toolName(integrationId: string, name: string): string;
}

/** Integrations a scope may see: all for a key without a connection list, else those it has a connection of. */
async function visibleIntegrations(deps: CatalogRouteDeps, scope: ApiScope): Promise<string[]> {
  const ids = deps.manifest().integrations.map((i) => i.id);
  if (scope.connections === null) return ids;
  const allowed = new Set(scope.connections.map((entry) => (entry.includes(':') ? entry.slice(0, entry.indexOf(':')) : undefined)));
  const plain = scope.connections.filter((entry) => !entry.includes(':'));
  const out: string[] = [];
  for (const id of ids) {
    if (allowed.has(id)) out.push(id);
    else if (plain.length > 0 && (await deps.store.connections.list({ integrationId: id })).some((row) => plain.includes(row.connection_id))) out.push(id);
  }
  return out;
}

async function summary(deps: CatalogRouteDeps, id: string) {
  const config = await deps.integrations(id).catch(() => undefined);
  return {
    unique_key: id,
    provider: config?.provider.name ?? null,
    display_name: config?.provider.display_name ?? config?.provider.name ?? id,
    logo: '',
    forward_webhooks: false,
    ...(config ? {} : { error: `integrations/${id}/integration.json cannot be read; run \`patchbay compile\` for the reason.` }),
  };
}

function functionView(fn: FunctionManifest, toolName: string) {
  return {
    name: fn.name,
    type: fn.type,
    description: fn.description,
    ...(fn.type === 'action' ? { tool: toolName, input: fn.input ?? null, output: fn.output ?? null } : {}),
    ...(fn.type === 'sync' ? { models: fn.models ?? {}, frequency: fn.frequency ?? null, sync_type: fn.syncType ?? null, auto_start: fn.autoStart !== false } : {}),
    ...(fn.event ? { event: fn.event } : {}),
  };
}

/** `GET /integrations`. */
export function listIntegrations(deps: CatalogRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const ids = await visibleIntegrations(deps, c.get('scope'));
    return c.json({ data: await Promise.all(ids.map((id) => summary(deps, id))) });
  };
}

/** `GET /integrations/:uniqueKey[?include=webhook,credentials]`. */
export function getIntegration(deps: CatalogRouteDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const id = c.req.param('uniqueKey')!;
    const scope = c.get('scope');
    if (!deps.manifest().integrations.some((i) => i.id === id)) {
      throw new PatchbayError('INTEGRATION_NOT_FOUND', `No integration "${id}" in this project. GET /integrations lists them.`);
    }
    if (!(await visibleIntegrations(deps, scope)).includes(id)) {
      throw new PatchbayError('FORBIDDEN', `This API key has no connection of "${id}".`);
    }
    const include = (c.req.queries('include') ?? []).flatMap((v) => v.split(',')).map((v) => v.trim());
    const config = await deps.integrations(id);
    const functions = deps
      .manifest()
      .functions.filter((fn) => fn.integrationId === id)
      .filter((fn) => fn.type !== 'action' || toolAllowed(scope, deps.toolName(id, fn.name), `${id}/${fn.name}`))
      .map((fn) => functionView(fn, deps.toolName(id, fn.name)));
    const oauth = config.provider.auth_mode.startsWith('OAUTH');
    return c.json({
      data: {
        ...(await summary(deps, id)),
        ...(include.includes('webhook') ? { webhook_url: null } : {}),
        ...(include.includes('credentials') && oauth
          ? { credentials: { type: config.provider.auth_mode, client_id: config.oauth.client_id ?? null, client_secret: null, scopes: config.oauth.scopes.join(',') || null, webhook_secret: null } }
          : {}),
        functions,
      },
    });
  };
}

function providerView(key: string, provider: ProviderConfig) {
  return { ...provider, name: key, logo_url: '' };
}

/** `GET /providers[?search=]`. */
export function listProviders(): (c: Context<AppEnv>) => Response {
  return (c) => {
    const search = c.req.query('search') ?? '';
    return c.json({ data: searchProviders(search).map((provider) => providerView(provider.name, provider)) });
  };
}

/** `GET /providers/:provider`. */
export function showProvider(): (c: Context<AppEnv>) => Response {
  return (c) => {
    const key = c.req.param('provider')!;
    const provider = getProvider(key);
    if (!provider) {
      const close = suggestProviders(key);
      throw new PatchbayError('PROVIDER_NOT_FOUND', `No provider "${key}" in the catalog.${close.length > 0 ? ` Did you mean ${close.map((name) => `"${name}"`).join(', ')}?` : ''} GET /providers?search=<term> searches it.`);
    }
    return c.json({ data: providerView(key, provider) });
  };
}

/** Integrations are files: writes answer 501 with where to make the change. */
export function integrationsAreFiles(): never {
  throw new PatchbayError(
    'NOT_IMPLEMENTED',
    'Integrations are defined by the files in integrations/<id>/ (integration.json and the functions); create, change or remove them there and run `patchbay compile`.',
  );
}
