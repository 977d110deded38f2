/**
 * Webhook delivery against a real HTTP server: signatures (Nango's algorithm), retries on 5xx
 * and network errors, none on 4xx, unsigned without a secret, targets from config and env.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { deliverWebhook, signBody, webhookTarget, type SyncWebhookBody } from '../../src/sync/webhooks.ts';

const statuses: number[] = [];
const received: Array<{ headers: Record<string, string | string[] | undefined>; raw: string }> = [];
const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, raw });
    res.writeHead(statuses.shift() ?? 200).end();
  });
});
let url = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const body: SyncWebhookBody = {
  from: 'patchbay',
  type: 'sync',
  connectionId: 'c',
  providerConfigKey: 'p',
  syncName: 's',
  syncVariant: 'base',
  model: 'M',
  syncType: 'INITIAL',
  success: true,
  responseResults: { added: 1, updated: 0, deleted: 0 },
  modifiedAfter: '2026-01-01T00:00:00.000Z',
  queryTimeStamp: '2026-01-01T00:00:00.000Z',
};
const fast = { retryDelaysMs: [5, 5, 5] };

test('signs the raw body with HMAC-SHA256 hex under both header names', async () => {
  received.length = 0;
  const [result] = await deliverWebhook({ urls: [url], secret: 'k' }, body, fast);
  assert.deepEqual([result!.ok, result!.attempts, result!.status], [true, 1, 200]);
  const { headers, raw } = received[0]!;
  assert.deepEqual(JSON.parse(raw), body);
  const expected = createHmac('sha256', 'k').update(raw).digest('hex');
  assert.equal(headers['x-patchbay-hmac-sha256'], expected);
  assert.equal(headers['x-nango-hmac-sha256'], expected);
  assert.equal(signBody('key', 'The quick brown fox jumps over the lazy dog'), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
});

test('retries 5xx until 2xx, gives up at once on 4xx, sends unsigned without a secret', async () => {
  received.length = 0;
  statuses.push(503, 500);
  const [retried] = await deliverWebhook({ urls: [url] }, body, fast);
  assert.deepEqual([retried!.ok, retried!.attempts], [true, 3]);
  assert.equal(received[0]!.headers['x-patchbay-hmac-sha256'], undefined);
  statuses.push(400);
  const [rejected] = await deliverWebhook({ urls: [url] }, body, fast);
  assert.deepEqual([rejected!.ok, rejected!.attempts, rejected!.status], [false, 1, 400]);
});

test('network errors are retried and reported, never thrown', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const [result] = await deliverWebhook({ urls: [dead] }, body, fast);
  assert.equal(result!.ok, false);
  assert.equal(result!.attempts, 4);
  assert.ok(result!.error);
});

test('targets merge integration.json and PATCHBAY_WEBHOOK_URL; the secret falls back to the environment', () => {
  assert.deepEqual(webhookTarget({ urls: ['https://a/x'] }, { PATCHBAY_WEBHOOK_URL: 'https://b/y, https://a/x', PATCHBAY_WEBHOOK_SECRET: 's' }), {
    urls: ['https://a/x', 'https://b/y'],
    secret: 's',
  });
  assert.deepEqual(webhookTarget({ urls: [], secret: 'own' }, { PATCHBAY_WEBHOOK_SECRET: 's' }), { urls: [], secret: 'own' });
  assert.deepEqual(webhookTarget(undefined, {}), { urls: [] });
});
