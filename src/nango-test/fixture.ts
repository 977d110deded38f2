/**
 * A recorded run of one function, in the form `patchbay test` replays: what went in (`input`, the
 * stubbed `nango` answers), what came out (`output`, records per model) and every HTTP exchange.
 * Both of Nango's on-disk layouts load into this one shape (see load-unified.ts, load-legacy.ts),
 * so the replay code never cares where a fixture came from.
 *
 * The unified file (`<integration>/tests/<function>.test.json`) is written by `nango dryrun --save`
 * and by `patchbay dryrun --save-responses`:
 *
 * @example
 * {
 *   "input": { "id": 1 },
 *   "output": { "id": 1, "title": "Hello" },
 *   "nango": { "getConnection": {...}, "getMetadata": {...}, "batchSave": { "Issue": [...] } },
 *   "api": { "get": { "/issues/1": { "response": {...}, "status": 200, "headers": {...},
 *            "hash": "<sha1>", "request": { "params": {...}, "headers": {...}, "data": ... } } } }
 * }
 */

/** One recorded response, exactly as stored under `api[method][endpoint]`. */
export interface RecordedExchange {
  response: unknown;
  status?: number;
  headers?: Record<string, string>;
  /** sha1 of the request identity (identity.ts). */
  hash?: string;
  request?: {
    params?: Record<string, unknown>;
    headers?: Record<string, unknown>;
    data?: unknown;
  };
}

/** The `nango` section: stubbed answers of context methods and the expected records. */
export interface NangoSection {
  getConnection?: unknown;
  getMetadata?: unknown;
  updateMetadata?: unknown;
  getCheckpoint?: unknown;
  trackDeletesStart?: unknown;
  trackDeletesEnd?: unknown;
  deleteRecordsFromPreviousExecutions?: unknown;
  getEnvironmentVariables?: unknown;
  batchSave?: Record<string, unknown[]>;
  batchDelete?: Record<string, unknown[]>;
  [method: string]: unknown;
}

/** The unified file as it sits on disk. */
export interface UnifiedFixtureFile {
  input?: unknown;
  output?: unknown;
  nango?: NangoSection;
  api?: Record<string, Record<string, RecordedExchange | RecordedExchange[]>>;
  /** Set by Nango when it converted a legacy fixture. */
  _migrated?: boolean;
  /** patchbay extension: the run must fail, with these fields (all optional). */
  error?: ExpectedError;
  /** patchbay extension: the clock during replay (ISO time); `dryrun --save-responses` writes when it ran. */
  now?: string;
  /**
   * patchbay extension: how a recorded status >= 400 reaches the function. `throw` (as a live run
   * does; written by `dryrun --save-responses`) or `return` as data (Nango's mock; the default for
   * fixtures without this key, which Nango recorded and validated that way).
   */
  httpErrors?: 'throw' | 'return';
}

/** An expected failure: the message must contain `message`; `code` and `payload` must match. */
export interface ExpectedError {
  message?: string;
  code?: string;
  payload?: unknown;
}

/** A recording tied to the method and endpoint it was stored under. */
export interface Recording extends RecordedExchange {
  method: string;
  /** The endpoint without its leading slash (the matching key). */
  endpoint: string;
  /** Legacy `<function>.json` bodies: served for any request to the endpoint, whatever its query. */
  anyRequest?: boolean;
}

/** A loaded fixture, whichever layout it came from. */
export interface Fixture {
  layout: 'unified' | 'legacy';
  /** The file (unified) or folder (legacy) it was read from, for messages. */
  source: string;
  hasInput: boolean;
  input: unknown;
  hasOutput: boolean;
  output: unknown;
  nango: NangoSection;
  recordings: Recording[];
  expectedError?: ExpectedError;
  /** The frozen clock of the replay (ISO time), when the fixture or its vitest file sets one. */
  now?: string;
  /** How recorded statuses >= 400 reach the function (see UnifiedFixtureFile). */
  httpErrors: 'throw' | 'return';
}

/** Drops one leading slash: recordings are keyed both ways in the wild. */
export function normalizeEndpoint(endpoint: string): string {
  return endpoint.startsWith('/') ? endpoint.slice(1) : endpoint;
}

/** Flattens `api[method][endpoint]` (a response or an array of pages) into recordings, in file order. */
export function recordingsFromApi(api: UnifiedFixtureFile['api']): Recording[] {
  const out: Recording[] = [];
  for (const [method, endpoints] of Object.entries(api ?? {})) {
    for (const [endpoint, value] of Object.entries(endpoints ?? {})) {
      for (const exchange of Array.isArray(value) ? value : [value]) {
        if (exchange && typeof exchange === 'object') out.push({ ...exchange, method: method.toLowerCase(), endpoint: normalizeEndpoint(endpoint) });
      }
    }
  }
  return out;
}

/** Turns a parsed unified file into a Fixture. */
export function fixtureFromUnified(file: UnifiedFixtureFile, source: string): Fixture {
  return {
    layout: 'unified',
    source,
    hasInput: 'input' in file,
    input: file.input,
    hasOutput: 'output' in file && file.output !== undefined,
    output: file.output,
    nango: file.nango ?? {},
    recordings: recordingsFromApi(file.api),
    ...(file.error !== undefined ? { expectedError: file.error } : {}),
    ...(typeof file.now === 'string' ? { now: file.now } : {}),
    httpErrors: file.httpErrors === 'throw' ? 'throw' : 'return',
  };
}
