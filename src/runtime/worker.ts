/**
 * Step 3 of a tool call with `--isolation worker`: the job runs in a worker thread of the server
 * process (job-host.ts), its service calls travel back to the main thread's capabilities
 * (runtime/live-capabilities.ts, step 4). A worker thread contains crashes, infinite loops and
 * memory bombs, but it is not a security boundary (same process, same files); the default,
 * `--isolation process`, runs jobs in runner processes instead (runner.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createJobHost, warmUp } from './job-host.ts';
import type { ToWorker } from './worker-protocol.ts';

if (!parentPort) throw new Error('runtime/worker.ts must run inside a worker thread');
const port = parentPort;
process.setSourceMapsEnabled(true);

const host = createJobHost((message) => port.postMessage(message), { recycleAfter: (workerData as { recycleAfter?: number } | undefined)?.recycleAfter ?? 200 });
port.on('message', (message: ToWorker) => host.receive(message));

// Warm up before saying ready, so the first call into a fresh worker does not pay for it.
await warmUp();
port.postMessage({ t: 'ready' });
