/**
 * The process logger: pino, with every credential path redacted and, in stdio mode, written to
 * fd 2 because stdout belongs to the MCP stdio transport. Each execution logs through a
 * `child({ executionId, integrationId, function })` so one run's lines can be grepped together.
 * No line exceeds `MAX_LOG_LINE_BYTES`, whoever logs what (`capLogLine`).
 */
import { pino } from 'pino';
import { prettyDestination } from './pretty.ts';
import type { DestinationStream, LogFn, Logger as PinoLogger, LevelWithSilent } from 'pino';
import { secretKeySpellings } from './redact.ts';
import { cutText, formatSize, shrinkValue } from './truncate.ts';

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

/** Longest line the logger writes, newline included: 16 KB. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** Longest message string passed on to pino: a 20 MB message is cut before it is serialised, not after. */
const MAX_MESSAGE_CHARS = 8 * 1024;

/** pino's `logMethod` hook: cuts an oversized message argument; everything else passes untouched. */
function cutMessages(this: PinoLogger, args: Parameters<LogFn>, method: LogFn): void {
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i];
    if (typeof arg === 'string' && arg.length > MAX_MESSAGE_CHARS) (args as unknown[])[i] = cutText(arg, MAX_MESSAGE_CHARS);
  }
  method.apply(this, args);
}

/**
 * A serialised pino line within `maxBytes`. A line that fits (all but pathological ones) is
 * returned as is after a length check; a longer one is parsed and rebuilt with long strings,
 * arrays and objects cut (`shrinkValue`) until it fits, plus `truncated` saying how big it was.
 * It runs on the serialised line, so after pino's redaction: a cut never exposes a secret path.
 *
 * @example
 * capLogLine(`{"level":30,"msg":"${'x'.repeat(1e6)}"}\n`).length // ≤ 16 KB, msg ends '…[truncated … chars]'
 */
export function capLogLine(line: string, maxBytes = MAX_LOG_LINE_BYTES): string {
  if (line.length * 3 <= maxBytes) return line;
  const size = Buffer.byteLength(line, 'utf8');
  if (size <= maxBytes) return line;
  const truncated = `line of ${formatSize(size)} cut to ${formatSize(maxBytes)}`;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${JSON.stringify({ msg: cutText(line, 1024), truncated })}\n`;
  }
  for (const chars of [2048, 512, 128, 32]) {
    const shrunk = shrinkValue(entry, { chars, items: Math.max(8, chars / 16), depth: 8 }) as Record<string, unknown>;
    const out = `${JSON.stringify({ ...shrunk, truncated })}\n`;
    if (Buffer.byteLength(out, 'utf8') <= maxBytes) return out;
  }
  // Thousands of keys on the top level: its first scalars only.
  const scalars: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry).slice(0, 32)) {
    if (typeof value !== 'object' || value === null) scalars[cutText(key, 64)] = typeof value === 'string' ? cutText(value, 256) : value;
  }
  return `${JSON.stringify({ ...scalars, truncated })}\n`;
}

/**
 * pino hooks that keep every line within `MAX_LOG_LINE_BYTES`: an oversized message is cut before
 * serialising, and the serialised line is capped on its way to the stream (children inherit them).
 */
export const LINE_CAP_HOOKS = { logMethod: cutMessages, streamWrite: (line: string): string => capLogLine(line) };

export interface LoggerOptions {
  /** Minimum level (default `PATCHBAY_LOG_LEVEL` or 'info'). */
  level?: LogLevel;
  /** MCP stdio mode: log to fd 2 so stdout stays clean for JSON-RPC. */
  stdio?: boolean;
  /** Where to write: a file path, an fd, or a stream (tests capture lines this way). Overrides `stdio`. */
  destination?: string | number | DestinationStream;
  /** Fields added to every line. */
  base?: Record<string, unknown>;
  /** Readable lines instead of JSON (a person at a terminal); ignored when `destination` is given. */
  pretty?: boolean;
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
    hooks: LINE_CAP_HOOKS,
  };
  return pino(config, destinationOf(options));
}

function destinationOf(options: LoggerOptions): DestinationStream {
  const dest = options.destination;
  if (dest === undefined && options.pretty) return prettyDestination(options.stdio ? process.stderr : process.stdout);
  if (dest === undefined) return pino.destination({ dest: options.stdio ? 2 : 1, sync: true });
  if (typeof dest === 'string' || typeof dest === 'number') return pino.destination({ dest, sync: true, mkdir: true });
  return dest;
}

/** A logger that drops everything (tests, benchmarks, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
