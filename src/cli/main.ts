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
const [{ Command }, { runCli }] = await Promise.all([import('commander'), import('./run.ts')]);
await runCli(new Command(), process.argv);
