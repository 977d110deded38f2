/**
 * The process logger: pino, with every credential path redacted and, in stdio mode, written to
 * fd 2 because stdout belongs to the MCP stdio transport. Each execution logs through a
 * `child({ executionId, integrationId, function })` so one run's lines can be grepped together.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LevelWithSilent } from 'pino';
import { secretKeySpellings } from './redact.ts';

/** The logger type every module accepts (a pino logger or a child of one). */
export type Logger = PinoLogger;

/** Log levels accepted by `createLogger` (pino's, plus 'silent'). */
export type LogLevel = LevelWithSilent;

const SECRET_NAMES = secretKeySpellings();

/**
 * Redaction paths: every spelling of every secret key (one list, `redact.ts`) at the top level
 * and one or two levels deep. pino matches names exactly and its `*` matches one level, so both
 * spellings and depth are explicit; a logged request's `headers.authorization` or
 * `request.headers.Authorization` falls under the one- and two-level paths.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_NAMES.map((k) => quote(k)),
  ...SECRET_NAMES.map((k) => `*.${quote(k)}`),
  ...SECRET_NAMES.map((k) => `*.*.${quote(k)}`),
];

function quote(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

export interface LoggerOptions {
  /** Minimum level (default `PATCHBAY_LOG_LEVEL` or 'info'). */
  level?: LogLevel;
  /** MCP stdio mode: log to fd 2 so stdout stays clean for JSON-RPC. */
  stdio?: boolean;
  /** Where to write: a file path, an fd, or a stream (tests capture lines this way). Overrides `stdio`. */
  destination?: string | number | DestinationStream;
  /** Fields added to every line. */
  base?: Record<string, unknown>;
}

/**
 * Creates the process logger.
 *
 * @example
 * const logger = createLogger({ stdio: true });           // MCP server over stdio
 * const run = logger.child({ executionId, function: 'list-issues' });
 * run.info({ headers: { authorization: 'Bearer x' } }, 'request'); // authorization → [Redacted]
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env['PATCHBAY_LOG_LEVEL'] as LogLevel | undefined) ?? 'info';
  const config = {
    level,
    base: { ...(options.base ?? {}) },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
  };
  return pino(config, destinationOf(options));
}

function destinationOf(options: LoggerOptions): DestinationStream {
  const dest = options.destination;
  if (dest === undefined) return pino.destination({ dest: options.stdio ? 2 : 1, sync: true });
  if (typeof dest === 'string' || typeof dest === 'number') return pino.destination({ dest, sync: true, mkdir: true });
  return dest;
}

/** A logger that drops everything (tests, benchmarks, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
