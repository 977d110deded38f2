/**
 * Messages between the compiler and its loading worker: what one bundle's default export says
 * about the function, already as JSON (schemas converted), so it crosses the thread boundary.
 */
import type { OnEventName, ToolAnnotations } from '../define/types.ts';

type JsonSchema = Record<string, unknown>;

/** The definition's data as read from the bundle, before validation. */
export interface LoadedFunction {
  type: 'action' | 'sync' | 'onEvent';
  hasExec: boolean;
  description?: unknown;
  version?: unknown;
  scopes?: unknown;
  annotations?: ToolAnnotations;
  input?: JsonSchema;
  output?: JsonSchema;
  models?: Record<string, JsonSchema>;
  /** Models whose zod object has no `id` field. */
  modelsWithoutId: string[];
  frequency?: unknown;
  syncType?: unknown;
  trackDeletes?: unknown;
  autoStart?: unknown;
  webhookSubscriptions?: unknown;
  event?: OnEventName;
  metadata?: JsonSchema;
  checkpoint?: JsonSchema;
  timeoutMs?: unknown;
  /** Schema problems found while converting (not a zod schema, conversion failed). */
  problems: string[];
}

/** The worker's answer for one bundle: what it defines, or why it could not be read. */
export type LoadReply =
  | { ok: true; info: LoadedFunction }
  | { ok: false; rule: 'load-error' | 'missing-default-export' | 'load-timeout'; message: string };
