/**
 * Step 5 of a tool call: the request leaves for the provider, with auth, retries and a log
 * event per hop. Its answer returns through the capability (step 4) to the function, whose
 * output the executor validates and mcp/result.ts (step 6) turns into the tool result.
 *
 * The HTTP client behind `nango.proxy/get/post/…`: builds the request from a Nango
 * `ProxyConfiguration`, injects the connection's credentials (only towards the provider's origin),
 * retries per `retry.ts`, refreshes an OAuth token once on 401, follows redirects safely, reports
 * every hop through `onCall`, and turns failures into PatchbayErrors that say what to do (a 2xx
 * body labelled JSON that does not parse among them: logged, never handed over as text).
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Credentials, ProxyConfiguration, ProxyResponse } from '../define/context.ts';
import { PatchbayError } from '../errors.ts';
import type { IntegrationConfig } from '../providers/types.ts';
import type { HttpCallLog, LogEntry } from '../observability/types.ts';
import { buildUrl, decodeBody, encodeBody, InvalidJsonBody } from './build.ts';
import { injectAuth, mayReceiveCredentials, publicDefaults, resolveBaseUrl } from './inject.ts';
import { addHeaderSecrets, redactText, redactUrl } from './redact.ts';
import { sendAttempt, type AttemptResult, type Hop } from './redirect.ts';
import { DEFAULT_RETRY_POLICY, isRateLimited, nextDelay, rateLimitDelay, type RetryPolicy } from './retry.ts';
import { createUndiciTransport, type Transport, type TransportTimeouts } from './transport.ts';
import { abortError, httpError, invalidJsonError, networkError, rateLimitedError } from './failures.ts';

/** Where the client gets credentials; the credential manager implements it (refresh, single-flight). */
export interface CredentialSource {
  get(): Promise<Credentials>;
  /** Forces a new token: 'expired' ahead of expiry, 'unauthorized' after a 401. */
  refresh(reason: 'expired' | 'unauthorized'): Promise<Credentials>;
}

/** Everything about the caller a request needs. */
export interface RequestContext {
  integration: IntegrationConfig;
  credentials: CredentialSource;
  connectionConfig: Record<string, unknown>;
  /** The execution's signal: aborting it aborts the in-flight request at once. */
  signal: AbortSignal;
  /** Receives one entry per hop sent (no secrets). */
  onCall?: (call: HttpCallLog) => void;
  /** Receives warnings (credentials withheld from a foreign host). patchbay extension. */
  onLog?: (entry: LogEntry) => void;
  /** Epoch ms when the execution times out: no wait is started that would end after it. */
  deadline?: number;
}

/** How a client sends: the transport seam, retry policy, timeouts and limits (defaults in docs/http.md). */
export interface HttpClientOptions {
  /** Defaults to undici (pooled per origin). */
  transport?: Transport;
  retry?: Partial<RetryPolicy>;
  timeouts?: TransportTimeouts;
  /** Redirect hops followed per attempt (default 5). */
  maxRedirects?: number;
  /** Largest response body buffered by the default transport (default 100 MB). */
  maxResponseBytes?: number;
}

/** The answer of `HttpClient.forward`: the provider's status, headers and body, as it sent them. */
export interface ForwardedResponse {
  status: number;
  headers: Record<string, string>;
  /** A 2xx body streamed as the provider encoded it; any other answer's body, read. */
  body: Readable | Uint8Array;
}

/** One authenticated, retried, logged request; `close()` ends the pooled sockets it owns. */
export interface HttpClient {
  request<T = any>(ctx: RequestContext, config: ProxyConfiguration): Promise<ProxyResponse<T>>;
  /**
   * The same request for the proxy: auth, retries, the 401 refresh and redirects as `request`,
   * but a 2xx body is streamed unread (never buffered here), and a final error answer is
   * returned as the provider sent it instead of thrown. Network failures and aborts still throw.
   */
  forward(ctx: RequestContext, config: ProxyConfiguration): Promise<ForwardedResponse>;
  close(): Promise<void>;
}

function lowercaseHeaders(headers: ProxyConfiguration['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  return out;
}

function safeCall<T>(fn: ((arg: T) => void) | undefined, arg: T): void {
  try {
    fn?.(arg);
  } catch {
    // A broken log sink must not fail the request.
  }
}

/**
 * Creates a client. One per process is enough; it pools connections per origin.
 *
 * @example
 * const http = createHttpClient();
 * const res = await http.request({ integration, credentials, connectionConfig: {}, signal }, { endpoint: '/user' });
 * await http.close();
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const owned = options.transport
    ? undefined
    : createUndiciTransport(options.timeouts, options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {});
  const transport: Transport = options.transport ?? owned!.send;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const maxRedirects = options.maxRedirects ?? 5;

  async function request<T>(ctx: RequestContext, config: ProxyConfiguration): Promise<ProxyResponse<T>> {
    return (await send(ctx, config, false)) as ProxyResponse<T>;
  }

  /** The loop behind `request` (`forward` false) and `forward` (true). */
  async function send(ctx: RequestContext, config: ProxyConfiguration, forward: boolean): Promise<ProxyResponse | ForwardedResponse> {
    const { integration, connectionConfig, signal } = ctx;
    if (signal.aborted) throw abortError(signal, integration);
    const method = (config.method ?? 'GET').toUpperCase();
    const providerBase = resolveBaseUrl(integration, connectionConfig);
    const base = config.baseUrlOverride ? resolveBaseUrl(integration, connectionConfig, config.baseUrlOverride) : providerBase;
    const url = buildUrl(base, config.endpoint, config.params);
    const defaults = publicDefaults(integration, connectionConfig);
    for (const [k, v] of Object.entries(defaults.query)) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...defaults.headers, ...lowercaseHeaders(config.headers) };
    if (config.decompress === false) delete headers['accept-encoding'];
    const body = method === 'GET' || method === 'HEAD' ? undefined : await encodeBody(config.data, headers);
    // A streamed body goes out once: no retry and no resend after a token refresh.
    const once = body instanceof Readable;
    const trusted = (target: URL) => mayReceiveCredentials(target, providerBase, integration.provider.proxy.allowed_hosts);
    const retryHeader = { ...integration.provider.proxy.retry, ...config.retryHeader };
    const retryConfig = { method, retries: config.retries, retryOn: config.retryOn, retryHeader, policy };

    // The secrets to redact: the credentials, and every secret header sent (a provider may echo them).
    const authFor = (credentials: Credentials) => {
      const injected = injectAuth(integration, credentials, connectionConfig);
      addHeaderSecrets(injected.secrets, injected.headers);
      addHeaderSecrets(injected.secrets, headers);
      return injected;
    };
    let credentials = await ctx.credentials.get();
    let auth = authFor(credentials);
    if (credentials.type !== 'NONE' && !trusted(url)) {
      safeCall(ctx.onLog, {
        time: new Date().toISOString(),
        level: 'warn',
        message: `Credentials of ${integration.id} were not sent to ${url.origin}: only ${new URL(providerBase).origin} and proxy.allowed_hosts receive them.`,
      });
    }

    let refreshed = false;
    // `attempt` numbers what was sent (logs); `spent` what counts against the retry budget.
    for (let attempt = 1, spent = 1; ; attempt++, spent++) {
      const report = (hop: Hop): void => {
        const call: HttpCallLog = {
          method: hop.method,
          url: redactUrl(hop.url, auth.secrets),
          status: hop.status,
          durationMs: Math.round(hop.durationMs * 10) / 10,
          attempt,
        };
        if (hop.error !== undefined) call.error = redactText(hop.error instanceof Error ? hop.error.message : String(hop.error), auth.secrets);
        safeCall(ctx.onCall, call);
      };
      let result: AttemptResult;
      try {
        result = await sendAttempt({ method, url, headers, body, auth, trusted, transport, signal, config, maxRedirects, onHop: report, ...(forward ? { stream: true } : {}) });
      } catch (error) {
        if (signal.aborted) throw abortError(signal, integration, error);
        if (error instanceof PatchbayError) throw error;
        const delay = once ? undefined : nextDelay(spent, { error }, retryConfig);
        if (delay === undefined || exceedsDeadline(ctx, delay)) throw networkError(error, method, url, attempt, auth.secrets);
        await wait(delay, signal, integration);
        continue;
      }

      const { response } = result;
      if (forward && response.status < 400) {
        report(result.hop);
        return { status: response.status, headers: response.headers, body: response.stream ?? response.body };
      }
      if (response.status < 400) {
        let data: unknown;
        try {
          data = decodeBody(response.body, response.headers, config.responseType);
        } catch (error) {
          if (!(error instanceof InvalidJsonBody)) throw error;
          const failure = invalidJsonError(integration, response, method, result.url, error, auth.secrets);
          report({ ...result.hop, error: `invalid JSON body (content-type ${error.contentType})` });
          safeCall(ctx.onLog, { time: new Date().toISOString(), level: 'error', message: failure.message });
          throw failure;
        }
        report(result.hop);
        return { data, status: response.status, headers: response.headers };
      }
      report(result.hop);

      const isOAuth = credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC';
      if (response.status === 401 && isOAuth && result.authenticated && !refreshed && !once) {
        refreshed = true;
        credentials = await ctx.credentials.refresh('unauthorized');
        auth = authFor(credentials);
        spent -= 1; // the retry after a refresh is not one of the call's retries
        continue;
      }

      const delay = once ? undefined : nextDelay(spent, { status: response.status, headers: response.headers }, retryConfig);
      // Backoff never exceeds maxWaitMs, so a longer delay is one the server imposed (Retry-After…).
      if (delay !== undefined && delay <= policy.maxWaitMs && !exceedsDeadline(ctx, delay)) {
        await wait(delay, signal, integration);
        continue;
      }
      // The proxy hands the provider's final answer back as it is.
      if (forward) return { status: response.status, headers: response.headers, body: response.body };
      if (isRateLimited(response.status, response.headers, retryHeader)) {
        const imposed = rateLimitDelay(response.headers, retryHeader, Date.now()) ?? delay;
        throw rateLimitedError(integration, response, imposed, method, result.url, auth.secrets);
      }
      throw httpError(integration, response, method, result.url, attempt, auth.secrets);
    }
  }

  return {
    request,
    forward: (ctx, config) => send(ctx, config, true) as Promise<ForwardedResponse>,
    async close() {
      await owned?.close();
    },
  };
}

function exceedsDeadline(ctx: RequestContext, delayMs: number): boolean {
  return ctx.deadline !== undefined && Date.now() + delayMs >= ctx.deadline;
}

async function wait(ms: number, signal: AbortSignal, integration: IntegrationConfig): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    throw abortError(signal, integration, error);
  }
}
