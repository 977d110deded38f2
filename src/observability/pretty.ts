/**
 * Log lines for a person at a terminal: `12:03:45 WARN  sync run failed  code=… error="…"`
 * instead of pino's JSON. The CLI uses it when stderr is a TTY (`sync run`, `serve` in a
 * terminal); piped or under an MCP client, lines stay JSON for machines. It formats what pino
 * already redacted and capped, so nothing secret reaches it.
 *
 * @example
 * const logger = pino({}, prettyDestination(process.stderr));
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that say nothing to a person reading one run's output. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[\w./:@+-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON line as one readable line; a line that is not JSON passes through. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString().slice(11, 19) : '';
  const level = (LEVELS[entry['level'] as number] ?? String(entry['level'] ?? '')).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, v]) => `${key}=${value(v)}`)
    .join(' ');
  return `${time} ${level} ${String(entry['msg'] ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/** A pino destination writing readable lines to `out`. */
export function prettyDestination(out: { write(text: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      out.write(prettyLine(line));
    },
  };
}
