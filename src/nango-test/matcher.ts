/**
 * Answers a request from a fixture's recordings, with Nango's matching rules, so fixtures recorded
 * by Nango's CLI replay unchanged:
 *
 * 1. only recordings stored under the same method and endpoint (with or without leading slash);
 * 2. a recording whose `hash` equals the request's identity hash matches;
 * 3. otherwise one with a `request` matches when its params are the same set (values compared as
 *    strings), its headers the same after normalisation, and its body (when it recorded one) has
 *    the same identity;
 * 4. a recording with neither hash nor request matches only when it is the endpoint's sole
 *    recording and the request has no query.
 *
 * Where Nango returns the first match every time, the matcher prefers a match not served yet, so a
 * function that polls the same URL until a job completes replays each recorded answer in order.
 * And where nothing matches, a second pass ignores clock-derived values (dates, epoch times) in
 * params and body: a function that asks for "the last 30 days" asks for other dates at replay time.
 *
 * @example
 * const book = new RecordingBook(fixture.recordings);
 * const exchange = book.answer(requestIdentity(config)); // throws PatchbayError NOT_FOUND when unrecorded
 */
import { PatchbayError } from '../errors.ts';
import type { Recording } from './fixture.ts';
import { bodyIdentity, bodyText, describeRequest, identityHeaders, maskTime, type IdentifiedRequest } from './identity.ts';

function sameParams(recorded: Record<string, unknown> | undefined, actual: Array<[string, string]>): boolean {
  const entries = Object.entries(recorded ?? {});
  if (entries.length !== actual.length) return false;
  return entries.every(([key, value]) => {
    const found = actual.find(([k]) => k === key);
    return found !== undefined && found[1] === (Array.isArray(value) ? value.map(String).join(',') : String(value));
  });
}

function headerMap(entries: Array<[string, string]>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [k, v] of entries) if (!map.has(k.toLowerCase())) map.set(k.toLowerCase(), v);
  return map;
}

function sameHeaders(recorded: Record<string, unknown> | undefined, actual: Array<[string, string]>): boolean {
  const a = headerMap(identityHeaders(recorded));
  const b = headerMap(actual);
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Whether a recording answers the request (rules 2-4 above; rule 1 is applied by the caller). */
export function recordingMatches(recording: Recording, request: IdentifiedRequest, endpointCount: number): boolean {
  if (recording.anyRequest) return true;
  if (recording.hash && recording.hash === request.hash) return true;
  if (recording.request) {
    if (!sameParams(recording.request.params, request.params)) return false;
    if (!sameHeaders(recording.request.headers, request.headers)) return false;
    if (recording.request.data !== undefined && bodyIdentity(recording.request.data) !== request.data) return false;
    return true;
  }
  return endpointCount === 1 && request.params.length === 0;
}

/**
 * The second pass: the recording's params and body equal the request's once clock-derived values
 * are masked on both sides (identity.ts `maskTime`). Headers must still match exactly.
 */
export function recordingMatchesIgnoringTime(recording: Recording, request: IdentifiedRequest): boolean {
  if (!recording.request || recording.anyRequest) return false;
  const params = Object.entries(recording.request.params ?? {});
  if (params.length !== request.params.length) return false;
  for (const [key, value] of params) {
    const found = request.params.find(([k]) => k === key);
    const recorded = Array.isArray(value) ? value.map(String).join(',') : String(value);
    if (!found || maskTime(found[1]) !== maskTime(recorded)) return false;
  }
  if (!sameHeaders(recording.request.headers, request.headers)) return false;
  if (recording.request.data === undefined) return true;
  const recorded = bodyText(recording.request.data);
  if (recorded === undefined || request.body === undefined) return recorded === request.body;
  return maskTime(recorded) === maskTime(request.body);
}

/** The recordings of one fixture, with which ones were served. */
export class RecordingBook {
  readonly recordings: readonly Recording[];
  private readonly served = new Set<Recording>();

  constructor(recordings: readonly Recording[]) {
    this.recordings = recordings;
  }

  /** The recordings stored under the request's method and endpoint. */
  candidates(request: IdentifiedRequest): Recording[] {
    return this.recordings.filter((r) => r.method === request.method && r.endpoint === request.endpoint);
  }

  /** The recording that answers the request; throws a PatchbayError naming it when none does. */
  answer(request: IdentifiedRequest): Recording {
    const candidates = this.candidates(request);
    let matches = candidates.filter((r) => recordingMatches(r, request, candidates.length));
    if (matches.length === 0) matches = candidates.filter((r) => recordingMatchesIgnoringTime(r, request));
    const chosen = matches.find((r) => !this.served.has(r)) ?? matches[matches.length - 1];
    if (chosen) {
      this.served.add(chosen);
      return chosen;
    }
    throw unrecorded(request, candidates);
  }

  /** How many recordings were never served (informational: Nango does not fail on these). */
  unused(): Recording[] {
    return this.recordings.filter((r) => !this.served.has(r));
  }
}

function unrecorded(request: IdentifiedRequest, candidates: Recording[]): PatchbayError {
  const lines = [`No recorded response for ${describeRequest(request)}${request.headers.length ? ` (headers ${request.headers.map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}.`];
  if (candidates.length > 0) {
    lines.push(`Recorded for ${request.method.toUpperCase()} ${request.endpoint}:`);
    for (const c of candidates.slice(0, 5)) {
      const params = Object.entries(c.request?.params ?? {}).map(([k, v]) => `${k}=${String(v)}`).join('&');
      lines.push(`  ?${params}${c.request?.data !== undefined ? ' (with a body)' : ''}`);
    }
  }
  lines.push('Record it again: patchbay dryrun <integration> <function> <connection> --save-responses');
  return new PatchbayError('NOT_FOUND', lines.join('\n'), {
    details: { method: request.method.toUpperCase(), endpoint: request.endpoint, params: Object.fromEntries(request.params) },
  });
}
