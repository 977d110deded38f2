/**
 * Reading and answering HTTP requests the same way on every route: JSON bodies with a size
 * limit, JSON answers, and PatchbayErrors mapped to one status per code with a body of
 * `{ error: { code, message, … } }` so clients branch on `code`, never on the text.
 *
 * @example
 * const body = await readJsonBody(req, 4 * 1024 * 1024);
 * sendJson(res, 200, { ok: true });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PatchbayError, toPatchbayError, type ErrorCode } from '../errors.ts';

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
  CONNECTION_EXISTS: 409,
  LOCKED: 409,
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
  TIMEOUT: 504,
  ABORTED: 499,
};

/** The HTTP status a PatchbayError code answers with (500 for anything unexpected). */
export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** Writes a JSON answer (no-op when the response already ended, e.g. client gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with an error body. Secrets never reach here: messages are built without them. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  const err = toPatchbayError(error);
  const extra: Record<string, string> = { ...headers };
  if (err.code === 'RATE_LIMITED' && err.retryAfter !== undefined) extra['retry-after'] = String(Math.ceil(err.retryAfter));
  sendJson(res, statusForCode(err.code), { error: err.toJSON() }, extra);
}

/** Reads the whole body as a Buffer, failing with 413-mapped INVALID_ARGUMENT past `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.resume();
        reject(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

function bodyTooLarge(maxBytes: number): PatchbayError {
  return new PatchbayError('INVALID_ARGUMENT', `The request body exceeds ${maxBytes} bytes. Send less data per request.`, {
    details: { reason: 'body_too_large', maxBytes },
  });
}

/** True for the error `readBody` raises past its limit (the server answers 413). */
export function isBodyTooLarge(error: unknown): boolean {
  return error instanceof PatchbayError && (error.details as { reason?: string } | undefined)?.reason === 'body_too_large';
}

/** Reads and parses a JSON body; INVALID_ARGUMENT (400) with the parser's reason when malformed. */
export async function readJsonBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const buffer = await readBody(req, maxBytes);
  if (buffer.length === 0) return undefined;
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch (error) {
    throw new PatchbayError('INVALID_ARGUMENT', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}
