/**
 * HTTP client overhead benchmark: GET /me on the fake API through the full client (credential
 * source reading the connection from a SQLite store, injection, redaction, call logs) against
 * a raw undici Pool request with the header set by hand, measured in the same run.
 *
 *   node bench/http/index.ts [--requests 5000] [--concurrency 16]
 *
 * Goal: the client costs ≤ 2x raw undici per request (ratio printed; no fixed time).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createConnectionService } from '../../src/connections/service.ts';
import { createCredentialManager } from '../../src/connections/refresh.ts';
import { createHttpClient } from '../../src/upstream/client.ts';
import type { HttpCallLog } from '../../src/runtime/types.ts';
import { openStore } from '../../src/store/open.ts';
import { startFakeApi } from '../../test/fake-api/server.ts';
import { fakeIntegration } from '../../test/upstream/helpers.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '16' } } });
const total = Number(values.requests);
const concurrency = Number(values.concurrency);

async function run(label: string, one: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await one(); // warm-up: sockets, JIT
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await one();
    }),
  );
  const ms = performance.now() - t;
  console.log(`${label.padEnd(28)} ${(total / (ms / 1000)).toFixed(0).padStart(7)} req/s  ${((ms * 1000) / total).toFixed(0).padStart(5)} µs/req`);
  return ms;
}

const api = await startFakeApi();
const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-http-'));
const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'pb.db') });
const pool = new Pool(api.url, { connections: concurrency });
const http = createHttpClient();
try {
  const connections = createConnectionService({ store, key: randomBytes(32) });
  const integration = fakeIntegration(api.url, 'BEARER');
  await connections.add({ integrationId: integration.id, connectionId: 'bench', credentials: { type: 'BEARER', token: 'test-bearer-token' } });
  const manager = createCredentialManager({ connections, locks: store.locks });
  const calls: HttpCallLog[] = [];
  const ctx = { integration, credentials: manager.forConnection(integration, 'bench'), connectionConfig: {}, signal: new AbortController().signal, onCall: (c: HttpCallLog) => void calls.push(c) };

  console.log(`${total} GET /me, concurrency ${concurrency}`);
  const rawMs = await run('raw undici Pool', async () => {
    const res = await pool.request({ path: '/me', method: 'GET', headers: { authorization: 'Bearer test-bearer-token' } });
    await res.body.json();
  });
  const clientMs = await run('patchbay http client', async () => {
    calls.length = 0;
    await http.request(ctx, { endpoint: '/me' });
  });
  console.log(`client / raw: ${(clientMs / rawMs).toFixed(2)}x (goal ≤ 2x)`);
} finally {
  await http.close();
  await pool.close();
  await store.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
}
