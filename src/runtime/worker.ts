/**
 * Step 3 of a tool call: the runner. The executor (step 2) queued the job in worker-pool.ts;
 * here the bundle runs with a fresh `nango` context whose service calls travel back to the main
 * thread's capabilities (runtime/live-capabilities.ts, step 4).
 *
 * The worker thread's entry: loads bundles, builds the `nango` context over capabilities that
 * are messages to the main thread, runs jobs, and reports results. Whatever happens here
 * (infinite loop, memory bomb, process.exit) the main thread sees it and replaces this worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PatchbayError, type SerializedError } from '../errors.ts';
import type { Capabilities } from './capabilities.ts';
import { invoke, userError } from './invoke.ts';
import { importedCount, loadDefinition } from './load.ts';

/** Bundle versions a worker imports before asking to be replaced (modules are never unloaded). */
const RECYCLE_AFTER = (workerData as { recycleAfter?: number } | undefined)?.recycleAfter ?? 200;
import type { CapabilityMethod, FromWorker, JobSpec, ToWorker } from './worker-protocol.ts';

if (!parentPort) throw new Error('runtime/worker.ts must run inside a worker thread');
const port = parentPort;
process.setSourceMapsEnabled(true);

const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
const jobs = new Map<number, AbortController>();
let nextCall = 0;

function send(message: FromWorker): void {
  port.postMessage(message);
}

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

function remoteCapabilities(spec: JobSpec): Capabilities {
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

function serialize(error: unknown, signal: AbortSignal, userPaths?: string[]): SerializedError {
  return userError(error, signal, userPaths).toJSON();
}

async function run(spec: JobSpec): Promise<void> {
  const controller = new AbortController();
  jobs.set(spec.job, controller);
  try {
    const definition = await loadDefinition(spec.bundle);
    const output = await invoke(definition, remoteCapabilities(spec), spec, controller.signal);
    try {
      send({ t: 'done', job: spec.job, ok: true, v: output });
    } catch (error) {
      const e = new PatchbayError('INVALID_OUTPUT', `The function returned a value that cannot be sent back (${(error as Error).message}). Return plain JSON data.`);
      send({ t: 'done', job: spec.job, ok: false, e: e.toJSON() });
    }
  } catch (error) {
    const e = serialize(error, controller.signal, spec.userPaths);
    try {
      send({ t: 'done', job: spec.job, ok: false, e });
    } catch {
      // details (an ActionError payload, say) that cannot be cloned: send the error without them.
      send({ t: 'done', job: spec.job, ok: false, e: { name: e.name, code: e.code, message: e.message } });
    }
  } finally {
    jobs.delete(spec.job);
    if (importedCount() > RECYCLE_AFTER) send({ t: 'recycle' });
  }
}

port.on('message', (message: ToWorker) => {
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
});

// Warm up what every bundle imports (the SDK and zod) before saying ready, so the first call
// into a fresh worker does not pay for it. A failure here surfaces on the first real import.
await Promise.all([import('../index.ts'), import('zod')]).catch(() => undefined);
send({ t: 'ready' });
