/**
 * A client that stalls cannot hold the server: headers not finished within `headersMs` or a
 * request body not finished within `requestMs` end the connection (408), while a request that
 * arrives in time may take as long as its answer needs.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { listenHttp, type RunningHttpServer } from '../../src/http/server.ts';

let server: RunningHttpServer;

before(async () => {
  const app = {
    fetch: async (request: Request) => {
      if (new URL(request.url).pathname === '/slow-answer') await new Promise((r) => setTimeout(r, 700));
      return new Response(`read ${(await request.text()).length}`);
    },
  };
  server = await listenHttp(app, { host: '127.0.0.1', port: 0, auth: true, timeouts: { headersMs: 300, requestMs: 600 } });
});
after(() => server.close());

/** Writes `first`, then nothing: resolves with what the server sent and how long it took to hang up. */
function stall(first: string): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(server.port, '127.0.0.1', () => socket.write(first));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve({ answer, ms: performance.now() - started }));
    socket.on('error', reject);
    setTimeout(() => reject(new Error('the server kept the stalled connection open')), 5000).unref();
  });
}

test('headers that never finish: the connection ends soon after headersMs', async () => {
  const { answer, ms } = await stall('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  assert.ok(ms < 3000, `closed after ${ms.toFixed(0)} ms`);
  assert.match(answer, /^$|408/);
});

test('a body that trickles past requestMs: 408 and the connection ends', async () => {
  const { answer, ms } = await stall('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789');
  assert.ok(ms < 3000, `closed after ${ms.toFixed(0)} ms`);
  assert.match(answer, /^$|408/);
});

test('a request that arrived in time may take longer than requestMs to be answered', async () => {
  const response = await fetch(`${server.url}/slow-answer`, { method: 'POST', body: 'abc' });
  assert.equal(await response.text(), 'read 3');
});
