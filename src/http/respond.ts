/**
 * How every route answers a failure: a PatchbayError maps to one HTTP status per code, with a
 * body of `{ error: { code, message, … } }` so clients branch on `code`, never on the text.
 * `/mcp` answers its transport-level failures as JSON-RPC errors instead. The app's one error
 * handler (http/app.ts) calls `errorResponse`; routes only throw.
 *
 * @example
 * throw new PatchbayError('CONNECTION_NOT_FOUND', 'No connection "bob".'); // → 404 { error: { code, message } }
 */
import { PatchbayError, boundedErrorJSON, toPatchbayError, type ErrorCode } from '../errors.ts';
import { DEFAULT_MAX_RESULT_BYTES } from '../observability/truncate.ts';

/** Default cap on request bodies (4 MB), for `/mcp` and the REST API alike. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_INPUT: 400,
  INVALID_RECORD: 400,
  INVALID_CONFIG: 400,
  NOT_FOUND: 404,
  FUNCTION_NOT_FOUND: 404,
  INTEGRATION_NOT_FOUND: 404,
  CONNECTION_NOT_FOUND: 404,
  PROVIDER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONNECTION_EXISTS: 409,
  LOCKED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  // Nango answers 404 while an asynchronous action runs; clients poll on it.
  ACTION_PENDING: 404,
  MASS_DELETE_REFUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  FORBIDDEN_HOST: 403,
  NEEDS_REAUTH: 424,
  INVALID_CREDENTIALS: 424,
  AUTH_REFRESH_FAILED: 424,
  RATE_LIMITED: 429,
  ACTION_ERROR: 400,
  UPSTREAM_HTTP_ERROR: 502,
  UPSTREAM_NETWORK_ERROR: 502,
  NOT_IMPLEMENTED: 501,
  TIMEOUT: 504,
  ABORTED: 499,
};

/** The HTTP status a PatchbayError code answers with (500 for anything unexpected). */
export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** A JSON answer. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

/**
 * An error answer. Secrets never reach here: messages are built without them (upstream excerpts
 * are redacted before they are cut). The body obeys `maxBytes` like a tool result: past it the
 * details are left out and the message cut, with a note saying so (`boundedErrorJSON`).
 */
export function errorResponse(error: unknown, headers: Record<string, string> = {}, maxBytes = DEFAULT_MAX_RESULT_BYTES): Response {
  const err = toPatchbayError(error);
  const extra: Record<string, string> = { ...headers };
  if (err.code === 'RATE_LIMITED' && err.retryAfter !== undefined) extra['retry-after'] = String(Math.ceil(err.retryAfter));
  if (err.code === 'UNAUTHORIZED') extra['www-authenticate'] ??= 'Bearer';
  const allow = (err.details as { allow?: unknown } | undefined)?.allow;
  if (err.code === 'METHOD_NOT_ALLOWED' && Array.isArray(allow)) extra['allow'] = allow.join(', ');
  return jsonResponse(statusForCode(err.code), { error: boundedErrorJSON(err, maxBytes) }, extra);
}

/** A JSON-RPC error answer, for `/mcp` requests the MCP transport must not see. */
export function jsonRpcErrorResponse(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** The error for a body past the limit (413). */
export function bodyTooLarge(maxBytes: number): PatchbayError {
  return new PatchbayError('PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBytes} bytes. Send less data per request.`, {
    details: { reason: 'body_too_large', maxBytes },
  });
}

/** The error for a method a path does not accept (405, with an Allow header). */
export function methodNotAllowed(path: string, allow: string[]): PatchbayError {
  return new PatchbayError('METHOD_NOT_ALLOWED', `Use ${allow.join(' or ')} for ${path}.`, { details: { allow } });
}
