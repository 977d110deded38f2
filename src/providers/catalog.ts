/**
 * The provider catalog: `catalog/providers.json`, shipped in the package, read once and cached.
 * It answers "how do I authenticate to and page through API X" for every integration whose
 * integration.json names a catalog key — or that has no integration.json at all, because a
 * Nango integration id is usually the provider's name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closest } from '../config/similar.ts';
import { PatchbayError } from '../errors.ts';
import { catalogSchema, formatIssues } from './schema.ts';
import type { ProviderConfig } from './types.ts';

/**
 * Resolved relative to this module so it works from `src/providers/`, `dist/providers/` and an
 * installed package alike (both sit two levels under the package root, next to `catalog/`).
 */
const CATALOG_URL = new URL('../../catalog/providers.json', import.meta.url);

/** Integration-id suffixes that name a variant of one provider (`salesforce-sandbox` → `salesforce`). */
const VARIANT_SUFFIXES = ['sandbox', 'staging', 'dev', 'test', 'prod', 'production', 'demo', 'oauth', 'oauth2', 'oauth2-cc', 'api-key', 'basic', 'cc', 'pat'];

let cache: Map<string, ProviderConfig> | undefined;
let unique: ProviderConfig[] | undefined;

/** The catalog file's path, for messages and docs. */
export function catalogPath(): string {
  return fileURLToPath(CATALOG_URL);
}

/**
 * Every provider by key **and by alias** (an alias maps to the same object, whose `name` is the
 * primary key). Cached after the first call; validated against the schema so a bad edit to the
 * catalog fails loudly at startup instead of at the first request.
 *
 * @example
 * loadCatalog().get('github')?.proxy.base_url // 'https://api.github.com'
 */
export function loadCatalog(): Map<string, ProviderConfig> {
  if (cache) return cache;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(CATALOG_URL, 'utf8'));
  } catch (error) {
    throw new PatchbayError('INVALID_CONFIG', `Cannot read the provider catalog ${catalogPath()}: ${(error as Error).message}. Reinstall patchbay.`, { cause: error });
  }
  const parsed = catalogSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PatchbayError('INVALID_CONFIG', `The provider catalog ${catalogPath()} is invalid: ${formatIssues(parsed.error, 'providers')}`, { details: parsed.error.issues });
  }
  const map = new Map<string, ProviderConfig>();
  const list: ProviderConfig[] = [];
  for (const entry of parsed.data.providers as ProviderConfig[]) {
    for (const key of [entry.name, ...(entry.aliases ?? [])]) {
      if (map.has(key)) throw new PatchbayError('INVALID_CONFIG', `The provider catalog lists "${key}" twice (as a key or an alias).`);
      map.set(key, entry);
    }
    list.push(entry);
  }
  cache = map;
  unique = list.sort((a, b) => a.name.localeCompare(b.name));
  return map;
}

/** Every provider once (aliases folded into their entry), sorted by key: what `patchbay providers` lists. */
export function listProviders(): ProviderConfig[] {
  loadCatalog();
  return unique ?? [];
}

/**
 * The provider for a key or alias, or undefined. Returns a deep copy: callers merge overrides
 * onto it, and the cached catalog must stay pristine.
 */
export function getProvider(key: string): ProviderConfig | undefined {
  const entry = loadCatalog().get(key.toLowerCase());
  return entry ? structuredClone(entry) : undefined;
}

/**
 * The catalog key an integration id stands for: the id itself, an alias, or the id without a
 * variant suffix (`github-sandbox`, `hubspot-oauth`). Undefined when none matches.
 *
 * @example
 * providerKeyForIntegration('google-mail') // 'google-mail' is an alias → 'gmail'
 */
export function providerKeyForIntegration(integrationId: string): string | undefined {
  const catalog = loadCatalog();
  let id = integrationId.toLowerCase();
  for (;;) {
    const hit = catalog.get(id);
    if (hit) return hit.name;
    const suffix = VARIANT_SUFFIXES.find((s) => id.endsWith(`-${s}`)) ?? (/-\d+$/.test(id) ? id.slice(id.lastIndexOf('-') + 1) : undefined);
    if (!suffix) return undefined;
    id = id.slice(0, id.length - suffix.length - 1);
  }
}

/** Keys and aliases close to `term` (edit distance or shared prefix), best first, ties alphabetical: "did you mean". */
export function suggestProviders(term: string, max = 3): string[] {
  return closest(term, [...loadCatalog().keys()].sort(), max);
}

/**
 * Providers whose key, alias, display name or category contains every word of `term`.
 * An empty term lists everything.
 */
export function searchProviders(term = ''): ProviderConfig[] {
  const words = term.toLowerCase().split(/\s+/).filter(Boolean);
  return listProviders().filter((p) => {
    const haystack = [p.name, ...(p.aliases ?? []), p.display_name ?? '', ...(p.categories ?? [])].join(' ').toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}
