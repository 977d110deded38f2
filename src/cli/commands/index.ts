/**
 * Every CLI command, in help order. Add a command by writing `commands/<name>.ts` exporting
 * `register(program)` and listing it here.
 */
import type { Command } from 'commander';
import { register as compile } from './compile.ts';
import { register as connect } from './connect.ts';
import { register as connection } from './connection.ts';
import { register as key } from './key.ts';
import { register as dev } from './dev.ts';
import { register as dryrun } from './dryrun.ts';
import { register as init } from './init.ts';
import { register as mcpConfig } from './mcp-config.ts';
import { register as providers } from './providers.ts';
import { register as proxy } from './proxy.ts';
import { register as records } from './records.ts';
import { register as serve } from './serve.ts';
import { register as sync } from './sync.ts';
import { register as test } from './test.ts';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [init, compile, dev, dryrun, test, serve, mcpConfig, providers, sync, records, proxy, connection, connect, key];
