/**
 * The Streamable HTTP transport's safety checks (MCP spec 2025-11-25, "Security Warning"), as
 * pure functions of headers and configuration so each rule has a unit test:
 *
 * - Origin: a browser page on another site must not drive a local server → 403.
 * - Host: DNS rebinding points an attacker's name at 127.0.0.1; a loopback server only answers
 *   to loopback names (plus configured ones) → 403.
 * - MCP-Protocol-Version: an unsupported version is a 400, not a guess.
 * - Content-Length: bodies past the limit are refused before they are read → 413.
 *
 * @example
 * const verdict = checkRequest(c.req.header(), policy);
 * if (!verdict.ok) throw new PatchbayError(verdict.code, verdict.message);
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { isLoopbackHost } from '../config/net.ts';
import { PatchbayError } from '../errors.ts';

/** Request headers by lower-case name, as node (`IncomingHttpHeaders`) or Hono (`c.req.header()`) give them. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** One header's first value, trimmed; undefined when absent or blank. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && text.trim() !== '' ? text.trim() : undefined;
}

/** What the server was told to trust. */
export interface SecurityPolicy {
  /** Extra origins allowed besides loopback ones (`https://app.example.com`), or `*` for any. */
  allowedOrigins: string[];
  /** Extra Host names allowed besides loopback ones (`mcp.example.com`). */
  allowedHosts: string[];
  /**
   * Whether to check Host at all. On by default for loopback binds (where rebinding matters);
   * on for any bind once `allowedHosts` is configured.
   */
  checkHost: boolean;
  maxBodyBytes: number;
  supportedProtocolVersions?: readonly string[];
}

export type Verdict = { ok: true } | { ok: false; status: number; code: 'FORBIDDEN' | 'INVALID_ARGUMENT' | 'PAYLOAD_TOO_LARGE'; message: string };

const OK: Verdict = { ok: true };

/** Refuses `--no-auth` where other machines could reach the server (the one loopback rule for it). */
export function assertAuthOrLoopback(auth: boolean, host: string): void {
  if (!auth && !isLoopbackHost(host)) {
    throw new PatchbayError('INVALID_ARGUMENT', `--no-auth is only allowed on a loopback host; ${host} is reachable from other machines. Remove --no-auth and use an API key.`);
  }
}

/** The host name of a Host header (`[::1]:3003` → `::1`, `Example.com:80` → `example.com`). */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // A bare IPv6 address has several colons and no port.
  if (colon !== -1 && value.indexOf(':', colon + 1) === -1) return value.slice(0, colon);
  return value;
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** Origin rule: none (non-browser clients), loopback origins, or a configured one. */
export function checkOrigin(origin: string | undefined, allowedOrigins: string[]): Verdict {
  if (origin === undefined || origin === '') return OK;
  const normalised = normaliseOrigin(origin);
  if (allowedOrigins.includes('*')) return OK;
  if (allowedOrigins.some((allowed) => normaliseOrigin(allowed) === normalised)) return OK;
  let url: URL | undefined;
  try {
    url = new URL(normalised);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname)) return OK;
  return {
    ok: false,
    status: 403,
    code: 'FORBIDDEN',
    message: `Origin ${origin} is not allowed. Start the server with --allowed-origins ${origin} to allow it.`,
  };
}

/** Host rule (DNS rebinding): loopback names, configured names, or anything when not checked. */
export function checkHost(hostHeader: string | undefined, policy: Pick<SecurityPolicy, 'allowedHosts' | 'checkHost'>): Verdict {
  if (!policy.checkHost) return OK;
  if (!hostHeader) return { ok: false, status: 400, code: 'INVALID_ARGUMENT', message: 'The request has no Host header.' };
  const name = hostnameOf(hostHeader);
  if (isLoopbackHost(name)) return OK;
  const allowed = policy.allowedHosts.map((host) => hostnameOf(host));
  if (allowed.includes('*') || allowed.includes(name)) return OK;
  return {
    ok: false,
    status: 403,
    code: 'FORBIDDEN',
    message: `Host ${name} is not allowed (DNS rebinding protection). Start the server with --allowed-hosts ${name} to allow it.`,
  };
}

/** MCP-Protocol-Version rule: absent is fine (the spec's default), unknown is a 400. */
export function checkProtocolVersion(header: string | undefined, supported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS): Verdict {
  if (header === undefined || header === '') return OK;
  if (supported.includes(header.trim())) return OK;
  return {
    ok: false,
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: `Unsupported MCP-Protocol-Version ${header}. Supported: ${supported.join(', ')}.`,
  };
}

/** Size rule on the declared length; the body reader enforces the same cap while streaming. */
export function checkContentLength(header: string | undefined, maxBodyBytes: number): Verdict {
  if (header === undefined) return OK;
  const length = Number(header);
  if (!Number.isFinite(length) || length < 0) return { ok: false, status: 400, code: 'INVALID_ARGUMENT', message: 'Invalid Content-Length header.' };
  if (length > maxBodyBytes) {
    return { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: `The request body (${length} bytes) exceeds the ${maxBodyBytes}-byte limit.` };
  }
  return OK;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Every rule in order (Host, Origin, size, protocol version); the first failure wins. */
export function checkRequest(headers: HeaderBag, policy: SecurityPolicy): Verdict {
  for (const verdict of [
    checkHost(single(headers.host), policy),
    checkOrigin(single(headers.origin), policy.allowedOrigins),
    checkContentLength(single(headers['content-length']), policy.maxBodyBytes),
    checkProtocolVersion(single(headers['mcp-protocol-version']), policy.supportedProtocolVersions),
  ]) {
    if (!verdict.ok) return verdict;
  }
  return OK;
}

/** The default policy for a bind address: Host checked on loopback binds or when names are configured. */
export function policyFor(bindHost: string, options: { allowedOrigins?: string[] | undefined; allowedHosts?: string[] | undefined; maxBodyBytes: number }): SecurityPolicy {
  const allowedHosts = options.allowedHosts ?? [];
  return {
    allowedOrigins: options.allowedOrigins ?? [],
    allowedHosts,
    checkHost: isLoopbackHost(bindHost) || allowedHosts.length > 0,
    maxBodyBytes: options.maxBodyBytes,
  };
}
