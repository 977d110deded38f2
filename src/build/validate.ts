/**
 * Compile-time rules over what a bundle's default export says: an exec, models with an `id`,
 * a frequency the scheduler understands, a known event. Each problem becomes a diagnostic that
 * points at the line in the user's file; a valid function becomes its manifest entry.
 */
import { readFileSync } from 'node:fs';
import type { FunctionManifest } from './manifest.ts';
import type { LoadReply } from './load-protocol.ts';
import type { SourceFunction } from './discover.ts';
import { FOLDER_OF } from './discover.ts';
import { errorAt, type Diagnostic } from './diagnostics.ts';
import { parseFrequency } from './frequency.ts';
import type { OnEventName } from '../define/types.ts';

const EVENTS: OnEventName[] = ['post-connection-creation', 'pre-connection-deletion', 'validate-connection'];

/** Line and column (1-based) of the first match of `pattern` in `text`, else of `fallback`, else 1:1. */
function locate(text: string, pattern: RegExp, fallback = /\bcreate(Action|Sync|OnEvent)\s*\(/): { line: number; column: number } {
  const match = pattern.exec(text) ?? fallback.exec(text);
  if (!match) return { line: 1, column: 1 };
  const before = text.slice(0, match.index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/**
 * HTTP methods a function's own files use, found statically: `nango.post(`, `nango.get<T>(`,
 * `method: 'DELETE'`, `nango.paginate(` (a GET unless told otherwise). Used for MCP tool hints.
 */
export function scanHttpMethods(texts: string[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/\bnango\s*\.\s*(get|post|put|patch|delete)\s*(?:<[^>()]*>)?\s*\(/g)) found.add(m[1]!.toUpperCase());
    for (const m of text.matchAll(/\bmethod\s*:\s*['"`](get|post|put|patch|delete|head|options)['"`]/gi)) found.add(m[1]!.toUpperCase());
    if (/\bnango\s*\.\s*paginate\s*(?:<[^>()]*>)?\s*\(/.test(text)) found.add('GET');
  }
  const order = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
  return [...found].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Checks one loaded function; returns its manifest entry (when valid) and diagnostics. */
export function validateFunction(
  fn: SourceFunction,
  shownFile: string,
  bundle: string,
  reply: LoadReply,
  inputs: string[],
): { entry?: FunctionManifest; diagnostics: Diagnostic[] } {
  const text = readText(fn.file);
  const at = (code: string, message: string, pattern: RegExp, severity: 'error' | 'warning' = 'error'): Diagnostic => {
    const { line, column } = locate(text, pattern);
    return { ...errorAt(code, message, shownFile, line, column), severity };
  };
  if (!reply.ok) {
    const pattern = reply.rule === 'missing-default-export' ? /\bexport\s+default\b/ : /^/;
    return { diagnostics: [at(reply.rule, reply.message, pattern)] };
  }
  const info = reply.info;
  const diagnostics: Diagnostic[] = info.problems.map((p) => at('bad-definition', p, /^/));
  if (!info.hasExec) diagnostics.push(at('missing-exec', 'no exec function. Add `exec: async (nango, input) => { ... }` to the definition.', /\bexec\s*:/));
  if (info.type !== fn.kind) {
    diagnostics.push(at('bad-definition', `this file is in ${FOLDER_OF[fn.kind]}/ but exports a ${info.type}; move it to ${FOLDER_OF[info.type]}/.`, /\bcreate(Action|Sync|OnEvent)\s*\(/, 'warning'));
  }

  const entry: FunctionManifest = {
    integrationId: fn.integrationId,
    name: fn.name,
    type: info.type,
    source: fn.source,
    bundle,
    description: typeof info.description === 'string' ? info.description : '',
  };
  if (typeof info.version === 'string') entry.version = info.version;
  if (Array.isArray(info.scopes)) entry.scopes = info.scopes.map(String);
  if (typeof info.timeoutMs === 'number') entry.timeoutMs = info.timeoutMs;
  if (info.metadata) entry.metadata = info.metadata;
  if (info.checkpoint) entry.checkpoint = info.checkpoint;
  entry.httpMethods = scanHttpMethods(inputs.map(readText));

  if (info.type === 'action') {
    if (info.input) entry.input = info.input;
    if (info.output) entry.output = info.output;
    if (info.annotations) entry.annotations = info.annotations;
  } else if (info.type === 'sync') {
    if (!info.models || Object.keys(info.models).length === 0) {
      if (info.problems.length === 0) diagnostics.push(at('missing-models', 'a sync needs models: `models: { Issue: IssueSchema }` (zod objects with an id).', /\bmodels\s*:/));
    } else entry.models = info.models;
    for (const model of info.modelsWithoutId) {
      diagnostics.push(at('model-without-id', `model "${model}" has no \`id\` field; every synced record needs one (id: z.string()).`, new RegExp(`\\b${model}\\b`)));
    }
    if (typeof info.frequency !== 'string') {
      diagnostics.push(at('bad-frequency', 'a sync needs a frequency, e.g. `frequency: \'every hour\'`.', /\bfrequency\s*:/));
    } else {
      try {
        const parsed = parseFrequency(info.frequency);
        entry.frequency = info.frequency;
        if ('intervalMs' in parsed) entry.intervalMs = parsed.intervalMs;
        else entry.cron = parsed.cron;
      } catch (error) {
        diagnostics.push(at('bad-frequency', (error as Error).message, /\bfrequency\s*:/));
      }
    }
    if (info.syncType === 'full' || info.syncType === 'incremental') entry.syncType = info.syncType;
    if (typeof info.trackDeletes === 'boolean') entry.trackDeletes = info.trackDeletes;
    if (typeof info.autoStart === 'boolean') entry.autoStart = info.autoStart;
    if (Array.isArray(info.webhookSubscriptions)) entry.webhookSubscriptions = info.webhookSubscriptions.map(String);
  } else {
    if (!info.event || !EVENTS.includes(info.event)) {
      diagnostics.push(at('bad-definition', `unknown event "${String(info.event)}"; use one of ${EVENTS.join(', ')}.`, /\bevent\s*:/));
    } else entry.event = info.event;
  }
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { entry, diagnostics };
}
