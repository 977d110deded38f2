/**
 * Step 6 of a tool call: the executor's result (step 2, output already validated) becomes the
 * MCP answer.
 *
 * Tool results the model can act on. Success: `structuredContent` matching the tool's
 * `outputSchema` plus the same JSON as text. Failure: `isError: true` with one sentence that
 * names what went wrong and what to do (the field and the rule broken, the command that
 * re-authorises a connection, how long to wait), then the error as JSON. Results past
 * `--max-result-bytes` are cut with a note saying so.
 *
 * @example
 * errorResult(new PatchbayError('RATE_LIMITED', '…', { retryAfter: 40 }), { integrationId: 'github', connectionId: 'alice' })
 * // { isError: true, content: [{ type: 'text', text: 'Rate limited by github, retry after 40 s. …' }] }
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { boundedErrorJSON, toPatchbayError, type PatchbayError } from '../errors.ts';
import { DEFAULT_MAX_RESULT_BYTES, formatSize, jsonLongerThan, shrinkToFit, truncateUtf8 } from '../observability/truncate.ts';
import { structuredOutput, type OutputWrap } from './schema.ts';

export { DEFAULT_MAX_RESULT_BYTES, truncateUtf8 };

/** Past the cap, the JSON after the sentence gets at most this much (its code, the start of its message). */
const BRIEF_BYTES = 1024;

/** Where an error happened, for messages. */
export interface ErrorContext {
  integrationId?: string | undefined;
  connectionId?: string | undefined;
  tool?: string | undefined;
  /** Prefix for field paths when the tool wrapped the input (`input`). */
  fieldPrefix?: string | undefined;
}

interface IssueLike {
  path?: Array<string | number> | string;
  message?: string;
  code?: string;
  rule?: string;
}

/** Field path of an issue as the tool's caller sees it (the runtime prefixes `input`). */
function issuePath(issue: IssueLike, prefix: string | undefined): string {
  const raw = typeof issue.path === 'string' ? issue.path.split('.').filter(Boolean) : (issue.path ?? []).map(String);
  if (raw[0] === 'input') raw.shift();
  return [...(prefix ? [prefix] : []), ...raw].join('.');
}

function describeIssues(details: unknown, prefix: string | undefined): string | undefined {
  const list = Array.isArray(details) ? details : (details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const lines = (list as IssueLike[]).slice(0, 20).map((issue) => {
    const rule = issue.message ?? issue.rule ?? issue.code ?? 'invalid';
    const code = issue.rule ?? issue.code;
    return `\`${issuePath(issue, prefix) || '(arguments)'}\`: ${rule}${code && !rule.includes(code) ? ` (${code})` : ''}`;
  });
  const more = list.length > 20 ? ` (and ${list.length - 20} more)` : '';
  return `${lines.join('; ')}${more}`;
}

function capitalise(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** The first sentence of an error result: what happened and what to do next (an ActionError's payload shrunk to about `maxBytes`). */
export function errorSentence(err: PatchbayError, context: ErrorContext = {}, maxBytes = DEFAULT_MAX_RESULT_BYTES): string {
  const integration = context.integrationId ?? 'the provider';
  const connection = context.connectionId ?? '<connection-id>';
  switch (err.code) {
    case 'INVALID_INPUT': {
      const fields = describeIssues(err.details, context.fieldPrefix);
      return fields ? `Invalid arguments${context.tool ? ` for ${context.tool}` : ''}: ${fields}. Fix these fields and call again.` : err.message;
    }
    case 'NEEDS_REAUTH':
    case 'AUTH_REFRESH_FAILED':
    case 'INVALID_CREDENTIALS':
      if (/patchbay (connect|connection add)/.test(err.message)) return capitalise(err.message);
      return `Connection ${connection} of ${integration} needs re-authorisation: run \`patchbay connect ${integration} ${connection}\` (or \`patchbay connection add ${integration} ${connection} --token <token>\` for token auth), then retry. (${err.message})`;
    case 'RATE_LIMITED': {
      const wait = err.retryAfter !== undefined ? `retry after ${Math.ceil(err.retryAfter)} s` : 'wait a minute before retrying';
      if (/rate limited/i.test(err.message)) return `${capitalise(err.message)}${/retry|wait/i.test(err.message) ? '' : `; ${wait}`}`;
      return `Rate limited by ${integration}, ${wait}.`;
    }
    case 'UPSTREAM_HTTP_ERROR':
      if (err.status !== undefined && err.message.includes(String(err.status))) return err.message;
      return `${integration} answered HTTP ${err.status ?? '?'}${err.excerpt ? `: ${err.excerpt}` : ''}. ${err.message}`;
    case 'ACTION_ERROR':
      return `The action failed: ${JSON.stringify(shrinkToFit(err.details ?? { message: err.message }, maxBytes))}`;
    case 'TIMEOUT':
      return `The action timed out. ${err.message}`;
    case 'ABORTED':
      return 'The call was cancelled.';
    default:
      return err.message;
  }
}

/**
 * An `isError` result for any thrown value: the sentence, then the error as JSON. Like a success
 * it obeys `maxBytes` (`--max-result-bytes`): past it the sentence is cut with a note saying how
 * big the error was, and the JSON keeps the code and only the start of the message (the sentence
 * already carries it), so a huge message is never returned twice. A huge error is measured, not
 * serialised.
 */
export function errorResult(error: unknown, context: ErrorContext = {}, maxBytes = DEFAULT_MAX_RESULT_BYTES): CallToolResult {
  const err = toPatchbayError(error);
  const sentence = errorSentence(err, context, maxBytes);
  const json = err.toJSON();
  if (json.details !== undefined && jsonLongerThan(json.details, 4000)) delete json.details;
  if (sentence.length <= maxBytes && !jsonLongerThan(json, maxBytes)) {
    const text = `${sentence}\n\n${JSON.stringify({ error: json })}`;
    if (Buffer.byteLength(text, 'utf8') <= maxBytes) return { isError: true, content: [{ type: 'text', text }] };
  }
  const size = Buffer.byteLength(sentence, 'utf8') + Buffer.byteLength(json.message, 'utf8') + Buffer.byteLength(json.excerpt ?? '', 'utf8');
  const brief = JSON.stringify({ error: boundedErrorJSON(err, Math.min(BRIEF_BYTES, Math.floor(maxBytes / 4))) });
  const note = `[truncated: the error is about ${formatSize(size)}, over the ${formatSize(maxBytes)} limit (--max-result-bytes); only its start is shown.]`;
  const room = Math.max(0, maxBytes - Buffer.byteLength(brief, 'utf8') - Buffer.byteLength(note, 'utf8') - 8);
  return { isError: true, content: [{ type: 'text', text: `${truncateUtf8(sentence, room)}…\n\n${note}\n\n${brief}` }] };
}

/**
 * A success result. Past the cap the text is cut, `structuredContent` dropped and the result
 * flagged `isError` (a client checks structured output against the schema; a cut object would
 * fail that check) with a note telling the model to ask for less.
 */
export function successResult(output: unknown, wrap: OutputWrap | undefined, maxBytes = DEFAULT_MAX_RESULT_BYTES): CallToolResult {
  const text = output === undefined ? 'null' : JSON.stringify(output, null, 0);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) {
    const kept = truncateUtf8(text, maxBytes);
    return {
      isError: true,
      content: [
        {
          type: 'text',
          text: `${kept}\n\n[truncated: the result is ${Math.ceil(size / 1024)} KB, over the ${Math.floor(maxBytes / 1024)} KB limit (--max-result-bytes). Only the first ${Math.floor(maxBytes / 1024)} KB are shown; call again asking for less data (a filter, a smaller limit or page).]`,
        },
      ],
    };
  }
  const result: CallToolResult = { content: [{ type: 'text', text }] };
  if (wrap !== undefined) result.structuredContent = structuredOutput(output, wrap);
  return result;
}
