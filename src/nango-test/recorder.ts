/**
 * `dryrun --save-responses`: records a real run into the fixture format `patchbay test` replays
 * (and Nango's vitest mock reads), so any dry run becomes a regression test.
 *
 * HTTP is captured by a recording `Transport` wrapped around the real one: each exchange is keyed on
 * the call's configuration as the function wrote it (`TransportRequest.config`), so its identity is
 * the one replay computes. Redirect hops are not kept (only the response the function saw), and a
 * retried request (after 429 or 5xx) replaces its failed attempt. The `nango` section comes from
 * what the run read (connection without credentials, metadata, checkpoint) and saved (records).
 * Secrets never reach the file: no credentials, and the transport headers (authorization…) are not
 * part of an identity.
 *
 * @example
 * const recorder = createRecorder(undici.send);
 * const runtime = await createApp({ paths, transport: recorder.transport });
 * const result = await runtime.executor.run({ ..., dryRun: true });
 * await writeFixture(dir, 'list-issues', buildFixture({ input, result, recordings: recorder.exchanges() }));
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Connection } from '../define/context.ts';
import type { Transport, TransportResponse } from '../upstream/transport.ts';
import type { ExecutionResult } from '../runtime/types.ts';
import type { RecordedExchange, UnifiedFixtureFile } from './fixture.ts';
import { normalizeEndpoint } from './fixture.ts';
import { requestIdentity } from './identity.ts';
import { unifiedFixturePath } from './load.ts';

/** One captured exchange with the method and endpoint it is stored under. */
export interface CapturedExchange {
  method: string;
  endpoint: string;
  exchange: RecordedExchange;
}

/** The recording transport to hand to the runtime, and what it captured. */
export interface Recorder {
  transport: Transport;
  /** Captured exchanges in first-call order. */
  exchanges(): CapturedExchange[];
}

function decodeBody(response: TransportResponse): unknown {
  const text = Buffer.from(response.body).toString('utf8');
  if (text.length === 0) return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Wraps `inner` so every exchange the run makes is captured. */
export function createRecorder(inner: Transport): Recorder {
  const captured: CapturedExchange[] = [];
  const transport: Transport = async (request) => {
    const response = await inner(request);
    if (response.status >= 300 && response.status < 400 && response.headers['location']) return response;
    const config = { ...request.config, method: request.config.method ?? (request.method as never) };
    const identity = requestIdentity(config);
    const exchange: RecordedExchange = {
      response: decodeBody(response),
      status: response.status,
      headers: { ...response.headers },
      hash: identity.hash,
      request: {
        ...(identity.params.length > 0 ? { params: Object.fromEntries(identity.params) } : {}),
        ...(identity.headers.length > 0 ? { headers: Object.fromEntries(identity.headers) } : {}),
        ...(config.data !== undefined && config.data !== null ? { data: config.data } : {}),
      },
    };
    const previous = [...captured].reverse().find((c) => c.exchange.hash === identity.hash);
    const wasRetried = previous && ((previous.exchange.status ?? 200) === 429 || (previous.exchange.status ?? 200) >= 500);
    if (previous && wasRetried) previous.exchange = exchange;
    else captured.push({ method: identity.method, endpoint: `/${normalizeEndpoint(identity.endpoint)}`, exchange });
    return response;
  };
  return { transport, exchanges: () => captured };
}

/** Everything a fixture is assembled from; all but `exchanges` optional. */
export interface FixtureParts {
  input?: unknown;
  /** The run's result; undefined when it failed (then `error` is set). */
  result?: ExecutionResult;
  error?: { code: string; message: string; payload?: unknown };
  connection?: Connection;
  metadata?: Record<string, unknown> | null;
  checkpoint?: Record<string, unknown> | null;
  exchanges: CapturedExchange[];
  /** When the run started (ISO); replay freezes the clock there. */
  now?: string;
}

/** Assembles the unified fixture file of one run. */
export function buildFixture(parts: FixtureParts): UnifiedFixtureFile {
  const file: UnifiedFixtureFile = {};
  if (parts.now !== undefined) file.now = parts.now;
  file.httpErrors = 'throw';
  if (parts.input !== undefined) file.input = parts.input;
  if (parts.result && parts.result.function.type === 'action') file.output = parts.result.output ?? null;
  if (parts.error) file.error = parts.error.payload === undefined ? { code: parts.error.code, message: parts.error.message } : parts.error;
  const nango: NonNullable<UnifiedFixtureFile['nango']> = {};
  if (parts.connection) {
    // Everything but the credentials: a fixture is committed, secrets must never be in it.
    const { credentials: _secret, ...rest } = parts.connection;
    nango.getConnection = rest;
  }
  if (parts.metadata !== undefined) nango.getMetadata = parts.metadata;
  if (parts.checkpoint) nango.getCheckpoint = parts.checkpoint;
  if (parts.result?.records) {
    nango.batchSave = {};
    nango.batchDelete = {};
    for (const [model, { saved, deleted }] of Object.entries(parts.result.records)) {
      nango.batchSave[model] = saved;
      nango.batchDelete[model] = deleted;
    }
  }
  file.nango = nango;
  const api: NonNullable<UnifiedFixtureFile['api']> = {};
  for (const { method, endpoint, exchange } of parts.exchanges) {
    const byEndpoint = (api[method] ??= {});
    const existing = byEndpoint[endpoint];
    if (existing === undefined) byEndpoint[endpoint] = exchange;
    else if (Array.isArray(existing)) existing.push(exchange);
    else byEndpoint[endpoint] = [existing, exchange];
  }
  file.api = api;
  return file;
}

/** Writes the fixture to `<integration>/tests/<function>.test.json`; returns the path. */
export async function writeFixture(integrationDir: string, functionName: string, fixture: UnifiedFixtureFile): Promise<string> {
  const file = unifiedFixturePath(integrationDir, functionName);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(fixture, null, 2)}\n`);
  return file;
}
