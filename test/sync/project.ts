/**
 * A temp project for sync tests: the fixtures in test/sync/fixtures/integrations copied to a temp
 * folder, the fake API, a webhook receiver (a real HTTP server that verifies signatures), an
 * in-flight counter server, and an environment wiring them into integration.json.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createApp, type App, type AppOptions } from '../../src/app.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/integrations', import.meta.url));
export const WEBHOOK_SECRET = 'whsec-test-secret';

export interface ReceivedWebhook {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Both signature headers verified against the raw body with WEBHOOK_SECRET. */
  verified: boolean;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** The receiver a user's backend would run: verify X-Patchbay-Hmac-Sha256 / X-Nango-Hmac-Sha256 over the raw body. */
function verify(raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex');
  return expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header));
}

export interface SyncProject {
  root: string;
  paths: ProjectPaths;
  api: FakeApi;
  env: NodeJS.ProcessEnv;
  webhooks: ReceivedWebhook[];
  /** Answers the next `n` webhook deliveries with 500 (to exercise retries). */
  failNextWebhooks(n: number): void;
  hold: { current: number; max: number; total: number };
  open(options?: Partial<AppOptions>): Promise<App>;
  cleanup(): Promise<void>;
}

/** Sets up the project; `pageDelayMs` slows the items sync per page. */
export async function syncProject(options: { pageDelayMs?: number } = {}): Promise<SyncProject> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-sync-'));
  cpSync(FIXTURES, path.join(root, 'integrations'), { recursive: true });
  const api = await startFakeApi();
  const webhooks: ReceivedWebhook[] = [];
  let failures = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = verify(raw, req.headers['x-patchbay-hmac-sha256']) && verify(raw, req.headers['x-nango-hmac-sha256']);
      webhooks.push({ body: JSON.parse(raw) as Record<string, unknown>, headers: req.headers, verified });
      res.writeHead(200).end('ok');
    });
  });
  const hold = { current: 0, max: 0, total: 0 };
  const holdServer = createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 100);
    hold.current++;
    hold.total++;
    hold.max = Math.max(hold.max, hold.current);
    setTimeout(() => {
      hold.current--;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }, ms);
  });
  const webhookUrl = `${await listen(receiver)}/hooks`;
  const holdUrl = await listen(holdServer);
  const env: NodeJS.ProcessEnv = {
    FAKE_API_URL: api.url,
    HOLD_API_URL: holdUrl,
    WEBHOOK_URL: webhookUrl,
    WEBHOOK_SECRET,
    PAGE_DELAY_MS: String(options.pageDelayMs ?? 0),
  };
  const paths = resolvePaths({ cwd: root, env: {} });
  const runtimes: App[] = [];
  return {
    root,
    paths,
    api,
    env,
    webhooks,
    hold,
    failNextWebhooks(n) {
      failures = n;
    },
    async open(extra = {}) {
      const runtime = await createApp({ paths, env, logger: silentLogger(), isolation: 'inline', ...extra });
      runtimes.push(runtime);
      return runtime;
    },
    async cleanup() {
      for (const runtime of runtimes) await runtime.close();
      await api.close();
      await close(receiver);
      await close(holdServer);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
