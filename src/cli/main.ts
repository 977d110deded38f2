#!/usr/bin/env node
/**
 * The `patchbay` command. This file only wires commands; each lives in `commands/<name>.ts`
 * and exports `register(program)`.
 */
import { Command } from 'commander';
import { runCli } from './run.ts';

const program = new Command();
await runCli(program, process.argv);
