/**
 * The `nango` object a function receives, built once over `Capabilities` so the very same code
 * runs inline and inside a worker (where every capability is a message to the main thread).
 * Names and semantics are Nango's (runner-sdk's NangoAction / NangoSync); validation of records,
 * metadata and checkpoints happens here, next to the definition's zod schemas.
 *
 * @example
 * const nango = createContext(caps, info, 'action', signal);
 * const output = await definition.exec(nango, input);
 */
import { ActionError, PatchbayError } from '../errors.ts';
import type { Connection, Credentials, NangoAction, NangoSync, ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import type { AnyDefinition } from '../define/types.ts';
import type { Capabilities, ContextInfo } from './capabilities.ts';
import type { LogEntry } from './types.ts';
import { check, checkRecords, isSchema } from './validate.ts';
import { paginateWith } from './context-paginate.ts';
import { listRecordsOf, surfaceMethods, withoutNangoMetadata } from './context-surface.ts';

/** What kind of context to build: syncs get the record methods. */
export type ContextKind = 'action' | 'sync' | 'onEvent';

/** Options that change how strict the context is; all default to patchbay's defaults. */
export interface ContextOptions {
  /** The definition whose schemas (models, metadata, checkpoint) validate writes. */
  definition?: AnyDefinition;
  /** Validate sync records against their models (default true). */
  validate?: boolean;
  /** Also validate metadata and checkpoints read and written against their schemas (dryrun --validation). */
  validateState?: boolean;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Splits Nango's `log(message, ...args, { level })` variants into one entry. */
export function toLogEntry(args: unknown[]): LogEntry {
  let level: LogEntry['level'] = 'info';
  const rest = [...args];
  const last = rest[rest.length - 1];
  if (rest.length > 1 && isLevelOption(last)) {
    level = (last as { level: LogEntry['level'] }).level;
    rest.pop();
  } else if (rest.length === 1 && isLevelOption(last) && Object.keys(last as object).length === 1) {
    level = (last as { level: LogEntry['level'] }).level;
    rest.pop();
  }
  const [first, ...more] = rest;
  const message = typeof first === 'string' ? first : first instanceof Error ? first.message : safeJson(first);
  const entry: LogEntry = { time: new Date().toISOString(), level, message };
  if (more.length === 1) entry.payload = plain(more[0]);
  else if (more.length > 1) entry.payload = more.map(plain);
  return entry;
}

function isLevelOption(value: unknown): boolean {
  return typeof value === 'object' && value !== null && LEVELS.has((value as { level?: string }).level as string);
}

function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (typeof value === 'bigint') return value.toString();
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

function safeJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Nango's `getToken()`: the access token, the API key, or the credentials object for basic auth. */
export function tokenOf(credentials: Credentials): string | Credentials {
  switch (credentials.type) {
    case 'OAUTH2':
    case 'OAUTH2_CC':
      return credentials.access_token;
    case 'API_KEY':
      return credentials.api_key;
    case 'BEARER':
      return credentials.token;
    default:
      return credentials;
  }
}

/**
 * Builds the `nango` context. `kind` 'sync' adds batchSave & co (which need `caps.records`).
 * Returns a plain object: methods close over `caps`, so destructuring (`const { log } = nango`)
 * keeps working as it does in Nango.
 */
export function createContext(caps: Capabilities, info: ContextInfo, kind: 'sync', signal: AbortSignal, options?: ContextOptions): NangoSync;
export function createContext(caps: Capabilities, info: ContextInfo, kind: ContextKind, signal: AbortSignal, options?: ContextOptions): NangoAction;
export function createContext(
  caps: Capabilities,
  info: ContextInfo,
  kind: ContextKind,
  signal: AbortSignal,
  options: ContextOptions = {},
): NangoAction | NangoSync {
  const definition = options.definition as (AnyDefinition & { metadata?: unknown; checkpoint?: unknown; models?: Record<string, unknown>; attributes?: unknown }) | undefined;
  const strictState = options.validateState === true;
  const connections = new Map<string, Promise<Connection>>();

  const live = (): void => {
    if (signal.aborted) throw asAbortError(signal.reason);
  };
  const proxy = async <T>(config: ProxyConfiguration): Promise<ProxyResponse<T>> => {
    live();
    if (typeof config !== 'object' || config === null || typeof config.endpoint !== 'string') {
      throw new PatchbayError('INVALID_ARGUMENT', 'nango.proxy() needs a configuration object with an "endpoint" string, e.g. { endpoint: "/users" }.');
    }
    try {
      return (await caps.proxy(config)) as ProxyResponse<T>;
    } catch (error) {
      throw withAxiosResponse(error);
    }
  };
  const withMethod = (method: ProxyConfiguration['method']) => <T>(config: Omit<ProxyConfiguration, 'method'>) => proxy<T>({ ...config, method });
  const stateCheck = (schema: unknown, value: unknown, what: 'metadata' | 'checkpoint'): void => {
    if (strictState && isSchema(schema) && value !== null && value !== undefined) {
      check(schema, value, 'INVALID_ARGUMENT', what, `Fix the ${what} (it must match the function's ${what} schema).`);
    }
  };

  const surface = surfaceMethods(caps, info, signal, definition?.attributes);
  const action: NangoAction = {
    ...surface,
    connectionId: info.connectionId,
    providerConfigKey: info.providerConfigKey,
    provider: info.provider,
    activityLogId: info.executionId,
    signal,
    ActionError,
    proxy,
    get: withMethod('GET'),
    post: withMethod('POST'),
    put: withMethod('PUT'),
    patch: withMethod('PATCH'),
    delete: withMethod('DELETE'),
    paginate: <T>(config: ProxyConfiguration) => paginateWith<T>(proxy, config, info.paginationDefaults, signal),
    log: async (...args: unknown[]) => {
      caps.log(toLogEntry(args));
    },
    getConnection: (key?: string, id?: string) => {
      const cacheKey = `${key ?? ''}\u0000${id ?? ''}`;
      let pending = connections.get(cacheKey);
      if (!pending) {
        pending = caps.getConnection(key, id);
        pending.catch(() => connections.delete(cacheKey));
        connections.set(cacheKey, pending);
      }
      return pending;
    },
    getToken: async () => tokenOf((await caps.getConnection()).credentials),
    getMetadata: async <T>() => {
      const metadata = await caps.getMetadata();
      stateCheck(definition?.metadata, metadata, 'metadata');
      return (metadata ?? {}) as T;
    },
    setMetadata: async (metadata: Record<string, unknown>) => {
      stateCheck(definition?.metadata, metadata, 'metadata');
      await caps.setMetadata(metadata);
    },
    updateMetadata: async (patch: Record<string, unknown>) => {
      await caps.updateMetadata(patch);
    },
    getCheckpoint: async () => {
      const checkpoint = await caps.getCheckpoint();
      stateCheck(definition?.checkpoint, checkpoint, 'checkpoint');
      return checkpoint as never;
    },
    saveCheckpoint: async (checkpoint: unknown) => {
      stateCheck(definition?.checkpoint, checkpoint, 'checkpoint');
      await caps.saveCheckpoint(checkpoint as Record<string, unknown>);
    },
    clearCheckpoint: () => caps.clearCheckpoint(),
    getEnvironmentVariables: () => caps.getEnvironmentVariables(),
    getWebhookURL: () => caps.getWebhookURL(),
    triggerAction: async <In, Out>(key: string, connectionId: string, actionName: string, input?: In) => {
      live();
      return (await caps.triggerAction(key, connectionId, actionName, input)) as Out;
    },
    zodValidateInput: async ({ zodSchema, input }) => {
      const parsed = zodSchema.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          caps.log({ time: new Date().toISOString(), level: 'error', message: `Invalid input provided: ${issue.message} at path ${issue.path.join('.')}` });
        }
        throw new ActionError({ message: 'Invalid input provided' });
      }
      return parsed;
    },
    reportProgress: async (progress: number, total?: number, message?: string) => {
      const update: { progress: number; total?: number; message?: string } = { progress };
      if (total !== undefined) update.total = total;
      if (message !== undefined) update.message = message;
      caps.progress(update);
    },
  } as NangoAction;

  if (kind !== 'sync') return action;
  return addSyncMethods(action, caps, info, definition?.models, options.validate !== false);
}

function addSyncMethods(action: NangoAction, caps: Capabilities, info: ContextInfo, models: Record<string, unknown> | undefined, validate: boolean): NangoSync {
  const records = caps.records;
  const need = () => {
    if (!records) throw new PatchbayError('INTERNAL', 'Record capabilities are missing for this sync run.');
    return records;
  };
  const knownModel = (model: string): void => {
    if (models && !(model in models)) {
      const names = Object.keys(models).join(', ') || '(none)';
      throw new PatchbayError('INVALID_RECORD', `Unknown model "${model}". This sync declares: ${names}.`);
    }
  };
  const prepare = (raw: unknown, model: string, partial: boolean): Record<string, unknown>[] => {
    knownModel(model);
    const results = withoutNangoMetadata(raw);
    if (validate) checkRecords(models?.[model], results as unknown[], model, partial);
    else if (!Array.isArray(results)) throw new PatchbayError('INVALID_RECORD', `Records for model "${model}" must be an array.`);
    return results as Record<string, unknown>[];
  };
  const sync = Object.assign(action, {
    variant: info.variant ?? 'base',
    lastSyncDate: info.lastSyncDate ? new Date(info.lastSyncDate) : undefined,
    batchSave: async (results: unknown[], model: string) => {
      const list = prepare(results, model, false);
      if (list.length > 0) await need().save(model, list);
      return true;
    },
    batchSend: (results: unknown[], model: string) => (action as unknown as NangoSync).batchSave(results as never, model),
    listRecords: (model: string, options?: { cursor?: string }) => {
      knownModel(model);
      return listRecordsOf(need(), model, options?.cursor, action.signal);
    },
    modelFullName: (model: string) => (info.variant && info.variant !== 'base' ? `${model}::${info.variant}` : model),
    batchUpdate: async (results: unknown[], model: string) => {
      const list = prepare(results, model, true);
      if (list.length > 0) await need().update(model, list);
      return true;
    },
    batchDelete: async (results: unknown[], model: string) => {
      knownModel(model);
      if (!Array.isArray(results)) throw new PatchbayError('INVALID_RECORD', `batchDelete expects an array of records with an "id" for model "${model}".`);
      const list = results.map((r, i) => {
        const id = (r as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' && typeof id !== 'number') {
          throw new PatchbayError('INVALID_RECORD', `batchDelete: ${model}[${i}] has no "id". Pass objects like { id: "123" }.`);
        }
        return r as Record<string, unknown>;
      });
      if (list.length > 0) await need().delete(model, list);
      return true;
    },
    getRecordsByIds: async (ids: string[], model: string) => {
      knownModel(model);
      return new Map(await need().getByIds(model, ids.map(String)));
    },
    trackDeletesStart: async (model: string) => {
      knownModel(model);
      await need().trackDeletesStart(model);
    },
    trackDeletesEnd: async (model: string) => {
      knownModel(model);
      return (await need().trackDeletesEnd(model)) ?? { deletedKeys: [] };
    },
    deleteRecordsFromPreviousExecutions: async (model: string) => {
      knownModel(model);
      return (await need().trackDeletesEnd(model)) ?? { deletedKeys: [] };
    },
    setMergingStrategy: async (strategy: { strategy: string }, model: string) => {
      knownModel(model);
      caps.log({ time: new Date().toISOString(), level: 'debug', message: `merging strategy for ${model}: ${strategy.strategy}` });
    },
  });
  return sync as unknown as NangoSync;
}

/**
 * Nango functions read upstream failures axios-style (`error.response.status`, `.data`); give a
 * PatchbayError that carries an upstream status that shape too, with the body excerpt as data.
 */
export function withAxiosResponse(error: unknown): unknown {
  if (!(error instanceof PatchbayError) || error.status === undefined || 'response' in error) return error;
  let data: unknown = error.excerpt;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      // Not JSON (or cut short): keep the text.
    }
  }
  const headers = (error.details as { headers?: Record<string, string> } | undefined)?.headers ?? {};
  Object.defineProperty(error, 'response', { value: { status: error.status, data, headers }, enumerable: false });
  return error;
}

/** The error a cancelled or timed-out execution surfaces to user code. */
export function asAbortError(reason: unknown): PatchbayError {
  if (reason instanceof PatchbayError) return reason;
  return new PatchbayError('ABORTED', 'The execution was cancelled.', { cause: reason });
}
