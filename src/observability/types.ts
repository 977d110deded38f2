/**
 * What an execution reports about itself: the lines a function logs (`nango.log`) and each
 * outbound request it made. Plain data, so they cross the worker boundary and land in results,
 * logs and (later) the execution log unchanged.
 */

/** One `nango.log` line, or a notable event of the execution (retry, withheld credentials). */
export interface LogEntry {
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  payload?: unknown;
}

/** One outbound HTTP request as logged (no secrets: URL query secrets and auth headers are redacted). */
export interface HttpCallLog {
  method: string;
  url: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  error?: string;
}
