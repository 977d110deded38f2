/**
 * Fixture-backed capabilities: what the real `nango` context calls during `patchbay test`. HTTP is
 * answered from the recordings, `getConnection` / `getMetadata` / checkpoints / environment from the
 * fixture's `nango` section, and every record the function saves or deletes is collected for the
 * comparison. The context object itself (pagination, get/post helpers, batchSave validation) is
 * the production one; only the services below it are swapped.
 *
 * Choices made so Nango's recorded fixtures replay as they do under Nango's vitest mock:
 * - a recorded response with status >= 400 is thrown as the error production would throw
 *   (`httpErrors: 'throw'`, patchbay recordings), or handed back as data like Nango's mock
 *   (`'return'`, fixtures Nango recorded; see fixture.ts);
 * - without a stub, `getMetadata` answers null (the context turns it into `{}`) where Nango's mock
 *   throws; `getConnection` is the stub laid over a connection with no credentials and empty
 *   config (ids are not invented), its `metadata` taken from `getMetadata` when the stub has none (Nango records the two
 *   apart, from one response);
 * - `updateMetadata` / `setMetadata` change what later `getMetadata` calls return, as in production.
 *
 * @example
 * const replay = createReplayCapabilities(fixture, { integrationId: 'github', connectionId: 'test' });
 * // hand replay.capabilities to the runtime, run the function, then read replay.saved / replay.deleted
 */
import type { Connection, ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import { PatchbayError, excerptOf } from '../errors.ts';
import type { Capabilities, RecordCapabilities } from '../runtime/capabilities.ts';
import type { LogEntry } from '../runtime/types.ts';
import type { Fixture } from './fixture.ts';
import { requestIdentity } from './identity.ts';
import { RecordingBook } from './matcher.ts';

/** Who the replayed run is for, and how recorded HTTP errors reach it. */
export interface ReplayOptions {
  integrationId: string;
  connectionId: string;
  /** How a recorded status >= 400 reaches the function (see above). Default 'throw'. */
  httpErrors?: 'throw' | 'return';
}

/** The capabilities plus what the run produced. */
export interface Replay {
  capabilities: Capabilities;
  book: RecordingBook;
  /** Records passed to batchSave, per model, in call order. */
  saved: Map<string, unknown[]>;
  /** Records passed to batchDelete, per model, in call order. */
  deleted: Map<string, unknown[]>;
  logs: LogEntry[];
}

/**
 * What a fixture's `getConnection` stub is laid over: no credentials and an empty config. Ids are
 * not invented — some functions tell a recorded run from a live one by `connection_id` being unset.
 */
function placeholderConnection(metadata: Record<string, unknown> | null): Partial<Connection> {
  return { credentials: { type: 'NONE' }, connection_config: {}, metadata };
}

/** The error a real run would raise for an upstream status >= 400, with axios-like `response`. */
export function upstreamError(config: ProxyConfiguration, response: ProxyResponse): PatchbayError {
  const method = (config.method ?? 'GET').toUpperCase();
  const error = new PatchbayError('UPSTREAM_HTTP_ERROR', `${method} ${config.endpoint} failed with status ${response.status}: ${excerptOf(response.data)}`, {
    status: response.status,
    excerpt: excerptOf(response.data),
  });
  // Nango functions inspect `error.response.status` / `.data` (axios' shape); keep them working.
  Object.defineProperty(error, 'response', { value: response, enumerable: false });
  return error;
}

/** Builds the replay capabilities of one fixture. */
export function createReplayCapabilities(fixture: Fixture, options: ReplayOptions): Replay {
  const book = new RecordingBook(fixture.recordings);
  const saved = new Map<string, unknown[]>();
  const deleted = new Map<string, unknown[]>();
  const logs: LogEntry[] = [];
  const nango = fixture.nango;
  let metadata: Record<string, unknown> | null | undefined = 'getMetadata' in nango ? (nango.getMetadata as Record<string, unknown> | null) : undefined;
  let checkpoint = (nango.getCheckpoint as Record<string, unknown> | null | undefined) ?? null;
  const push = (map: Map<string, unknown[]>, model: string, records: unknown[]): void => {
    const list = map.get(model) ?? [];
    list.push(...records);
    map.set(model, list);
  };

  const records: RecordCapabilities = {
    async save(model, list) {
      push(saved, model, list);
    },
    async update(model, list) {
      push(saved, model, list);
    },
    async delete(model, list) {
      push(deleted, model, list);
    },
    async getByIds(model, ids) {
      const wanted = new Set(ids.map(String));
      const out: Array<[string, Record<string, unknown>]> = [];
      for (const record of saved.get(model) ?? []) {
        const r = record as Record<string, unknown>;
        if (wanted.has(String(r['id']))) out.push([String(r['id']), r]);
      }
      return out;
    },
    async trackDeletesStart() {},
    async trackDeletesEnd() {},
    // A fixture holds no stored records: listRecords yields none, as under Nango's vitest mock.
    async list() {
      return { records: [], nextCursor: null };
    },
  };

  const capabilities: Capabilities = {
    async proxy(config) {
      const recording = book.answer(requestIdentity(config));
      const response: ProxyResponse = { data: recording.response, status: recording.status ?? 200, headers: recording.headers ?? {} };
      if (response.status >= 400 && options.httpErrors !== 'return') throw upstreamError(config, response);
      return response;
    },
    async getConnection() {
      // Nango's recorder keeps metadata under getMetadata and often an empty getConnection: put
      // the connection back together so `connection.metadata` reads what the recording saw.
      const stub = (typeof nango.getConnection === 'object' && nango.getConnection !== null ? nango.getConnection : {}) as Partial<Connection>;
      const base = placeholderConnection(metadata ?? null);
      return { ...base, ...stub, metadata: stub.metadata ?? metadata ?? null } as Connection;
    },
    async getMetadata() {
      return metadata ?? null;
    },
    async setMetadata(next) {
      metadata = { ...next };
    },
    async updateMetadata(patch) {
      metadata = { ...(metadata ?? {}), ...patch };
    },
    async getCheckpoint() {
      return checkpoint;
    },
    async saveCheckpoint(next) {
      checkpoint = { ...next };
    },
    async clearCheckpoint() {
      checkpoint = null;
    },
    async getEnvironmentVariables() {
      return (nango.getEnvironmentVariables as Array<{ name: string; value: string }> | undefined) ?? [];
    },
    async getWebhookURL() {
      return (nango['getWebhookURL'] as string | undefined) ?? 'https://example.com/webhook';
    },
    async triggerAction(integrationId, connectionId, actionName) {
      const stub = nango['triggerAction'];
      if (stub !== undefined) return stub;
      throw new PatchbayError('NOT_FOUND', `The function triggered ${integrationId}/${actionName} for ${connectionId}; replay has no "nango.triggerAction" stub in ${fixture.source}.`);
    },
    // uncontrolledFetch answered like Nango templates' vitest setup does: a proxy call on the
    // URL's path (query and host dropped), with the request's method, headers and JSON body.
    async fetch(request) {
      let data: unknown = request.body;
      if (typeof data === 'string') {
        try {
          data = JSON.parse(data);
        } catch {
          // Not JSON: matched as text.
        }
      }
      const config: ProxyConfiguration = { endpoint: new URL(request.url).pathname, method: request.method as ProxyConfiguration['method'], data, ...(request.headers ? { headers: request.headers } : {}) };
      const recording = book.answer(requestIdentity(config));
      const body = recording.response;
      return { status: recording.status ?? 200, headers: recording.headers ?? {}, body: typeof body === 'string' ? body : JSON.stringify(body ?? null) };
    },
    async getIntegration() {
      const stub = nango['getIntegration'] as Record<string, unknown> | undefined;
      return { unique_key: options.integrationId, provider: options.integrationId, display_name: options.integrationId, ...stub };
    },
    async startSyncs(request) {
      logs.push({ time: new Date().toISOString(), level: 'info', message: `sync start requested for ${request.integrationId}/${request.syncNames.join(', ')} (replay: not started)` });
    },
    async tryAcquireLock() {
      return true;
    },
    async releaseLock() {
      return true;
    },
    log(entry) {
      logs.push(entry);
    },
    progress() {},
    records,
  };
  return { capabilities, book, saved, deleted, logs };
}
