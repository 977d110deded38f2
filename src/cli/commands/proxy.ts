/**
 * `patchbay proxy <method> <endpoint> --connection <id>`: one call to a provider's API with the
 * connection's credentials, from the terminal, as `/proxy` does for a backend. The provider's body
 * goes to stdout as it arrives (pipe it to `jq`); its status goes to stderr. An error status from
 * the provider exits 1 after the body is printed.
 *
 * @example
 * patchbay proxy GET /user/repos --connection alice --integration github --query per_page=5
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { openProxy } from '../../app.ts';
import type { ProxyConfiguration } from '../../define/context.ts';
import { PatchbayError } from '../../errors.ts';
import { pathsFrom } from '../options.ts';

interface ProxyOptions {
  connection: string;
  integration?: string;
  data?: string;
  header?: string[];
  query?: string[];
  retries?: string;
  baseUrlOverride?: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The call the flags describe; a bad flag names itself and what it accepts. */
export function proxyConfigFrom(method: string, endpoint: string, options: Omit<ProxyOptions, 'connection' | 'integration'>): ProxyConfiguration {
  const verb = method.toUpperCase();
  if (!METHODS.includes(verb)) throw new PatchbayError('INVALID_ARGUMENT', `Unknown method "${method}". Use one of ${METHODS.join(', ')}.`);
  const headers: Record<string, string> = {};
  for (const line of options.header ?? []) {
    const at = line.indexOf(':');
    if (at <= 0) throw new PatchbayError('INVALID_ARGUMENT', `--header takes "Name: value" (got "${line.slice(0, 60)}").`);
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const params: Record<string, string> = {};
  for (const pair of options.query ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new PatchbayError('INVALID_ARGUMENT', `--query takes "name=value" (got "${pair.slice(0, 60)}").`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const config: ProxyConfiguration = { endpoint: endpoint.startsWith('/') ? endpoint : `/${endpoint}`, method: verb as ProxyConfiguration['method'], headers, params, retries: 0 };
  if (options.retries !== undefined) {
    const n = Number(options.retries);
    if (!Number.isInteger(n) || n < 0 || n > 10) throw new PatchbayError('INVALID_ARGUMENT', `--retries must be an integer from 0 to 10 (got "${options.retries}").`);
    config.retries = n;
  }
  if (options.baseUrlOverride) config.baseUrlOverride = options.baseUrlOverride;
  if (options.data !== undefined) {
    const text = options.data.startsWith('@') ? readFileSync(options.data.slice(1), 'utf8') : options.data;
    try {
      config.data = JSON.parse(text);
    } catch {
      config.data = text;
    }
  }
  return config;
}

/** Registers `patchbay proxy`. */
export function register(program: Command): void {
  program
    .command('proxy')
    .description("Call a provider's API with a connection's credentials; the body goes to stdout")
    .argument('<method>', METHODS.join(' | '))
    .argument('<endpoint>', 'path on the provider, e.g. /user/repos')
    .requiredOption('--connection <id>', 'connection id')
    .option('--integration <id>', 'integration id (default: the only integration with that connection)')
    .option('--data <json>', 'request body: JSON, text, or @file', undefined)
    .option('--header <line...>', 'extra header, "Name: value" (repeatable)')
    .option('--query <pair...>', 'query parameter, name=value (repeatable)')
    .option('--retries <n>', 'retries on 5xx, 429 and network failures (default 0)')
    .option('--base-url-override <url>', 'send to this base URL (credentials only go to the provider)')
    .action(async (method: string, endpoint: string, options: ProxyOptions, command: Command) => {
      const config = proxyConfigFrom(method, endpoint, options);
      const proxy = await openProxy(pathsFrom(command));
      const controller = new AbortController();
      const onSignal = () => controller.abort(new PatchbayError('ABORTED', 'Interrupted.'));
      process.once('SIGINT', onSignal);
      try {
        let integrationId = options.integration;
        if (!integrationId) {
          const owners = (await proxy.store.connections.list()).filter((row) => row.connection_id === options.connection).map((row) => row.integration_id);
          if (owners.length !== 1) {
            throw new PatchbayError(
              owners.length === 0 ? 'CONNECTION_NOT_FOUND' : 'INVALID_ARGUMENT',
              owners.length === 0
                ? `No connection "${options.connection}". See patchbay connection list.`
                : `Connection "${options.connection}" exists in ${owners.join(', ')}; pass --integration.`,
            );
          }
          integrationId = owners[0]!;
        }
        const started = performance.now();
        const answer = await proxy.forward(integrationId, options.connection, config, controller.signal);
        const body = answer.body instanceof Uint8Array ? Readable.from([Buffer.from(answer.body)]) : answer.body;
        await pipeline(body, process.stdout, { end: false });
        if (process.stdout.isTTY) process.stdout.write('\n');
        process.stderr.write(`${answer.status} from ${integrationId} in ${Math.round(performance.now() - started)} ms\n`);
        if (answer.status >= 400) {
          throw new PatchbayError('UPSTREAM_HTTP_ERROR', `The provider answered ${answer.status} (its body is above).`, { status: answer.status });
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        await proxy.close();
      }
    });
}
