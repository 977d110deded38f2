/**
 * Shared set-up for the HTTP tests: integrations pointing at the fake API, and the real stack
 * behind a credential source (memory store → connection service → credential manager).
 */
import { randomBytes } from 'node:crypto';
import type { Credentials } from '../../src/define/context.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import type { ConnectionService } from '../../src/connections/types.ts';
import type { AuthMode, IntegrationConfig, ProviderConfig } from '../../src/providers/types.ts';
import { createCredentialManager, type CredentialManager } from '../../src/connections/refresh.ts';
import type { RequestContext } from '../../src/upstream/client.ts';
import type { HttpCallLog, LogEntry } from '../../src/runtime/types.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';

/** An integration whose provider is the fake API at `baseUrl`. */
export function fakeIntegration(baseUrl: string, authMode: AuthMode, provider: Partial<ProviderConfig> = {}, id = 'fake'): IntegrationConfig {
  const { proxy, ...rest } = provider;
  return {
    id,
    provider: {
      name: 'fake',
      display_name: 'FakeAPI',
      auth_mode: authMode,
      token_url: `${baseUrl}/oauth/token`,
      authorization_url: `${baseUrl}/oauth/authorize`,
      ...rest,
      proxy: { base_url: baseUrl, ...proxy },
    },
    oauth: { client_id: 'test-client-id', client_secret: 'test-client-secret', scopes: [] },
    environment: {},
    webhooks: { urls: [] },
  };
}

/** The real persistence + credential stack in memory. */
export interface Stack {
  store: Store;
  connections: ConnectionService;
  manager: CredentialManager;
  close(): Promise<void>;
}

export async function openStack(): Promise<Stack> {
  const store = await openStore({ kind: 'memory' });
  const connections = createConnectionService({ store, key: randomBytes(32) });
  const manager = createCredentialManager({ connections, locks: store.locks, pollMs: 10 });
  return { store, connections, manager, close: () => store.close() };
}

/** Adds a connection and returns a request context for it, collecting call logs and warnings. */
export async function connect(
  stack: Stack,
  integration: IntegrationConfig,
  connectionId: string,
  credentials: Credentials,
  extra: { signal?: AbortSignal; connectionConfig?: Record<string, unknown>; deadline?: number } = {},
): Promise<RequestContext & { calls: HttpCallLog[]; logs: LogEntry[] }> {
  await stack.connections.add({ integrationId: integration.id, connectionId, credentials, connectionConfig: extra.connectionConfig ?? {} });
  const calls: HttpCallLog[] = [];
  const logs: LogEntry[] = [];
  const ctx: RequestContext & { calls: HttpCallLog[]; logs: LogEntry[] } = {
    integration,
    credentials: stack.manager.forConnection(integration, connectionId),
    connectionConfig: extra.connectionConfig ?? {},
    signal: extra.signal ?? new AbortController().signal,
    onCall: (call) => calls.push(call),
    onLog: (entry) => logs.push(entry),
    calls,
    logs,
  };
  if (extra.deadline !== undefined) ctx.deadline = extra.deadline;
  return ctx;
}

/** Fast backoff for tests (server-imposed waits are still honoured). */
export const FAST_RETRY = { baseMs: 1, capMs: 5 };

/** A random secret whose 8-character prefix cannot occur by chance. */
export function randomSecret(prefix = 'sk_'): string {
  return `${prefix}${randomBytes(20).toString('hex')}`;
}

/**
 * Fails when `text` holds `secret` or any 8+-character prefix of it, as is or base64 /
 * base64url / URL-encoded (a cut excerpt leaks the secret minus its last characters).
 */
export function assertNoLeak(text: string, secret: string, where: string): void {
  const forms = new Set([secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), encodeURIComponent(secret)]);
  for (const form of forms) {
    const at = text.indexOf(form.slice(0, 8));
    if (at >= 0) throw new Error(`${where} leaks ${form === secret ? 'the secret' : `an encoded form (${form.slice(0, 8)}…)`}: …${text.slice(Math.max(0, at - 60), at + form.length + 20)}…`);
  }
}
