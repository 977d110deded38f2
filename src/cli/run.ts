/**
 * Builds the program and runs it, turning every failure into one line on stderr,
 * `error [CODE]: message`, and an exit status a script can branch on (see `exit-codes.ts`);
 * never a stack trace, unless PATCHBAY_DEBUG is set.
 */
import { CommanderError, type Command } from 'commander';
import { packageVersion } from '../config/version.ts';
import { PatchbayError, toPatchbayError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

/**
 * Registers every command on `program` and runs it with `argv`. Commander's own parse errors
 * come back here (instead of commander exiting by itself) so they print and exit like ours.
 *
 * @example
 * await runCli(new Command(), process.argv);
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  program
    .name('patchbay')
    .description('Run integration functions (Nango-compatible) and serve them over MCP.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .option('--integrations <dir>', 'integrations folder (default: ./integrations)')
    .option('--home <dir>', 'state folder, PATCHBAY_HOME (default: ./.patchbay)');
  // Subcommands copy these settings when created, so they are set before any is registered.
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) exitAfterCommander(error);
    reportAndExit(error);
  }
}

/**
 * Ends the process after commander stopped parsing: `--help` and `--version` succeed; a
 * command group run without its subcommand has had its help printed and is a usage error;
 * any other parse error (unknown option, missing argument) is reported as INVALID_ARGUMENT.
 */
function exitAfterCommander(error: CommanderError): never {
  if (error.exitCode === 0) process.exit(EXIT.OK);
  if (error.code === 'commander.help') process.exit(EXIT.USAGE);
  const text = error.message
    .replace(/^error:\s*/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  const sentence = text.endsWith('.') ? text : `${text}.`;
  reportAndExit(new PatchbayError('INVALID_ARGUMENT', `${sentence} Run with --help for usage.`, { cause: error }));
}

/**
 * Prints an error as `error [CODE]: message` (plus string details on the next line) and exits
 * with the status for its code: 2 usage, 3 not found, 1 anything else.
 *
 * @example
 * reportAndExit(new PatchbayError('CONNECTION_NOT_FOUND', 'No connection "bob". See patchbay connection list.'));
 * // stderr: error [CONNECTION_NOT_FOUND]: No connection "bob". See patchbay connection list.   (exit 3)
 */
export function reportAndExit(error: unknown): never {
  const err = error instanceof PatchbayError ? error : toPatchbayError(error);
  process.stderr.write(`error [${err.code}]: ${err.message}\n`);
  if (err.details !== undefined && err.code !== 'ACTION_ERROR' && typeof err.details === 'string') {
    process.stderr.write(`${err.details}\n`);
  }
  if (process.env['PATCHBAY_DEBUG'] && err.cause instanceof Error && err.cause.stack) process.stderr.write(`${err.cause.stack}\n`);
  process.exit(exitCodeFor(err.code));
}
