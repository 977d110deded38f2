/**
 * Builds the program and runs it, turning every PatchbayError into one clear line on stderr
 * and a non-zero exit code (never a stack trace, unless PATCHBAY_DEBUG is set).
 */
import type { Command } from 'commander';
import { packageVersion } from '../config/version.ts';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';

export async function runCli(program: Command, argv: string[]): Promise<void> {
  program
    .name('patchbay')
    .description('Run integration functions (Nango-compatible) and serve them over MCP.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .option('--integrations <dir>', 'integrations folder (default: ./integrations)')
    .option('--home <dir>', 'state folder, PATCHBAY_HOME (default: ./.patchbay)');
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    reportAndExit(error);
  }
}

/** Prints an error as one line (plus details) and exits with status 1. */
export function reportAndExit(error: unknown): never {
  const err = error instanceof PatchbayError ? error : toPatchbayError(error);
  process.stderr.write(`error: ${err.message}\n`);
  if (err.details !== undefined && err.code !== 'ACTION_ERROR' && typeof err.details === 'string') {
    process.stderr.write(`${err.details}\n`);
  }
  if (process.env['PATCHBAY_DEBUG'] && err.cause instanceof Error && err.cause.stack) process.stderr.write(`${err.cause.stack}\n`);
  process.exit(1);
}
