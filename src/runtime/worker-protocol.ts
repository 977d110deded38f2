/**
 * The messages between the executor (main thread) and a worker. Values travel by structured
 * clone, never JSON strings, so a proxy response is copied once. Capability calls are the only
 * chatty part: one `call`/`reply` pair per `nango.proxy`, `batchSave`, `getMetadata`…
 */
import { PatchbayError, toPatchbayError, type SerializedError } from '../errors.ts';
import type { Capabilities, ContextInfo, DirectHttp } from './capabilities.ts';
import type { HttpCallLog, LogEntry, ProgressUpdate } from './types.ts';

/** One execution handed to a worker. */
export interface JobSpec {
  job: number;
  bundle: string;
  info: ContextInfo;
  input?: unknown;
  validate: boolean;
  validateState: boolean;
  webhookPayload?: unknown;
  /** Whether the main thread offers record capabilities (syncs). */
  records: boolean;
  /** Whether the main thread answers `uncontrolledFetch` (replay); otherwise the worker fetches. */
  fetch?: boolean;
  /** Where user code lives, to trim error stacks to it. */
  userPaths?: string[];
  /** Runners: call the own connection directly (see DirectHttp); absent, `proxy` goes to the server. */
  direct?: DirectHttp;
  /** Epoch ms when the execution times out (no retry wait may end after it). */
  deadline?: number;
}

/** Main thread → worker. */
export type ToWorker =
  | { t: 'run'; spec: JobSpec }
  | { t: 'reply'; id: number; ok: true; v: unknown }
  | { t: 'reply'; id: number; ok: false; e: SerializedError }
  | { t: 'cancel'; job: number; e: SerializedError };

/** Worker → main thread. */
export type FromWorker =
  | { t: 'ready' }
  /** The worker has imported many bundle versions and asks to be replaced once idle. */
  | { t: 'recycle' }
  /** A runner is about to die of an error no job caught (an unhandled rejection): why. */
  | { t: 'fatal'; message: string }
  | { t: 'call'; job: number; id: number; m: CapabilityMethod; a: unknown[] }
  | { t: 'log'; job: number; e: LogEntry }
  | { t: 'progress'; job: number; u: ProgressUpdate }
  /** HTTP calls the runner made itself (direct mode), for the execution's result; batched. */
  | { t: 'http'; job: number; calls: HttpCallLog[] }
  /** The end of a job, with the HTTP calls (direct mode) not yet reported. */
  | { t: 'done'; job: number; ok: true; v: unknown; calls?: HttpCallLog[] }
  | { t: 'done'; job: number; ok: false; e: SerializedError; calls?: HttpCallLog[] };

/** Every capability a worker may call, by name; records methods carry a `records.` prefix. */
export const CAPABILITY_METHODS = [
  'proxy',
  'getConnection',
  'getMetadata',
  'setMetadata',
  'updateMetadata',
  'getCheckpoint',
  'saveCheckpoint',
  'clearCheckpoint',
  'getEnvironmentVariables',
  'getWebhookURL',
  'triggerAction',
  'tryAcquireLock',
  'releaseLock',
  'getIntegration',
  'startSyncs',
  'fetch',
  'refreshCredentials',
  'records.save',
  'records.update',
  'records.delete',
  'records.getByIds',
  'records.trackDeletesStart',
  'records.trackDeletesEnd',
  'records.list',
] as const;

export type CapabilityMethod = (typeof CAPABILITY_METHODS)[number];

const KNOWN = new Set<string>(CAPABILITY_METHODS);

/** Calls capability `method` on the main thread's capabilities (unknown names are refused). */
export function dispatchCapability(caps: Capabilities, method: string, args: unknown[]): Promise<unknown> {
  if (!KNOWN.has(method)) return Promise.reject(new Error(`Unknown capability "${method}"`));
  if (method.startsWith('records.')) {
    const records = caps.records as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> | undefined;
    const fn = records?.[method.slice(8)];
    if (!fn) return Promise.reject(new Error('Record capabilities are only available to syncs.'));
    return Promise.resolve().then(() => fn.apply(records, args));
  }
  const fn = (caps as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
  if (typeof fn !== 'function') return Promise.reject(new Error(`Capability "${method}" is not available here.`));
  return Promise.resolve().then(() => fn.apply(caps, args));
}

/** What a pool knows of a job when its runner or worker speaks for it. */
export interface ServedJob {
  caps: Capabilities;
  settled: boolean;
}

/**
 * Serves what a runner or worker sends while a job runs: capability calls (answered through
 * `reply`), log lines, progress and HTTP calls, for `job` (undefined: not a job it was given, or
 * one that is gone). Returns false for the messages the pool handles itself.
 */
export function serveJob(message: FromWorker, job: ServedJob | undefined, reply: (message: ToWorker) => void): boolean {
  const live = job !== undefined && !job.settled ? job : undefined;
  switch (message.t) {
    case 'call':
      if (!live) {
        reply({ t: 'reply', id: message.id, ok: false, e: new PatchbayError('ABORTED', 'The execution has ended.').toJSON() });
        return true;
      }
      dispatchCapability(live.caps, message.m, message.a).then(
        (v) => reply({ t: 'reply', id: message.id, ok: true, v }),
        (e) => reply({ t: 'reply', id: message.id, ok: false, e: toPatchbayError(e).toJSON() }),
      );
      return true;
    case 'log':
      live?.caps.log(message.e);
      return true;
    case 'progress':
      live?.caps.progress(message.u);
      return true;
    case 'http':
      if (live && Array.isArray(message.calls)) for (const call of message.calls) live.caps.recordHttpCall?.(call);
      return true;
    default:
      return false;
  }
}
