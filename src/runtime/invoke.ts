/**
 * Runs one loaded definition against capabilities: the part of an execution that is identical
 * inline and inside a worker. Validates action input before `exec` and output after, picks
 * `exec` or `onWebhook`, and turns whatever user code throws into a PatchbayError
 * (ActionError → ACTION_ERROR with its payload; anything else → FUNCTION_ERROR with the stack
 * trimmed to the user's frames).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyDefinition } from '../define/types.ts';
import { ActionError, PatchbayError } from '../errors.ts';
import type { Capabilities, ContextInfo } from './capabilities.ts';
import { asAbortError, createContext } from './context.ts';
import { check, isSchema } from './validate.ts';

/** What one invocation needs besides the definition and capabilities (all structured-cloneable). */
export interface InvokeOptions {
  info: ContextInfo;
  input?: unknown;
  validate: boolean;
  validateState: boolean;
  /** Set when a webhook triggers a sync: runs `onWebhook(nango, payload)` instead of `exec`. */
  webhookPayload?: unknown;
  /** Files and folders of user code (integrations folder, bundle): error stacks keep only their frames. */
  userPaths?: string[];
}

const OUR_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Runs the definition and returns the action's output (undefined for syncs and on-events).
 *
 * @example
 * const output = await invoke(definition, caps, { info, input, validate: true, validateState: false }, signal);
 */
export async function invoke(definition: AnyDefinition, caps: Capabilities, options: InvokeOptions, signal: AbortSignal): Promise<unknown> {
  const validate = options.validate;
  let input = options.input;
  if (definition.type === 'action' && validate) {
    // No input: accept it as is when the schema allows (z.void(), optional), else as `{}` (a tool called without arguments).
    const schema = definition.input;
    const none = input === undefined && isSchema(schema) ? schema.safeParse(undefined) : undefined;
    input = none?.success ? none.data : check(schema, input ?? {}, 'INVALID_INPUT', 'input', 'Fix the arguments and call again.');
  }
  const nango = createContext(caps, options.info, definition.type, signal, {
    definition,
    validate,
    validateState: options.validateState,
  });
  let output: unknown;
  try {
    if (definition.type === 'action') output = await definition.exec(nango, input);
    else if (definition.type === 'sync' && options.webhookPayload !== undefined) {
      if (typeof definition.onWebhook !== 'function') {
        throw new PatchbayError('INVALID_ARGUMENT', `Sync "${options.info.executionId}" has no onWebhook handler; it cannot take webhook payloads.`);
      }
      await definition.onWebhook(nango as never, options.webhookPayload);
    } else await (definition.exec as (n: unknown) => unknown)(nango);
  } catch (error) {
    throw userError(error, signal, options.userPaths);
  }
  if (definition.type !== 'action') return undefined;
  if (validate) {
    return check(definition.output, output, 'INVALID_OUTPUT', 'output', 'The action returned data that does not match its output schema; fix the mapping or the schema.');
  }
  return output;
}

/** Maps what user code threw to the error the caller sees. */
export function userError(error: unknown, signal?: AbortSignal, userPaths?: string[]): PatchbayError {
  if (signal?.aborted) return asAbortError(signal.reason);
  if (error instanceof PatchbayError) return error;
  if (error instanceof ActionError) {
    return new PatchbayError('ACTION_ERROR', error.message, { details: error.payload });
  }
  if (error instanceof Error) {
    const stack = trimStack(error.stack, userPaths);
    const details: Record<string, unknown> = { name: error.name };
    if (stack) details['stack'] = stack;
    return new PatchbayError('FUNCTION_ERROR', `The function threw ${error.name}: ${error.message}`, { details });
  }
  return new PatchbayError('FUNCTION_ERROR', `The function threw a non-error value: ${String(error)}`);
}

/**
 * Keeps the message line and the user's frames: those inside `userPaths` when given (the
 * integrations folder and the bundle), else every frame that is neither node's nor patchbay's.
 */
export function trimStack(stack: string | undefined, userPaths: string[] = []): string | undefined {
  if (!stack) return undefined;
  const lines = stack.split('\n');
  const isUser =
    userPaths.length > 0
      ? (line: string) => userPaths.some((p) => line.includes(p))
      : (line: string) => !line.includes('node:') && !line.includes(OUR_DIR);
  const frames = lines.filter((line) => line.trimStart().startsWith('at ') && isUser(line));
  const head = lines.filter((line) => !line.trimStart().startsWith('at ')).join('\n');
  return [head, ...frames.slice(0, 10).map((frame) => frame.replace(/\?v=[\d.]+/, ''))].join('\n');
}
