/**
 * The exit statuses of the `patchbay` command. Scripts branch on them (retry, ask the user,
 * give up), so they are part of the CLI's contract: documented in the README, kept stable.
 */
import type { ErrorCode } from '../errors.ts';

/** Named exit statuses; the README's CLI section lists the same table. */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** Anything else went wrong: an upstream, a credential, a function, the store, a bug. */
  FAILURE: 1,
  /** The command line itself is wrong: an unknown option, a missing argument, a bad value. */
  USAGE: 2,
  /** What the command names does not exist: a function, connection, integration, provider. */
  NOT_FOUND: 3,
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Codes that mean "what you passed on the command line is wrong", answered with EXIT.USAGE. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INVALID_ARGUMENT', 'INVALID_INPUT']);

/**
 * The exit status for an error code, so a script can tell "fix the command line" (2) and
 * "that thing does not exist" (3) from any other failure (1) without parsing the message.
 * Every `*_NOT_FOUND` code counts as not found, including ones added later.
 *
 * @example
 * exitCodeFor('CONNECTION_NOT_FOUND'); // 3
 * exitCodeFor('INVALID_ARGUMENT');     // 2
 * exitCodeFor('UPSTREAM_HTTP_ERROR');  // 1
 */
export function exitCodeFor(code: ErrorCode): ExitCode {
  if (USAGE_CODES.has(code)) return EXIT.USAGE;
  if (code === 'NOT_FOUND' || code.endsWith('_NOT_FOUND')) return EXIT.NOT_FOUND;
  return EXIT.FAILURE;
}
