/**
 * The less travelled half of Nango's `nango` surface, kept apart from runtime/context.ts so that
 * file stays about proxy, state and records: `uncontrolledFetch`, `getIntegration`, field
 * mappings, flow attributes, `triggerSync` / `startSync`, `releaseAllLocks`, `setLogger`, and the
 * sync-only `listRecords`. Everything goes through Capabilities except `uncontrolledFetch`, which
 * runs where the function runs (a `Response` cannot cross to the main thread) on the execution's
 * AbortSignal.
 */
import { ActionError, PatchbayError } from '../errors.ts';
import type { LogLevel, PublicIntegration, SyncReference, TriggerSyncMode, UncontrolledFetchOptions } from '../define/context.ts';
import type { Capabilities, ContextInfo, FetchRequest, RecordCapabilities } from './capabilities.ts';

/** Records per `records.list` page while `listRecords` walks a model. */
export const LIST_PAGE_SIZE = 100;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * Nango's `uncontrolledFetch`: a plain fetch, no credentials injected, no retries, redirects
 * followed (fetch drops Authorization on a cross-origin hop). Only http(s) URLs; the execution's
 * signal aborts it; `answer` (the `fetch` capability, replay) replaces the network. The call is logged (method, origin and path; never the query, which may hold tokens).
 */
export async function uncontrolledFetch(options: UncontrolledFetchOptions, signal: AbortSignal, log: Capabilities['log'], answer?: Capabilities['fetch']): Promise<Response> {
  const raw = (options as UncontrolledFetchOptions | undefined)?.url;
  let url: URL;
  try {
    url = raw instanceof URL ? raw : new URL(String(raw));
  } catch {
    throw new ActionError({ code: 'invalid_url', message: `uncontrolledFetch needs an absolute http(s) URL in "url" (got ${JSON.stringify(String(raw)).slice(0, 120)}).` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ActionError({ code: 'url_not_allowed', message: `uncontrolledFetch only fetches http: and https: URLs (got ${url.protocol}). Use nango.proxy for the provider's API.` });
  }
  const method = (options.method ?? 'GET').toUpperCase();
  if (!METHODS.has(method)) throw new ActionError({ code: 'invalid_method', message: `uncontrolledFetch: unknown method "${method}". Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.` });
  if (signal.aborted) throw abortError(signal);
  const init: RequestInit = { method, signal };
  if (options.headers) init.headers = options.headers;
  if (options.body !== undefined && options.body !== null && method !== 'GET' && method !== 'HEAD') init.body = options.body;
  const where = `${method} ${url.origin}${url.pathname}`;
  let response: Response;
  try {
    if (answer) {
      const request: FetchRequest = { url: url.href, method };
      if (options.headers) request.headers = { ...options.headers };
      if (typeof init.body === 'string') request.body = init.body;
      const answered = await answer(request);
      response = new Response(method === 'HEAD' || [204, 205, 304].includes(answered.status) ? null : answered.body, { status: answered.status, headers: answered.headers });
    } else response = await fetch(url, init);
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    if (error instanceof PatchbayError) throw error;
    throw new PatchbayError('UPSTREAM_NETWORK_ERROR', `uncontrolledFetch ${where} failed: ${causeOf(error)}. Check the URL and that the host is reachable.`, { cause: error });
  }
  log({ time: new Date().toISOString(), level: 'debug', message: `uncontrolledFetch ${where} → ${response.status}` });
  return response;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

function abortError(signal: AbortSignal): PatchbayError {
  const reason: unknown = signal.reason;
  return reason instanceof PatchbayError ? reason : new PatchbayError('ABORTED', 'The execution was cancelled.', { cause: reason });
}

/** Nango's sync-name argument: a name, or `{ name, variant }` (patchbay has the base variant only). */
function syncName(sync: SyncReference): string {
  if (typeof sync === 'string' && sync) return sync;
  if (typeof sync === 'object' && sync !== null && typeof sync.name === 'string' && sync.name) {
    if (sync.variant && sync.variant !== 'base') {
      throw new PatchbayError('INVALID_ARGUMENT', `Sync variants are not supported (got "${sync.name}" variant "${sync.variant}"). Name the sync alone.`);
    }
    return sync.name;
  }
  throw new PatchbayError('INVALID_ARGUMENT', 'Name the sync to start: a string, or { name, variant }.');
}

/** Whether Nango's 4th `triggerSync` argument asks for a full resync (reset of checkpoint and last sync date). */
export function wantsReset(mode: TriggerSyncMode | undefined): boolean {
  if (mode === true || mode === 'full_refresh' || mode === 'full_refresh_and_clear_cache') return true;
  return typeof mode === 'object' && mode !== null && (mode.reset === true || mode.emptyCache === true);
}

/** The methods every context (action, sync, on-event) gets besides proxy and state. */
export function surfaceMethods(caps: Capabilities, info: ContextInfo, signal: AbortSignal, attributes: unknown) {
  // Locks taken through this context, so `releaseAllLocks` can let them go.
  const held = new Set<string>();
  const warnOnce = new Set<string>();
  const deprecated = (name: string, instead: string): void => {
    if (warnOnce.has(name)) return;
    warnOnce.add(name);
    caps.log({ time: new Date().toISOString(), level: 'warn', message: `${name} is deprecated (Nango): use ${instead} instead.` });
  };
  const metadata = async (): Promise<Record<string, unknown>> => (await caps.getMetadata()) ?? {};
  return {
    isCLI: info.isCLI === true,
    accountId: 0,
    async tryAcquireLock({ key, ttlMs }: { key: string; ttlMs: number }): Promise<boolean> {
      const ok = await caps.tryAcquireLock(key, ttlMs);
      if (ok) held.add(key);
      return ok;
    },
    async releaseLock({ key }: { key: string }): Promise<boolean> {
      held.delete(key);
      return caps.releaseLock(key);
    },
    async releaseAllLocks(): Promise<void> {
      const keys = [...held];
      held.clear();
      await Promise.all(keys.map((key) => caps.releaseLock(key)));
    },
    uncontrolledFetch: (options: UncontrolledFetchOptions) => uncontrolledFetch(options, signal, caps.log, caps.fetch?.bind(caps)),
    async getIntegration(): Promise<PublicIntegration> {
      if (caps.getIntegration) return caps.getIntegration();
      return { unique_key: info.providerConfigKey, provider: info.provider, display_name: info.provider };
    },
    async getFieldMapping(): Promise<Record<string, string>> {
      deprecated('getFieldMapping', 'getMetadata');
      const mapping = (await metadata())['fieldMapping'];
      return typeof mapping === 'object' && mapping !== null ? (mapping as Record<string, string>) : {};
    },
    async setFieldMapping(fieldMapping: Record<string, string>): Promise<void> {
      deprecated('setFieldMapping', 'updateMetadata');
      if (typeof fieldMapping !== 'object' || fieldMapping === null || Array.isArray(fieldMapping)) {
        throw new PatchbayError('INVALID_ARGUMENT', 'setFieldMapping needs an object such as { "email": "Email__c" }.');
      }
      await caps.updateMetadata({ fieldMapping });
    },
    getFlowAttributes<A = object>(): A | null {
      return (attributes ?? null) as A | null;
    },
    async triggerSync(providerConfigKey: string, connectionId: string, sync: SyncReference, mode?: TriggerSyncMode): Promise<void> {
      if (signal.aborted) throw abortError(signal);
      const request = { integrationId: providerConfigKey || info.providerConfigKey, syncNames: [syncName(sync)], connectionId: connectionId || info.connectionId, reset: wantsReset(mode) };
      await startSyncs(caps, request);
    },
    async startSync(providerConfigKey: string, syncs: SyncReference[], connectionId?: string): Promise<void> {
      if (signal.aborted) throw abortError(signal);
      if (!Array.isArray(syncs)) throw new PatchbayError('INVALID_ARGUMENT', 'startSync needs an array of sync names.');
      const request = { integrationId: providerConfigKey || info.providerConfigKey, syncNames: syncs.map(syncName), unpause: true, ...(connectionId ? { connectionId } : {}) };
      await startSyncs(caps, request);
    },
    setLogger(_logger: { level: LogLevel | 'off' }): void {
      // Accepted so Nango code runs; the server's log level (PATCHBAY_LOG_LEVEL) decides.
    },
  };
}

async function startSyncs(caps: Capabilities, request: Parameters<NonNullable<Capabilities['startSyncs']>>[0]): Promise<void> {
  if (caps.startSyncs) return caps.startSyncs(request);
  caps.log({ time: new Date().toISOString(), level: 'info', message: `sync start requested for ${request.integrationId}/${request.syncNames.join(', ')} (not run here: no sync runner in this context)` });
}

/** Nango's `listRecords`: walks `records.list` pages, yielding each record. */
export async function* listRecordsOf(records: RecordCapabilities, model: string, cursor: string | undefined, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
  if (!records.list) throw new PatchbayError('INVALID_ARGUMENT', 'listRecords is not available in this context (its capabilities cannot read stored records).');
  let next: string | undefined = cursor || undefined;
  do {
    if (signal.aborted) throw abortError(signal);
    const page = await records.list(model, next === undefined ? { limit: LIST_PAGE_SIZE } : { cursor: next, limit: LIST_PAGE_SIZE });
    for (const record of page.records) yield record;
    next = page.nextCursor ?? undefined;
  } while (next !== undefined);
}

/** Nango strips `_nango_metadata` (what listRecords adds) from records saved back. */
export function withoutNangoMetadata(records: unknown): unknown {
  if (!Array.isArray(records)) return records;
  return records.map((r) => {
    if (typeof r !== 'object' || r === null || !('_nango_metadata' in r)) return r;
    const { _nango_metadata: _, ...rest } = r as Record<string, unknown>;
    return rest;
  });
}
