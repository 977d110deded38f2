/**
 * The one error type of patchbay. Every failure that reaches a user, a model or a log is a
 * `PatchbayError` with a stable string `code`, a message that says what to do next, and where
 * relevant the upstream status and a short excerpt of the upstream body.
 *
 * `instanceof` survives a second bundled copy of this module (user bundles, worker threads)
 * through a `Symbol.for` brand, the way undici's errors do.
 *
 * @example
 * throw new PatchbayError('CONNECTION_NOT_FOUND',
 *   'No connection "alice" for integration "github". Add one: patchbay connection add github alice --token <T>');
 */
import { REDACTED, redactSecretTail, redactText, type SecretValues } from './observability/secrets.ts';
import { cutText, formatSize, headOf, jsonLongerThan, truncateUtf8 } from './observability/truncate.ts';

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_INPUT',
  'INVALID_OUTPUT',
  'INVALID_RECORD',
  'INVALID_CONFIG',
  'NOT_FOUND',
  'FUNCTION_NOT_FOUND',
  'INTEGRATION_NOT_FOUND',
  'CONNECTION_NOT_FOUND',
  'CONNECTION_EXISTS',
  'PROVIDER_NOT_FOUND',
  'INVALID_CREDENTIALS',
  'AUTH_REFRESH_FAILED',
  'NEEDS_REAUTH',
  'OAUTH_FAILED',
  'UPSTREAM_HTTP_ERROR',
  'UPSTREAM_NETWORK_ERROR',
  'RATE_LIMITED',
  'FORBIDDEN_HOST',
  'TIMEOUT',
  'ABORTED',
  'MEMORY_LIMIT',
  'FUNCTION_ERROR',
  'ACTION_ERROR',
  'FUNCTION_CRASHED',
  'COMPILE_ERROR',
  'BUILD_NOT_FOUND',
  'ENCRYPTION_KEY_ERROR',
  'STORE_ERROR',
  'LOCKED',
  'IDEMPOTENCY_KEY_REUSED',
  'ACTION_PENDING',
  'MASS_DELETE_REFUSED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'NOT_IMPLEMENTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND = Symbol.for('patchbay.error');

export interface PatchbayErrorOptions {
  cause?: unknown;
  /** HTTP status of the upstream (provider) response, when the error came from one. */
  status?: number;
  /** A short excerpt of the upstream body (at most ~500 characters). */
  excerpt?: string;
  /** Seconds after which a retry may succeed (rate limits). */
  retryAfter?: number;
  /** Structured details: zod issues, the payload of an ActionError, the offending field. */
  details?: unknown;
}

/** Plain JSON form of a PatchbayError, used across worker threads, HTTP and MCP. */
export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  status?: number;
  excerpt?: string;
  retryAfter?: number;
  details?: unknown;
}

export class PatchbayError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly excerpt?: string;
  readonly retryAfter?: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: PatchbayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PatchbayError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.excerpt !== undefined) this.excerpt = options.excerpt;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.details !== undefined) this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  toJSON(): SerializedError {
    const out: SerializedError = { name: this.name, code: this.code, message: this.message };
    if (this.status !== undefined) out.status = this.status;
    if (this.excerpt !== undefined) out.excerpt = this.excerpt;
    if (this.retryAfter !== undefined) out.retryAfter = this.retryAfter;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }

  static fromJSON(json: SerializedError): PatchbayError {
    const { code, message, ...rest } = json;
    return new PatchbayError(code, message, rest);
  }
}

const ACTION_ERROR_BRAND = Symbol.for('patchbay.action-error');

/**
 * Thrown by user code to fail an action with a payload the caller receives as is
 * (Nango's `ActionError`).
 *
 * @example
 * throw new nango.ActionError({ message: 'Repository not found', repo: input.repo });
 */
export class ActionError<T = Record<string, unknown>> extends Error {
  readonly type = 'action_script_runtime_error';
  readonly payload: T;

  constructor(payload?: T) {
    const message =
      payload && typeof payload === 'object' && typeof (payload as Record<string, unknown>)['message'] === 'string'
        ? String((payload as Record<string, unknown>)['message'])
        : 'The action failed';
    super(message);
    this.name = 'ActionError';
    this.payload = (payload ?? {}) as T;
    Object.defineProperty(this, ACTION_ERROR_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ACTION_ERROR_BRAND] === true;
  }
}

/** Default length of an excerpt of upstream data, in characters. */
export const EXCERPT_CHARS = 300;

export interface ExcerptOptions {
  /** Longest excerpt in characters (default `EXCERPT_CHARS`), an ellipsis added when cut. */
  max?: number;
  /** Secret values to redact; the whole body is redacted before it is cut. */
  secrets?: SecretValues | undefined;
}

/**
 * A short, single-line excerpt of an upstream body, fit for a message. Known secret values are
 * redacted in the whole text first, then the text is cut: cutting first would leave a secret
 * minus its last characters, which no longer matches. What ends the excerpt and starts a secret
 * (cut by the provider itself, or an encoding we did not list) is redacted too.
 *
 * @example
 * excerptOf({ error: 'bad token tok_abc123' }, { secrets }) // '{"error":"bad token [REDACTED]"}'
 */
export function excerptOf(body: unknown, options: ExcerptOptions = {}): string {
  const max = options.max ?? EXCERPT_CHARS;
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body === undefined || body === null) return '';
  else {
    try {
      text = JSON.stringify(body) ?? String(body);
    } catch {
      text = String(body);
    }
  }
  text = redactText(text, options.secrets);
  // Whitespace is squeezed in a window, not in a body of megabytes; the excerpt is its start anyway.
  const window = max * 4 + 1024;
  text = (text.length > window ? text.slice(0, window) : text).replace(/\s+/g, ' ').trim();
  if (text.length <= max) return redactSecretTail(text, options.secrets);
  let end = max;
  const marker = text.indexOf(REDACTED, Math.max(0, max - REDACTED.length + 1));
  if (marker >= 0 && marker < max) end = marker + REDACTED.length; // keep a marker whole
  return `${redactSecretTail(headOf(text, end), options.secrets)}…`;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/**
 * The error as JSON within about `maxBytes`, for a tool result or an HTTP body. What fits is kept
 * as is. Past the cap, details bigger than a quarter of it are left out, a long excerpt is cut,
 * and the message is cut to the room left; the message says what was cut and how big it was.
 *
 * @example
 * boundedErrorJSON(new PatchbayError('FUNCTION_ERROR', 'x'.repeat(20e6)), 102_400).message
 * // 'xxxx…(about 100 KB)…x… [truncated: the message is 19532 KB]'
 */
export function boundedErrorJSON(err: PatchbayError, maxBytes: number): SerializedError {
  const json = err.toJSON();
  // Serialised only when it may fit: a 20 MB message or payload is measured, not stringified.
  if (!jsonLongerThan(json, maxBytes) && Buffer.byteLength(JSON.stringify(json), 'utf8') <= maxBytes) return json;
  const notes: string[] = [];
  if (json.details !== undefined && jsonLongerThan(json.details, maxBytes / 4)) {
    delete json.details;
    notes.push('details left out');
  }
  if (json.excerpt !== undefined) json.excerpt = cutText(json.excerpt, 1000);
  const { message, ...others } = json;
  const messageBytes = Buffer.byteLength(message, 'utf8');
  // Escapes (quotes, control characters) make JSON longer than the text: halve the room until it fits.
  for (let room = Math.max(64, maxBytes - Buffer.byteLength(jsonOf(others), 'utf8') - 128); ; room = Math.floor(room / 2)) {
    const cut = messageBytes > room;
    const said = cut ? [`the message is ${formatSize(messageBytes)}`, ...notes] : notes;
    json.message = `${cut ? `${truncateUtf8(message, room)}…` : message}${said.length > 0 ? ` [truncated: ${said.join('; ')}]` : ''}`;
    if (room <= 64 || Buffer.byteLength(JSON.stringify(json), 'utf8') <= maxBytes) break;
  }
  return json;
}

/** Any thrown value as a PatchbayError (unknown errors become FUNCTION_ERROR / INTERNAL). */
export function toPatchbayError(error: unknown, fallback: ErrorCode = 'INTERNAL'): PatchbayError {
  if (error instanceof PatchbayError) return error;
  if (error instanceof ActionError) {
    return new PatchbayError('ACTION_ERROR', error.message, { details: error.payload, cause: error });
  }
  if (error instanceof Error) return new PatchbayError(fallback, error.message || error.name, { cause: error });
  return new PatchbayError(fallback, typeof error === 'string' ? error : excerptOf(error));
}
