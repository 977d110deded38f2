/**
 * Nango's proxy through `patchbay serve`, with `@nangohq/node`'s `get`/`post`/`proxy`: the
 * connection's credentials injected (and withheld from another origin), the call's own headers
 * forwarded, retries (none unless asked, as in Nango), the provider's errors handed back as they
 * came, scoped keys refused, and a 300 MB download and a 200 MB upload streamed through without
 * being held in memory.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { Nango } from '@nangohq/node';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { SECRET, startHttpServe, stopChild } from '../mcp/helpers.ts';
import { BOB_ONLY, failure, startApiServer, type ApiServer } from './helpers.ts';

let ctx: ApiServer;
let foreign: FakeApi;

before(async () => {
  foreign = await startFakeApi();
  ctx = await startApiServer({ extraConnections: ['bob'], bobOnly: true });
});
after(async () => {
  await ctx.close();
  await foreign.close();
});

const nango = (secretKey = SECRET) => new Nango({ host: ctx.server.url, secretKey, providerConfigKey: 'fake', connectionId: 'alice' });

it('get and post reach the provider with the connection’s credentials; the call’s headers and query go along', async () => {
  const issue = await nango().get({ endpoint: '/issues/2' });
  assert.equal((issue.data as { id: string }).id, '2');
  assert.equal(ctx.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
  const created = await nango().post({ endpoint: '/issues', data: { title: 'via the proxy' } });
  assert.equal((created.data as { title: string }).title, 'via the proxy');
  const echo = await nango().get({ endpoint: '/echo', params: { q: 'x y' }, headers: { 'X-Custom': 'yes' } });
  const seen = echo.data as { query: Record<string, string>; headers: Record<string, string> };
  assert.equal(seen.query['q'], 'x y');
  assert.equal(seen.headers['x-custom'], 'yes');
  assert.equal(seen.headers['authorization'], undefined, 'the patchbay key is never forwarded');
  assert.equal(seen.headers['connection-id'], undefined);
});

it('the provider’s errors come back with their status and body; Retries retries', async () => {
  const missing = await failure(nango().get({ endpoint: '/issues/999' }));
  assert.equal(missing.status, 404);
  const flaky = await nango().get({ endpoint: '/flaky', params: { key: 'proxy-1', fail: '2' }, retries: 3 });
  assert.equal((flaky.data as { attempts: number }).attempts, 3);
  const noRetry = await failure(nango().get({ endpoint: '/flaky', params: { key: 'proxy-2', fail: '2' } }));
  assert.equal(noRetry.status, 503);
});

it('credentials never go to another origin: a Base-Url-Override elsewhere gets the call without them', async () => {
  const answer = await nango().get({ endpoint: '/echo', baseUrlOverride: foreign.url });
  assert.equal((answer.data as { headers: Record<string, string> }).headers['x-api-key'], undefined);
  assert.equal(foreign.requests.at(-1)?.headers['x-api-key'], undefined);
});

it('scoped keys: another connection, or a key limited to some tools, is refused', async () => {
  const other = await failure(nango(BOB_ONLY).get({ endpoint: '/issues/1' }));
  assert.equal(other.status, 403);
  const bob = await new Nango({ host: ctx.server.url, secretKey: BOB_ONLY, providerConfigKey: 'fake', connectionId: 'bob' }).get({ endpoint: '/issues/1' });
  assert.equal((bob.data as { id: string }).id, '1');
  const tools = await failure(new Nango({ host: ctx.server.url, secretKey: ctx.project.scopedSecret, providerConfigKey: 'fake', connectionId: 'alice' }).get({ endpoint: '/issues/1' }));
  assert.equal(tools.status, 403);
  assert.match(JSON.stringify(tools.data), /limited to some tools/);
});

it('missing headers and bad Retries are 400', async () => {
  const bare = await fetch(`${ctx.server.url}/proxy/issues/1`, { headers: { authorization: `Bearer ${SECRET}` } });
  assert.equal(bare.status, 400);
  assert.match(await bare.text(), /Connection-Id/);
  const retries = await fetch(`${ctx.server.url}/proxy/issues/1`, { headers: { authorization: `Bearer ${SECRET}`, 'connection-id': 'alice', 'provider-config-key': 'fake', retries: 'lots' } });
  assert.equal(retries.status, 400);
});

const MB = Number(process.env['PROXY_MB'] ?? 300);

it('a 300 MB download streams through: the server’s peak memory grows by far less than the body (it is never held whole)', async () => {
  const peak = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${ctx.server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const before = peak();
  const response = await fetch(`${ctx.server.url}/proxy/bytes?mb=${MB}`, { headers: { authorization: `Bearer ${SECRET}`, 'connection-id': 'alice', 'provider-config-key': 'fake' } });
  assert.equal(response.status, 200);
  let received = 0;
  for await (const chunk of response.body!) received += (chunk as Uint8Array).byteLength;
  assert.equal(received, MB * 1024 * 1024);
  const grown = peak() - before;
  // Measured: the peak grows by about 100 MB whatever the size (100 MB, 300 MB, 1 GB: V8 frees the
  // sockets' buffers in batches), so a body held whole would show as growth near MB.
  assert.ok(grown < MB / 2, `the server's peak RSS grew by ${grown.toFixed(0)} MB for a ${MB} MB body`);
});

/** `size` bytes of a repeating pattern, made chunk by chunk (the test never holds them either), and their sha256. */
function upload(size: number): { body: ReadableStream<Uint8Array>; sha256: () => string } {
  const chunk = Buffer.alloc(64 * 1024, 'patchbay-upload-');
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const piece = chunk.subarray(0, Math.min(chunk.byteLength, size - sent));
      sent += piece.byteLength;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, sha256: () => hash.digest('hex') };
}

const UPLOAD_MB = Number(process.env['PROXY_UPLOAD_MB'] ?? 200);
const headers = { authorization: `Bearer ${SECRET}`, 'connection-id': 'alice', 'provider-config-key': 'fake', 'content-type': 'application/octet-stream' };

it('a 200 MB upload streams to the provider as it arrives: every byte, its length, the credentials, and flat memory', async () => {
  const peak = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${ctx.server.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const before = peak();
  const size = UPLOAD_MB * 1024 * 1024;
  const { body, sha256 } = upload(size);
  const response = await fetch(`${ctx.server.url}/proxy/sink`, { method: 'PUT', body, headers: { ...headers, 'content-length': String(size) }, duplex: 'half' } as RequestInit);
  assert.equal(response.status, 200);
  const answer = (await response.json()) as { bytes: number; sha256: string; contentLength: string | null };
  assert.equal(answer.bytes, size);
  assert.equal(answer.sha256, sha256());
  assert.equal(answer.contentLength, String(size), 'the length went along');
  assert.equal(ctx.api.requests.at(-1)?.headers['x-api-key'], 'test-api-key');
  const grown = peak() - before;
  console.log(`upload: ${UPLOAD_MB} MB streamed through; the server's peak RSS grew by ${grown.toFixed(0)} MB`);
  assert.ok(grown < UPLOAD_MB / 2, `the server's peak RSS grew by ${grown.toFixed(0)} MB for a ${UPLOAD_MB} MB upload`);
  // Without a length (chunked), it streams too.
  const chunked = upload(3 * 1024 * 1024);
  const second = await fetch(`${ctx.server.url}/proxy/sink`, { method: 'POST', body: chunked.body, headers, duplex: 'half' } as RequestInit);
  assert.equal(((await second.json()) as { sha256: string }).sha256, chunked.sha256());
});

it('with Retries the body is read first (to send again) within the body limit; past it, 413 says to stream it instead', async () => {
  const small = await fetch(`${ctx.server.url}/proxy/flaky?key=upload-retry&fail=1`, { method: 'POST', body: 'x'.repeat(1000), headers: { ...headers, retries: '2' } });
  assert.equal(small.status, 201, 'retried with the same body');
  const big = await fetch(`${ctx.server.url}/proxy/sink`, { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024), headers: { ...headers, retries: '1' } });
  assert.equal(big.status, 413);
  assert.match(await big.text(), /without Retries/);
});

it('--max-upload-bytes caps a streamed upload: 413 at once for a declared length, the upload cut for a chunked one; the server keeps serving', async () => {
  const capped = await startHttpServe(ctx.project, ['--no-scheduler', '--max-upload-bytes', String(1024 * 1024)]);
  try {
    // A declared length past the cap is answered before the body is read (as curl shows it).
    const declared = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${capped.url}/proxy/sink`, { method: 'POST', headers: { ...headers, 'content-length': String(2 * 1024 * 1024) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024));
    });
    assert.equal(declared.status, 413);
    assert.match(declared.text, /PAYLOAD_TOO_LARGE/);
    const sinks = ctx.api.requests.filter((r) => r.path === '/sink').length;
    const chunked = await fetch(`${capped.url}/proxy/sink`, { method: 'POST', body: upload(3 * 1024 * 1024).body, headers, duplex: 'half' } as RequestInit).catch((error: Error) => error);
    if (chunked instanceof Response) {
      assert.ok(chunked.status >= 400, `refused (${chunked.status})`);
      const text = await chunked.text();
      if (chunked.status === 200) assert.fail(`a 3 MB body passed a 1 MB cap: ${text}`);
    }
    assert.ok(ctx.api.requests.filter((r) => r.path === '/sink').length <= sinks + 1);
    const ok = await fetch(`${capped.url}/proxy/issues/1`, { headers });
    assert.equal(ok.status, 200);
  } finally {
    await stopChild(capped.child);
  }
});

it('a client that hangs up mid-upload fails that upload only: the server keeps serving', async () => {
  await new Promise<void>((resolve) => {
    const req = httpRequest(`${ctx.server.url}/proxy/sink`, { method: 'PUT', headers: { ...headers, 'content-length': String(50 * 1024 * 1024) } });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(1024 * 1024), () => setTimeout(() => (req.destroy(), resolve()), 100));
  });
  // And one refused before its body is read (unknown connection) with a body still coming.
  await new Promise<void>((resolve) => {
    const req = httpRequest(`${ctx.server.url}/proxy/sink`, { method: 'PUT', headers: { ...headers, 'connection-id': 'nobody', 'content-length': String(8 * 1024 * 1024) } }, (res) => {
      res.resume();
      res.on('end', () => (req.destroy(), resolve()));
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(256 * 1024));
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(ctx.server.child.exitCode, null, 'the server is still running');
  const health = await fetch(`${ctx.server.url}/health`);
  assert.equal(health.status, 200);
});

it('a request without a body goes without one (not as an empty stream): no chunked encoding, no invented content type', async () => {
  const response = await fetch(`${ctx.server.url}/proxy/echo`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'connection-id': 'alice', 'provider-config-key': 'fake' } });
  assert.equal(response.status, 200);
  const echoed = (await response.json()) as { headers: Record<string, string> };
  assert.equal(echoed.headers['transfer-encoding'], undefined);
  assert.equal(echoed.headers['content-type'], undefined);
});
