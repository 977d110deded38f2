/**
 * The fake API's mutable state: what it accepts as credentials, the data it serves, the counters
 * tests assert on and the switches that make it misbehave. One object per server; `reset()`
 * puts it back to how `startFakeApi(options)` created it.
 */

/** A credential the fake API accepts. */
export type AuthKind = 'api_key' | 'bearer' | 'oauth' | 'basic';

/** One request as the server saw it (headers lowercase, body parsed as JSON when it is JSON). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** Which credential authenticated the request, when the route needs one. */
  auth?: AuthKind | null;
}

/** One call to `POST /oauth/token`. */
export interface TokenRequest {
  grant_type: string;
  /** How the client authenticated: HTTP basic header or client_id/client_secret in the body. */
  client_auth: 'basic' | 'body' | 'none';
  params: Record<string, string>;
}

export interface Issue {
  id: string;
  title: string;
  state: 'open' | 'closed';
  body?: string;
  updated_at: string;
}

export interface FakeApiOptions {
  /** Accepted in `x-api-key` or `?api_key=` (default 'test-api-key'). */
  apiKey?: string;
  /** A static bearer token that is always valid (default 'test-bearer-token'). */
  bearerToken?: string;
  /** Accepted basic credentials (default user 'test-user', password 'test-pass'). */
  basic?: { username: string; password: string };
  /** OAuth client (default 'test-client-id' / 'test-client-secret'). */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued access tokens in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh and revoke the old one (default true). */
  rotateRefreshTokens?: boolean;
  /** Number of seeded issues (default 5) and of paginated items (default 23). */
  issues?: number;
  pagedItems?: number;
}

/** Switches a test flips to make the OAuth endpoints misbehave. */
export interface OAuthFaults {
  /** 'error': 400 invalid_grant; 'garbage': 200 with a non-JSON body; 'server': 500; 'echo': see `echo`. */
  tokenFailure: 'error' | 'garbage' | 'server' | 'echo' | null;
  /**
   * What 'echo' answers, as a careless provider does: `status` with `pad` dots then
   * `<field>=<value>` of one request field (a body param such as client_secret, refresh_token or
   * code, or `authorization`), as JSON { error, error_description } or as text/plain.
   */
  echo: { field: string; pad: number; status: number; type: 'json' | 'text' };
  /** Milliseconds the token endpoint waits before answering (to make refreshes overlap). */
  tokenDelayMs: number;
  /** `GET /oauth/authorize` redirects with error=access_denied. */
  deny: boolean;
}

export interface FakeApiState {
  readonly options: Required<Omit<FakeApiOptions, 'basic'>> & { basic: { username: string; password: string } };
  /** Access token → epoch ms of expiry. */
  accessTokens: Map<string, number>;
  /** Refresh tokens currently valid. */
  refreshTokens: Set<string>;
  /** Issued authorization codes → what the authorize call bound them to. */
  codes: Map<string, { redirectUri: string; challenge?: string; method?: string; scope?: string }>;
  tokenRequests: TokenRequest[];
  /** Counts per grant type, e.g. `tokenCounts.refresh_token`. */
  tokenCounts: Record<string, number>;
  oauth: OAuthFaults;
  issues: Map<string, Issue>;
  nextIssueId: number;
  pagedItems: Array<{ id: string; n: number }>;
  /** When set, every /paged/* request answers 200 with this body and content type (a broken provider answer). */
  pagedBody: { contentType: string; body: string } | null;
  /**
   * When set, every /paged/* answer waits for it: a test holds a sync mid-run for as long as it
   * needs (no timing involved), then resolves it.
   */
  pagedGate: Promise<void> | null;
  /** Per-key counters for failure injection (`/flaky?key=`, `/ratelimit/*?key=`). */
  hits: Map<string, number>;
  /** Requests whose client went away before the response was sent (aborted mid-request). */
  closedEarly: number;
  /** Issues a fresh access token (and refresh token) as the token endpoint would. */
  issueTokens(this: FakeApiState): { access_token: string; refresh_token: string; expires_in: number };
  /** Makes every access token issued so far invalid (the next call gets 401). */
  revokeAccessTokens(this: FakeApiState): void;
}

let tokenSerial = 0;

/** Builds a fresh state from options. */
export function createState(input: FakeApiOptions = {}): FakeApiState {
  const options = {
    apiKey: input.apiKey ?? 'test-api-key',
    bearerToken: input.bearerToken ?? 'test-bearer-token',
    basic: input.basic ?? { username: 'test-user', password: 'test-pass' },
    clientId: input.clientId ?? 'test-client-id',
    clientSecret: input.clientSecret ?? 'test-client-secret',
    accessTokenTtl: input.accessTokenTtl ?? 3600,
    rotateRefreshTokens: input.rotateRefreshTokens ?? true,
    issues: input.issues ?? 5,
    pagedItems: input.pagedItems ?? 23,
  };
  const issues = new Map<string, Issue>();
  for (let i = 1; i <= options.issues; i++) {
    issues.set(String(i), { id: String(i), title: `Issue ${i}`, state: 'open', updated_at: new Date(Date.UTC(2026, 0, i)).toISOString() });
  }
  const state: FakeApiState = {
    options,
    accessTokens: new Map(),
    refreshTokens: new Set(),
    codes: new Map(),
    tokenRequests: [],
    tokenCounts: {},
    oauth: { tokenFailure: null, tokenDelayMs: 0, deny: false, echo: { field: 'client_secret', pad: 0, status: 400, type: 'json' } },
    issues,
    nextIssueId: options.issues + 1,
    pagedItems: Array.from({ length: options.pagedItems }, (_, i) => ({ id: `item-${i + 1}`, n: i + 1 })),
    pagedBody: null,
    pagedGate: null,
    hits: new Map(),
    closedEarly: 0,
    issueTokens(this: FakeApiState) {
      tokenSerial += 1;
      const access_token = `at-${tokenSerial}-${Math.random().toString(36).slice(2, 10)}`;
      const refresh_token = `rt-${tokenSerial}-${Math.random().toString(36).slice(2, 10)}`;
      this.accessTokens.set(access_token, Date.now() + this.options.accessTokenTtl * 1000);
      return { access_token, refresh_token, expires_in: this.options.accessTokenTtl };
    },
    revokeAccessTokens(this: FakeApiState) {
      this.accessTokens.clear();
    },
  };
  return state;
}

/** Increments and returns the hit counter of `key`. */
export function hit(state: FakeApiState, key: string): number {
  const n = (state.hits.get(key) ?? 0) + 1;
  state.hits.set(key, n);
  return n;
}
