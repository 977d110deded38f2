/**
 * `nango.paginate()`: the context's bridge to the pure pagination generator
 * (runtime/http/paginate.ts). Each page is one `proxy` call, so inside a worker every page is one
 * message to the main thread and cancellation is checked between pages.
 */
import type { ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';

import { paginate } from '../upstream/paginate.ts';

type Request = (config: ProxyConfiguration) => Promise<ProxyResponse>;

/**
 * Yields pages of items. Stops with the abort reason when `signal` fires between pages.
 *
 * @example
 * for await (const issues of paginateWith(proxy, { endpoint: '/issues' }, defaults, signal)) { ... }
 */
export async function* paginateWith<T>(
  request: Request,
  config: ProxyConfiguration,
  defaults: ProxyConfiguration['paginate'] | undefined,
  signal: AbortSignal,
): AsyncGenerator<T[], undefined, void> {
  if (typeof config !== 'object' || config === null || typeof config.endpoint !== 'string') {
    throw new PatchbayError('INVALID_ARGUMENT', 'nango.paginate() needs a configuration object with an "endpoint" string.');
  }
  for await (const page of paginate<T>(request, config, defaults)) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new PatchbayError('ABORTED', 'The execution was cancelled.');
    yield page;
  }
  return undefined;
}
