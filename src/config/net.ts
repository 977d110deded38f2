/**
 * The one loopback rule, shared by the server (`--no-auth` only on loopback, DNS-rebinding
 * checks) and the outbound client (plain http may carry credentials only to this machine).
 *
 * @example
 * isLoopbackHost('[::1]') // true
 * isLoopbackHost('127.0.0.2') // true
 * isLoopbackHost('example.com') // false
 */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** True when a host name or address only reaches this machine (brackets and case ignored). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::ffff:127.0.0.1';
}
