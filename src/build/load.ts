/**
 * Reads function definitions out of bundles by importing them in a worker thread, one at a time,
 * with a per-file timeout. A hung file is reported by name and the worker replaced, so the rest
 * still load. The worker stays warm between builds (`dev`): bundles are content-addressed, so a
 * changed function is a new URL and imports fresh; it is recycled every so often to free memory.
 */
import { Worker } from 'node:worker_threads';
import { PatchbayError } from '../errors.ts';
import type { LoadReply } from './load-protocol.ts';
import { siblingModule } from './sdk.ts';

/** Default time a bundle's top level may take to load. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

/** Bundles one worker imports before it is replaced (each import stays in its module cache). */
const RECYCLE_AFTER = 200;

/** Time a new worker may take to start (load zod and the SDK) before it counts as broken. */
const START_TIMEOUT_MS = 60_000;

function startWorker(): { worker: Worker; ready: Promise<void> } {
  const worker = new Worker(siblingModule('load-worker'), { stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: 512 } });
  // User code may print at load time; that output is not compile's.
  worker.stdout.resume();
  worker.stderr.resume();
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the loading worker did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    worker.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  ready.catch(() => {});
  return { worker, ready };
}

function loadOne(worker: Worker, bundle: string, timeoutMs: number): Promise<LoadReply | 'timeout' | 'exit'> {
  return new Promise((resolve) => {
    const done = (reply: LoadReply | 'timeout' | 'exit') => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onError);
      resolve(reply);
    };
    const onMessage = (reply: LoadReply) => done(reply);
    const onExit = () => done('exit');
    const onError = (error: Error) => done({ ok: false, rule: 'load-error', message: `loading the file threw: ${error.message}` });
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onError);
    worker.postMessage({ bundle });
  });
}

/** A loading worker kept between builds; `close()` ends it. */
export class BundleLoader {
  #worker: { worker: Worker; ready: Promise<void> } | undefined;
  #loaded = 0;

  /** Starts the worker ahead of need, so the first load does not pay for it. */
  warm(): void {
    this.#worker ??= startWorker();
  }

  /** Loads each bundle and returns one reply per bundle, in order. */
  async load(bundles: string[], timeoutMs = DEFAULT_LOAD_TIMEOUT_MS): Promise<LoadReply[]> {
    const replies: LoadReply[] = [];
    for (const bundle of bundles) {
      if (this.#loaded >= RECYCLE_AFTER) await this.close();
      this.#worker ??= startWorker();
      this.#loaded++;
      try {
        await this.#worker.ready;
      } catch (error) {
        await this.close();
        throw new PatchbayError('INTERNAL', `Could not start the worker that reads bundles: ${(error as Error).message}. Retry; if it persists, run with PATCHBAY_DEBUG=1 and report it.`, { cause: error });
      }
      const reply = await loadOne(this.#worker.worker, bundle, timeoutMs);
      if (reply === 'timeout' || reply === 'exit') {
        await this.close();
        replies.push(
          reply === 'timeout'
            ? { ok: false, rule: 'load-timeout', message: `loading the file did not finish within ${timeoutMs} ms; remove long-running or endless code from its top level (run work inside exec).` }
            : { ok: false, rule: 'load-error', message: 'the file exited the process while loading (process.exit at top level?); remove it.' },
        );
      } else replies.push(reply);
    }
    return replies;
  }

  /** Ends the worker (a new one starts on the next load). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#loaded = 0;
    if (worker) await worker.worker.terminate();
  }
}

/** Loads bundles with a one-off worker. */
export async function loadBundles(bundles: string[], timeoutMs = DEFAULT_LOAD_TIMEOUT_MS): Promise<LoadReply[]> {
  const loader = new BundleLoader();
  try {
    return await loader.load(bundles, timeoutMs);
  } finally {
    await loader.close();
  }
}
