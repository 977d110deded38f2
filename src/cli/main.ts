#!/usr/bin/env node
/**
 * The `patchbay` command. It checks the Node.js version first, before any module that needs a
 * newer Node is loaded, then wires the commands (each lives in `commands/<name>.ts` and exports
 * `register(program)`).
 */
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`error [UNSUPPORTED_NODE]: ${problem}\n`);
  process.exit(1);
}
// V8's compiled code for patchbay and its dependencies is kept on disk (Node's compile cache, in
// the temp folder or NODE_COMPILE_CACHE): later starts skip most of the compiling.
const { enableCompileCache } = await import('node:module');
try {
  enableCompileCache?.();
} catch {
  // A read-only temp folder: start without the cache.
}
const [{ Command }, { runCli }] = await Promise.all([import('commander'), import('./run.ts')]);
await runCli(new Command(), process.argv);
