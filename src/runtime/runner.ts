/**
 * Step 3 of a tool call (the default, `--isolation process`): a runner process. The executor
 * (step 2) queued the job in runner-pool.ts, which started this process with Node's permission
 * model — reads limited to patchbay's own code, its dependencies and the build's bundles; no
 * writes, child processes, worker threads or native addons — and an environment holding nothing
 * of the server's. Here the bundle runs with a fresh `nango` context (job-host.ts) whose service
 * calls travel back to the server's capabilities (runtime/live-capabilities.ts, step 4).
 *
 * Before any user code runs, the few process powers the permission model leaves are taken away:
 * signalling other processes (`process.kill`, which could reach the server) and writing protocol
 * messages (`process.send`). stdout and stderr are pipes the server reads as logs, never the MCP
 * stream. A runner serves one caller scope (API key + connection): nothing one function leaves
 * in it is seen by another scope's executions.
 */
import { serialize } from 'node:v8';
import { PatchbayError } from '../errors.ts';
import { createJobHost, warmUp } from './job-host.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

interface RunnerSettings {
  recycleAfter: number;
  maxResultBytes: number;
}

const send = process.send?.bind(process) as ((message: FromWorker, callback?: () => void) => boolean) | undefined;
if (!send) throw new Error('runtime/runner.ts must be started by the runner pool (with an IPC channel)');
const settings = JSON.parse(process.argv[2] ?? '{}') as Partial<RunnerSettings>;
process.setSourceMapsEnabled(true);
harden();

const host = createJobHost((message: FromWorker) => void send(message), {
  recycleAfter: settings.recycleAfter ?? 200,
  maxResultBytes: settings.maxResultBytes ?? 32 * 1024 * 1024,
  sizeOf: (value) => serialize(value).length,
});
process.on('message', (message) => host.receive(message as ToWorker));
// An error no job awaits ends this runner (as it ends a worker thread); the server learns why first.
const fatal = (error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  try {
    send({ t: 'fatal', message: message.slice(0, 2000) }, () => process.exit(70));
  } catch {
    process.exit(70);
  }
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// The server went away (crash, kill -9): nothing is left to answer to.
process.on('disconnect', () => process.exit(0));

await warmUp();
send({ t: 'ready' });

/** Removes what user code could use to reach past this process; see the module doc. */
function harden(): void {
  const refuse = (what: string) => () => {
    throw new PatchbayError('FORBIDDEN', `${what} is not available to function code (it runs in an isolated runner process).`);
  };
  for (const [name, what] of [
    ['kill', 'process.kill'],
    ['_kill', 'process.kill'],
    ['send', 'process.send'],
    ['disconnect', 'process.disconnect'],
    ['setuid', 'process.setuid'],
    ['setgid', 'process.setgid'],
    ['dlopen', 'process.dlopen'],
  ] as const) {
    Object.defineProperty(process, name, { value: refuse(what), writable: false, configurable: false });
  }
}
