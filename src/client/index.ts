/**
 * A typed client for patchbay's REST API, for backends: `import { PatchbayClient } from
 * 'patchbay/client'`. Method names and answers follow `@nangohq/node` where the two overlap, so
 * code can move between them; failures throw `PatchbayApiError` with the server's status, code
 * and message. It uses the platform's `fetch` and imports nothing else from patchbay.
 *
 * @example
 * const patchbay = new PatchbayClient({ host: 'http://localhost:3003', secretKey: process.env.PATCHBAY_SECRET_KEY! });
 * const issue = await patchbay.triggerAction('github', 'alice', 'create-issue', { owner: 'me', repo: 'x', title: 'Hi' });
 */

export interface PatchbayClientOptions {
  /** The server, e.g. `http://localhost:3003`. */
  host: string;
  /** An API key (`patchbay key create`, or the one the first start printed). */
  secretKey: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/** A failed request: the server's status, error code, message and details. */
export class PatchbayApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'PatchbayApiError';
    this.status = status;
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

export interface ConnectionListItem {
  connection_id: string;
  provider_config_key: string;
  provider: string;
  created: string;
  metadata: Record<string, unknown> | null;
  errors: Array<{ type: string; log_id: string }>;
  end_user: null;
  tags: Record<string, string>;
}

export interface ConnectionWithCredentials extends Omit<ConnectionListItem, 'created'> {
  connection_config: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  credentials: Record<string, unknown> & { type: string };
}

export interface AsyncActionStatus {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  action_name: string;
  provider_config_key: string;
  connection_id: string;
  /** Attempts made so far; rate-limit deferrals are not attempts. */
  attempts: number;
  max_retries: number;
  /** Times the provider's rate limit sent it back to the queue. */
  deferrals: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
  error?: { code: string; message: string };
}

export interface SyncStatusEntry {
  id?: string;
  name: string;
  connection_id: string;
  status: 'RUNNING' | 'SUCCESS' | 'ERROR' | 'PAUSED' | 'STOPPED';
  type: 'INITIAL' | 'INCREMENTAL';
  frequency: string | null;
  finishedAt?: string;
  nextScheduledSyncAt: string | null;
  latestExecutionStatus?: 'RUNNING' | 'SUCCESS' | 'ERROR' | 'STOPPED';
  latestResult?: Record<string, { added: number; updated: number; deleted: number }>;
  recordCount: Record<string, number>;
  checkpoint: Record<string, unknown> | null;
}

export interface RecordsPage<T = Record<string, unknown>> {
  records: Array<T & { _nango_metadata: { first_seen_at: string; last_modified_at: string; last_action: 'ADDED' | 'UPDATED' | 'DELETED'; deleted_at: string | null; cursor: string } }>;
  next_cursor: string | null;
}

export interface ListRecordsOptions {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  cursor?: string;
  limit?: number;
  modifiedAfter?: string;
  filter?: Array<'added' | 'updated' | 'deleted'>;
  ids?: string[];
}

type SyncName = string | { name: string; variant: string };

/** patchbay's REST API; see the module doc. */
export class PatchbayClient {
  readonly #host: string;
  readonly #key: string;
  readonly #fetch: typeof fetch;

  constructor(options: PatchbayClientOptions) {
    if (!options.secretKey) throw new Error('PatchbayClient needs a secretKey (an API key from `patchbay key create`).');
    let host: URL;
    try {
      host = new URL(options.host);
    } catch {
      throw new Error(`PatchbayClient: "${options.host}" is not a URL; pass the server, e.g. http://localhost:3003.`);
    }
    this.#host = host.href.replace(/\/+$/, '');
    this.#key = options.secretKey;
    this.#fetch = options.fetch ?? fetch;
  }

  async #call<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string | number | boolean | string[] | undefined> } = {}): Promise<T> {
    const url = new URL(this.#host + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, item);
      else url.searchParams.set(name, String(value));
    }
    const response = await this.#fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.#key}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      data = text;
    }
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new PatchbayApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `${method} ${path} answered ${response.status}`, error?.details);
    }
    return data as T;
  }

  /**
   * Runs an action and returns its output. With `idempotencyKey`, a retried call (after a timeout
   * or a dropped connection) gets the first call's outcome instead of running the action again.
   */
  triggerAction<T = unknown>(providerConfigKey: string, connectionId: string, actionName: string, input?: unknown, options: { idempotencyKey?: string } = {}): Promise<T> {
    return this.#call('POST', '/action/trigger', {
      headers: { 'connection-id': connectionId, 'provider-config-key': providerConfigKey, ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) },
      body: { action_name: actionName, input },
    });
  }

  /**
   * Queues an action (persisted before the answer) and returns its id and status URL. `maxRetries`
   * (0-5) retries a failed run; `idempotencyKey` makes a retried trigger return the first id.
   */
  triggerActionAsync(
    providerConfigKey: string,
    connectionId: string,
    actionName: string,
    input?: unknown,
    options: { maxRetries?: number; idempotencyKey?: string } = {},
  ): Promise<{ id: string; statusUrl: string }> {
    return this.#call('POST', '/action/trigger', {
      headers: {
        'connection-id': connectionId,
        'provider-config-key': providerConfigKey,
        'x-async': 'true',
        ...(options.maxRetries !== undefined ? { 'x-max-retries': String(options.maxRetries) } : {}),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: { action_name: actionName, input },
    });
  }

  /**
   * The output of an asynchronous action. Throws PatchbayApiError ACTION_PENDING (404) while it is
   * queued or running, and the action's own error (500) when it failed; `waitSeconds` (at most 60)
   * lets the server hold the answer until it finishes.
   */
  async getAsyncActionResult<T = unknown>(props: { id?: string; statusUrl?: string; waitSeconds?: number }): Promise<T> {
    const path = props.statusUrl ?? (props.id ? `/action/${encodeURIComponent(props.id)}` : undefined);
    if (!path) throw new PatchbayApiError(400, 'INVALID_ARGUMENT', 'Pass the id or the statusUrl that triggerActionAsync returned.');
    return this.#call('GET', path, { query: { wait: props.waitSeconds } });
  }

  /** Where an asynchronous action stands, in every state (never a pending error). */
  getAsyncActionStatus(id: string): Promise<AsyncActionStatus> {
    return this.#call('GET', `/action/${encodeURIComponent(id)}/status`);
  }

  listConnections(params: { integrationId?: string | string[]; connectionId?: string; search?: string; limit?: number; page?: number } = {}): Promise<{ connections: ConnectionListItem[] }> {
    const integrationId = Array.isArray(params.integrationId) ? params.integrationId.join(',') : params.integrationId;
    return this.#call('GET', '/connections', { query: { integrationId, connectionId: params.connectionId, search: params.search, limit: params.limit, page: params.page } });
  }

  /** The connection with its credentials (full-access keys only); `forceRefresh` renews an OAuth token first. */
  getConnection(providerConfigKey: string, connectionId: string, forceRefresh = false, refreshToken = false): Promise<ConnectionWithCredentials> {
    return this.#call('GET', `/connections/${encodeURIComponent(connectionId)}`, {
      query: { provider_config_key: providerConfigKey, force_refresh: forceRefresh || undefined, refresh_token: refreshToken || undefined },
    });
  }

  async getMetadata<T = Record<string, unknown>>(providerConfigKey: string, connectionId: string): Promise<T> {
    return (await this.getConnection(providerConfigKey, connectionId)).metadata as T;
  }

  setMetadata(providerConfigKey: string, connectionId: string | string[], metadata: Record<string, unknown>): Promise<{ connection_id: string | string[]; provider_config_key: string; metadata: Record<string, unknown> }> {
    return this.#call('POST', '/connections/metadata', { body: { connection_id: connectionId, provider_config_key: providerConfigKey, metadata } });
  }

  updateMetadata(providerConfigKey: string, connectionId: string | string[], metadata: Record<string, unknown>): Promise<{ connection_id: string | string[]; provider_config_key: string; metadata: Record<string, unknown> }> {
    return this.#call('PATCH', '/connections/metadata', { body: { connection_id: connectionId, provider_config_key: providerConfigKey, metadata } });
  }

  deleteConnection(providerConfigKey: string, connectionId: string): Promise<{ success: true }> {
    return this.#call('DELETE', `/connections/${encodeURIComponent(connectionId)}`, { query: { provider_config_key: providerConfigKey } });
  }

  /** Runs syncs now (all of the integration's when none is named); `full_refresh` forgets the checkpoint first. */
  triggerSync(providerConfigKey: string, syncs: SyncName[] = [], connectionId?: string, syncMode?: 'incremental' | 'full_refresh'): Promise<{ success: true }> {
    return this.#call('POST', '/sync/trigger', { body: { provider_config_key: providerConfigKey, syncs, connection_id: connectionId, ...(syncMode ? { sync_mode: syncMode } : {}) } });
  }

  startSync(providerConfigKey: string, syncs: SyncName[] = [], connectionId?: string): Promise<{ success: true }> {
    return this.#call('POST', '/sync/start', { body: { provider_config_key: providerConfigKey, syncs, connection_id: connectionId } });
  }

  pauseSync(providerConfigKey: string, syncs: SyncName[] = [], connectionId?: string): Promise<{ success: true }> {
    return this.#call('POST', '/sync/pause', { body: { provider_config_key: providerConfigKey, syncs, connection_id: connectionId } });
  }

  syncStatus(providerConfigKey: string, syncs: string[] | '*', connectionId?: string): Promise<{ syncs: SyncStatusEntry[] }> {
    return this.#call('GET', '/sync/status', { query: { provider_config_key: providerConfigKey, syncs: syncs === '*' ? '*' : syncs.join(','), connection_id: connectionId } });
  }

  listRecords<T = Record<string, unknown>>(options: ListRecordsOptions): Promise<RecordsPage<T>> {
    return this.#call('GET', '/records', {
      headers: { 'connection-id': options.connectionId, 'provider-config-key': options.providerConfigKey },
      query: {
        model: options.model,
        cursor: options.cursor,
        limit: options.limit,
        modified_after: options.modifiedAfter,
        filter: options.filter?.join(','),
        ids: options.ids,
      },
    });
  }

  listIntegrations(): Promise<{ configs: Array<{ unique_key: string; provider: string | null; display_name: string }> }> {
    return this.#call<{ data: Array<{ unique_key: string; provider: string | null; display_name: string }> }>('GET', '/integrations').then((answer) => ({ configs: answer.data }));
  }

  getIntegration(uniqueKey: string): Promise<{ data: { unique_key: string; provider: string | null; functions: Array<{ name: string; type: string; description: string; tool?: string; input?: unknown; output?: unknown }> } }> {
    return this.#call('GET', `/integrations/${encodeURIComponent(uniqueKey)}`);
  }

  listProviders(search?: string): Promise<{ data: Array<Record<string, unknown> & { name: string; auth_mode: string }> }> {
    return this.#call('GET', '/providers', { query: { search } });
  }

  getProvider(name: string): Promise<{ data: Record<string, unknown> & { name: string; auth_mode: string } }> {
    return this.#call('GET', `/providers/${encodeURIComponent(name)}`);
  }
}
