/**
 * How integration.json's `proxy` overrides combine with a provider's defaults, in one place.
 * (A function's own `nango.paginate({ paginate })` is laid over the result by the runtime with a
 * plain spread, as Nango's runner does.)
 */
import type { Pagination } from '../define/context.ts';
import type { ProviderProxy } from './types.ts';

/** integration.json's `proxy`: any field of a provider's proxy; an undefined field is skipped. */
export type ProxyOverride = { [K in keyof ProviderProxy]?: ProviderProxy[K] | undefined };

/**
 * Overrides onto a provider's proxy: scalars replace, `headers` / `query` / `retry` merge key by
 * key, `paginate` merges when the type is the same (or not given) and replaces otherwise, and
 * `verification` replaces as a whole.
 *
 * @example
 * mergeProxy(github.proxy, { headers: { 'X-GitHub-Api-Version': '2022-11-28' } })
 */
export function mergeProxy(base: ProviderProxy, override: ProxyOverride): ProviderProxy {
  const out: ProviderProxy = { ...base };
  for (const [key, value] of Object.entries(override) as Array<[keyof ProviderProxy, unknown]>) {
    if (value === undefined) continue;
    switch (key) {
      case 'headers':
      case 'query':
      case 'retry':
        (out as unknown as Record<string, unknown>)[key] = { ...(base[key] ?? {}), ...(value as object) };
        break;
      case 'paginate': {
        const paginate = mergePagination(base.paginate, value as Partial<Pagination>);
        if (paginate) out.paginate = paginate;
        break;
      }
      default:
        (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/**
 * integration.json's partial pagination over a provider default: same type (or none given) → field
 * merge; a different type → the override alone, since another type's fields mean nothing to it.
 * Returns undefined when neither side says anything.
 *
 * @example
 * mergePagination(provider.proxy.paginate, config.paginate) // then validate completeness before paging
 */
export function mergePagination(base: Partial<Pagination> | undefined, override: Partial<Pagination> | undefined): Partial<Pagination> | undefined {
  if (!override) return base ? { ...base } : undefined;
  if (!base) return { ...override };
  if (override.type !== undefined && base.type !== undefined && override.type !== base.type) return { ...override };
  return { ...base, ...override } as Partial<Pagination>;
}
