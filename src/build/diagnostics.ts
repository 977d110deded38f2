/**
 * A compile diagnostic: one problem in one user file, printed as
 * `integrations/github/actions/create-issue.ts:12:5 - error TS2322: message`, the way `tsc` does,
 * so editors and terminals make it clickable.
 */
import path from 'node:path';

/** Stable names of our own compile-time rules (TypeScript's own codes are `TS<number>`). */
export type DiagnosticRule =
  | 'syntax-error'
  | 'unresolved-import'
  | 'missing-dependency'
  | 'missing-default-export'
  | 'missing-exec'
  | 'missing-models'
  | 'model-without-id'
  | 'bad-frequency'
  | 'bad-definition'
  | 'duplicate-function'
  | 'bad-index'
  | 'load-error'
  | 'load-timeout'
  | 'bad-integration-config';

/** One problem found by compile, in a form every front end can print or send. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** `TS2322` for type errors, a DiagnosticRule for ours. */
  code: string;
  message: string;
  /** Path relative to the project root (posix separators), when the problem has a file. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
}

/** Formats one diagnostic on one line (continuation lines of long TS messages are indented). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''} - ` : '';
  return `${where}${d.severity} ${d.code}: ${d.message}`;
}

/** True when any diagnostic is an error (warnings never block a build). */
export function hasErrors(diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** A path as shown to the user: relative to the project root, posix separators. */
export function displayPath(root: string, file: string): string {
  const rel = path.relative(root, file);
  return (rel === '' ? '.' : rel).split(path.sep).join('/');
}

/** Shorthand for an error diagnostic. */
export function errorAt(code: string, message: string, file?: string, line?: number, column?: number): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, message };
  if (file !== undefined) d.file = file;
  if (line !== undefined) d.line = line;
  if (column !== undefined) d.column = column;
  return d;
}
