/**
 * What runs jobs on the far side of the boundary — in a runner process (runner.ts) or a worker
 * thread (worker.ts): it loads bundles, builds the `nango` context over capabilities that are
 * messages to the server, runs jobs concurrently, and reports results. The two entries differ
 * only in how messages travel (`process.send` vs a `MessagePort`), so both hand in `send` and
 * feed `receive`.
 *
 * @example
 * const host = createJobHost((message) => process.send!(message), { recycleAfter: 200 });
 * process.on('message', (message) => host.receive(message as ToWorker));
 */
import type { Credentials } from '../define/context.ts';
import { PatchbayError, type SerializedError } from '../errors.ts';
import { createHttpClient, type CredentialSource, type HttpClient } from '../upstream/client.ts';
import type { Capabilities, DirectHttp } from './capabilities.ts';
import type { HttpCallLog } from './types.ts';
import { invoke, userError } from './invoke.ts';
import { importedCount, loadDefinition } from './load.ts';
import type { CapabilityMethod, FromWorker, JobSpec, ToWorker } from './worker-protocol.ts';

export interface JobHostOptions {
  /** Bundle versions imported before asking to be replaced (modules are never unloaded). */
  recycleAfter: number;
  /** A result whose serialized size passes this is refused here, before it crosses (bytes). */
  maxResultBytes?: number;
  /** Measures a value as it would cross (the runner's v8 serializer); absent, nothing is measured. */
  sizeOf?: (value: unknown) => number;
}

export interface JobHost {
  receive(message: ToWorker): void;
  /** Jobs running now. */
  readonly running: number;
}

/** The host of one runner or worker; see the module doc. */
export function createJobHost(send: (message: FromWorker) => void, options: JobHostOptions): JobHost {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const jobs = new Map<number, AbortController>();
  let nextCall = 0;
  // One pooled client for every direct request of this runner (it serves one connection).
  let client: HttpClient | undefined;
  /** HTTP calls made here and not yet reported, by job; sent in batches, and before `done`. */
  const unreported = new Map<number, { calls: HttpCallLog[]; sent: number }>();

  function call(job: number, m: CapabilityMethod, a: unknown[]): Promise<unknown> {
    const id = ++nextCall;
    return new Promise((resolve, reject) => {
      try {
        send({ t: 'call', job, id, m, a });
      } catch (error) {
        reject(new PatchbayError('INVALID_ARGUMENT', `The arguments of ${m} cannot be sent (${(error as Error).message}). Pass plain JSON data (no functions, class instances or symbols).`));
        return;
      }
      pending.set(id, { resolve, reject });
    });
  }

  function flushCalls(job: number): void {
    const { calls } = takeCalls(job);
    if (calls) send({ t: 'http', job, calls });
  }

  /** The calls not yet reported, for the job's `done` message (one message instead of two). */
  function takeCalls(job: number): { calls?: HttpCallLog[] } {
    const batch = unreported.get(job);
    if (!batch || batch.calls.length === 0) return {};
    const calls = batch.calls;
    batch.calls = [];
    batch.sent += calls.length;
    return { calls };
  }

  function reportCall(job: number, call: HttpCallLog): void {
    let batch = unreported.get(job);
    if (!batch) unreported.set(job, (batch = { calls: [], sent: 0 }));
    // The server keeps at most this many per result; more would only cost messages.
    if (batch.sent + batch.calls.length >= MAX_REPORTED_CALLS) return;
    batch.calls.push(call);
    if (batch.calls.length === 1) setImmediate(() => flushCalls(job));
  }

  /**
   * `proxy` for the execution's own connection, sent from here with the credentials the job
   * carries; another connection's requests still go through the server (and its scope check).
   */
  function directProxy(spec: JobSpec, direct: DirectHttp, remote: Capabilities['proxy'], signal: AbortSignal): Capabilities['proxy'] {
    const job = spec.job;
    const credentials = runnerCredentials(direct, (reason) => call(job, 'refreshCredentials', [reason]) as Promise<Credentials>);
    const ctx = {
      integration: direct.integration,
      credentials,
      connectionConfig: direct.connectionConfig,
      signal,
      ...(spec.deadline !== undefined ? { deadline: spec.deadline } : {}),
      onCall: (entry: HttpCallLog) => reportCall(job, entry),
      onLog: (e: Parameters<Capabilities['log']>[0]) => send({ t: 'log', job, e }),
    };
    return (config) => {
      const other =
        (config.connectionId !== undefined && config.connectionId !== spec.info.connectionId) ||
        (config.providerConfigKey !== undefined && config.providerConfigKey !== spec.info.providerConfigKey);
      if (other) return remote(config);
      return (client ??= createHttpClient()).request(ctx, config);
    };
  }

  function remoteCapabilities(spec: JobSpec, signal: AbortSignal): Capabilities {
    const job = spec.job;
    const caps: Capabilities = {
      proxy: (config) => call(job, 'proxy', [config]) as never,
      getConnection: (key, id) => call(job, 'getConnection', [key, id]) as never,
      getMetadata: () => call(job, 'getMetadata', []) as never,
      setMetadata: (m) => call(job, 'setMetadata', [m]) as never,
      updateMetadata: (m) => call(job, 'updateMetadata', [m]) as never,
      getCheckpoint: () => call(job, 'getCheckpoint', []) as never,
      saveCheckpoint: (c) => call(job, 'saveCheckpoint', [c]) as never,
      clearCheckpoint: () => call(job, 'clearCheckpoint', []) as never,
      getEnvironmentVariables: () => call(job, 'getEnvironmentVariables', []) as never,
      getWebhookURL: () => call(job, 'getWebhookURL', []) as never,
      triggerAction: (i, c, n, input) => call(job, 'triggerAction', [i, c, n, input]),
      tryAcquireLock: (key, ttl) => call(job, 'tryAcquireLock', [key, ttl]) as never,
      releaseLock: (key) => call(job, 'releaseLock', [key]) as never,
      getIntegration: () => call(job, 'getIntegration', []) as never,
      startSyncs: (request) => call(job, 'startSyncs', [request]) as never,
      log: (e) => send({ t: 'log', job, e }),
      progress: (u) => send({ t: 'progress', job, u }),
    };
    if (spec.direct) caps.proxy = directProxy(spec, spec.direct, caps.proxy, signal);
    if (spec.fetch) caps.fetch = (request) => call(job, 'fetch', [request]) as never;
    if (spec.records) {
      caps.records = {
        save: (model, records) => call(job, 'records.save', [model, records]) as never,
        update: (model, records) => call(job, 'records.update', [model, records]) as never,
        delete: (model, records) => call(job, 'records.delete', [model, records]) as never,
        getByIds: (model, ids) => call(job, 'records.getByIds', [model, ids]) as never,
        trackDeletesStart: (model) => call(job, 'records.trackDeletesStart', [model]) as never,
        trackDeletesEnd: (model) => call(job, 'records.trackDeletesEnd', [model]) as never,
        list: (model, page) => call(job, 'records.list', [model, page]) as never,
      };
    }
    return caps;
  }

  function failure(error: unknown, signal: AbortSignal, userPaths?: string[]): SerializedError {
    return userError(error, signal, userPaths).toJSON();
  }

  /** The output, unless it is too big to send: then the error that says so. */
  function bounded(output: unknown): { ok: true } | { ok: false; e: SerializedError } {
    if (options.maxResultBytes === undefined || options.sizeOf === undefined || output === undefined) return { ok: true };
    let size: number;
    try {
      size = options.sizeOf(output);
    } catch (error) {
      const e = new PatchbayError('INVALID_OUTPUT', `The function returned a value that cannot be sent back (${(error as Error).message}). Return plain JSON data.`);
      return { ok: false, e: e.toJSON() };
    }
    if (size <= options.maxResultBytes) return { ok: true };
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    return {
      ok: false,
      e: new PatchbayError('INVALID_OUTPUT', `The function returned ${mb(size)}, over the ${mb(options.maxResultBytes)} a result may carry. Return less (a page, a summary, the ids) and fetch the rest in later calls.`, {
        details: { reason: 'result_too_large', bytes: size, limit: options.maxResultBytes },
      }).toJSON(),
    };
  }

  async function run(spec: JobSpec): Promise<void> {
    const controller = new AbortController();
    jobs.set(spec.job, controller);
    const job = spec.job;
    try {
      const definition = await loadDefinition(spec.bundle);
      const output = await invoke(definition, remoteCapabilities(spec, controller.signal), spec, controller.signal);
      const calls = takeCalls(job);
      const size = bounded(output);
      if (!size.ok) {
        send({ t: 'done', job, ok: false, e: size.e, ...calls });
        return;
      }
      try {
        send({ t: 'done', job, ok: true, v: output, ...calls });
      } catch (error) {
        const e = new PatchbayError('INVALID_OUTPUT', `The function returned a value that cannot be sent back (${(error as Error).message}). Return plain JSON data.`);
        send({ t: 'done', job, ok: false, e: e.toJSON(), ...calls });
      }
    } catch (error) {
      const calls = takeCalls(job);
      const e = failure(error, controller.signal, spec.userPaths);
      try {
        send({ t: 'done', job, ok: false, e, ...calls });
      } catch {
        // details (an ActionError payload, say) that cannot be cloned: send the error without them.
        send({ t: 'done', job, ok: false, e: { name: e.name, code: e.code, message: e.message }, ...calls });
      }
    } finally {
      jobs.delete(job);
      unreported.delete(job);
      if (importedCount() > options.recycleAfter) send({ t: 'recycle' });
    }
  }

  return {
    get running() {
      return jobs.size;
    },
    receive(message) {
      switch (message.t) {
        case 'run':
          void run(message.spec);
          break;
        case 'reply': {
          const waiter = pending.get(message.id);
          if (!waiter) return;
          pending.delete(message.id);
          if (message.ok) waiter.resolve(message.v);
          else waiter.reject(PatchbayError.fromJSON(message.e));
          break;
        }
        case 'cancel':
          jobs.get(message.job)?.abort(PatchbayError.fromJSON(message.e));
          break;
      }
    },
  };
}

/** HTTP calls a job reports at most (the server keeps 1000 per result: MAX_KEPT_CALLS). */
const MAX_REPORTED_CALLS = 1000;

/**
 * The own connection's credentials inside a runner: those the job started with, renewed through
 * the server (single-flight there) when they are about to expire or after a 401.
 */
function runnerCredentials(direct: DirectHttp, ask: (reason: 'expired' | 'unauthorized') => Promise<Credentials>): CredentialSource {
  let current = direct.credentials;
  let inflight: Promise<Credentials> | undefined;
  let askedAt = 0;
  const bufferMs = (direct.integration.provider.token_expiration_buffer ?? 300) * 1000;
  const refresh = (reason: 'expired' | 'unauthorized'): Promise<Credentials> => {
    askedAt = Date.now();
    inflight ??= ask(reason)
      .then((fresh) => (current = fresh))
      .finally(() => (inflight = undefined));
    return inflight;
  };
  return {
    get() {
      const expiresAt = 'expires_at' in current && typeof current.expires_at === 'string' ? Date.parse(current.expires_at) : NaN;
      // The server decides whether a refresh is due; asking at most every few seconds bounds the traffic.
      if (expiresAt - bufferMs <= Date.now() && Date.now() - askedAt > 5000) return refresh('expired');
      return inflight ?? Promise.resolve(current);
    },
    refresh,
  };
}

/** Imports what every bundle imports (the SDK and zod) so the first job does not pay for it. */
export async function warmUp(): Promise<void> {
  await Promise.all([import('../index.ts'), import('zod')]).catch(() => undefined);
}
