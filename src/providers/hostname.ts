/**
 * Host names and URLs as a connection's config may give them (`workday` hostname, Salesforce
 * instance_url, Zendesk subdomain). Pure string checks, no DNS: each says in a few words what is
 * wrong, or undefined. Two kinds, because a full-access caller may override only one:
 *
 * - syntax (`hostProblem`, `uriProblem`, `pathProblem`): a value that is not a plain DNS name or
 *   URL, or that bends the URL it is put in: a path, query or fragment, user info (`a@b`), an
 *   empty label (`..`, a trailing dot), unicode (homographs; write the `xn--` form), a port the
 *   field does not take, an IP address, localhost, a path that climbs (`..`, `%2e%2e`). Refused
 *   for everyone.
 * - policy (`privateHostProblem`, `hostUnder`): names that only mean something inside a network
 *   (`.internal`, `.local`, a single label) and hosts outside the provider's domains. Refused
 *   unless the caller has full access.
 *
 * @example
 * hostProblem('wd2-impl-services1.workday.com') // undefined
 * hostProblem('evil.com/x')                     // 'has a path, query or fragment (/ ? # \\)'
 * hostUnder('acme.myworkday.com', ['workday.com', 'myworkday.com']) // true
 */

/** RFC 1035: a host name is at most 253 characters, a label at most 63. */
export const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** Top-level names that only resolve inside a network (RFC 6762, 6761, 8375 and common practice). */
const PRIVATE_TLDS = new Set(['local', 'internal', 'intranet', 'lan', 'home', 'corp', 'private', 'localdomain', 'arpa']);

/** A label: letters, digits, hyphens (underscores are tolerated, as some SaaS subdomains have them), no hyphen at either end. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Whitespace, control characters or anything outside printable ASCII. */
function characterProblem(value: string): string | undefined {
  if (/[^\x20-\x7e]/.test(value)) {
    return /[\x00-\x1f\x7f]/.test(value) ? 'has control characters' : 'has non-ASCII characters (write an internationalised name in its xn-- form)';
  }
  if (/\s/.test(value)) return 'has spaces';
  return undefined;
}

/**
 * What is wrong with `value` as a bare host name (optionally `:port`), or undefined. Case is
 * ignored. `allowPort` accepts `host:1-65535`.
 */
export function hostProblem(value: string, options: { allowPort?: boolean } = {}): string | undefined {
  if (value.length > MAX_HOST_LENGTH + 6) return `is longer than ${MAX_HOST_LENGTH} characters`;
  const chars = characterProblem(value);
  if (chars) return chars;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'is a URL, not a bare host name';
  if (value.includes('@')) return 'has user info (@)';
  if (/[/?#\\]/.test(value)) return 'has a path, query or fragment (/ ? # \\)';
  if (value.includes('%')) return 'is percent-encoded';
  if (value.startsWith('[') || (value.match(/:/g)?.length ?? 0) > 1) return 'is an IP address';
  let name = value.toLowerCase();
  const colon = name.indexOf(':');
  if (colon !== -1) {
    if (!options.allowPort) return 'has a port (:N), which this field does not take';
    const port = name.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return 'has a port that is not 1-65535';
    name = name.slice(0, colon);
  }
  if (name === '') return 'is empty';
  if (name.length > MAX_HOST_LENGTH) return `is longer than ${MAX_HOST_LENGTH} characters`;
  if (name.endsWith('.')) return 'ends with a dot';
  const labels = name.split('.');
  if (labels.some((label) => label === '')) return 'has an empty label (a leading dot or ..)';
  if (labels.some((label) => label.length > MAX_LABEL_LENGTH)) return `has a label longer than ${MAX_LABEL_LENGTH} characters`;
  if (labels.some((label) => !LABEL.test(label))) return 'has characters other than letters, digits, hyphens and dots (or a label that starts or ends with a hyphen)';
  // WHATWG URL parsing reads a name whose last label is a number (127.1, 2130706433, 0x7f.1) as IPv4.
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1]!)) return 'is an IP address';
  if (name === 'localhost' || name.endsWith('.localhost')) return 'is localhost';
  return undefined;
}

/**
 * What makes a syntactically valid host name private, or undefined: a single label (resolved
 * through the machine's search domains) or a top-level name that only exists inside a network.
 */
export function privateHostProblem(host: string): string | undefined {
  const name = host.toLowerCase().replace(/:\d+$/, '');
  const labels = name.split('.');
  if (labels.length < 2) return 'is a single label, not a public host name';
  if (PRIVATE_TLDS.has(labels[labels.length - 1]!)) return 'is a private network name';
  return undefined;
}

/**
 * True when `host` is one of `suffixes` or a subdomain of one (`acme.myworkday.com` is under
 * `myworkday.com`; `evilworkday.com` is not under `workday.com`). A port is ignored.
 */
export function hostUnder(host: string, suffixes: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return suffixes.some((suffix) => {
    const s = suffix.toLowerCase();
    return name === s || name.endsWith(`.${s}`);
  });
}

/** A `.` or `..` segment, also percent-encoded (WHATWG URL parsing resolves `%2e%2e` like `..`). */
function climbs(path: string): boolean {
  return path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

/** The characters a value may hold in a URL path (RFC 3986 pchar and `/`). */
const PATH_CHARS = /^[A-Za-z0-9._~:@!$&'()*+,;=%/-]*$/;

/** What is wrong with `value` as (part of) a URL path, or undefined: no `? # \`, spaces, or `..`. */
export function pathProblem(value: string): string | undefined {
  const chars = characterProblem(value);
  if (chars) return chars;
  if (!PATH_CHARS.test(value)) return 'has characters not allowed in a URL path (? # \\ and the like)';
  if (climbs(value)) return 'climbs the path (. or ..)';
  return undefined;
}

/** The parts of an absolute URL as written (before any normalisation hides a trick). */
interface UriParts {
  scheme: string;
  authority: string;
  rest: string;
}

function splitUri(value: string): UriParts | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\\]*)(.*)$/i.exec(value);
  return match ? { scheme: match[1]!.toLowerCase(), authority: match[2]!, rest: match[3]! } : undefined;
}

/**
 * What is wrong with `value` as an absolute http(s) URL whose host is a public name, or
 * undefined: user info, a query or fragment, backslashes, a climbing path, and every host
 * problem of `hostProblem`. Plain http is policy (`uriPolicyProblem`), not syntax.
 */
export function uriProblem(value: string, options: { allowPort?: boolean } = {}): string | undefined {
  const chars = characterProblem(value);
  if (chars) return chars;
  const parts = splitUri(value);
  if (!parts || (parts.scheme !== 'https' && parts.scheme !== 'http')) return 'is not an absolute https URL';
  if (parts.authority.includes('@')) return 'has user info (@)';
  if (parts.rest.includes('\\')) return 'has a backslash';
  if (/[?#]/.test(parts.rest)) return 'has a query or fragment (? #)';
  const host = hostProblem(parts.authority, options);
  if (host) return `has a host that ${host}`;
  const path = pathProblem(parts.rest);
  if (path) return `has a path that ${path}`;
  return undefined;
}

/** The host (and port) of a URL that passed `uriProblem`. */
export function uriHost(value: string): string {
  return splitUri(value)?.authority.toLowerCase() ?? '';
}

/** Policy for a URL that passed `uriProblem`: https only, a public host. */
export function uriPolicyProblem(value: string): string | undefined {
  const parts = splitUri(value);
  if (!parts) return undefined;
  if (parts.scheme !== 'https') return 'uses plain http (https is required)';
  const host = privateHostProblem(parts.authority);
  return host ? `has a host that ${host}` : undefined;
}
