/**
 * REST API benchmark: `POST /action/trigger` of the fixture action `get-issue` (one GET to the
 * fake API) and `GET /proxy/issues/1` through `patchbay serve`, against the same GET sent straight
 * to the fake API, with 32 concurrent clients each, in interleaved 1 s rounds of the same run. The
 * fake API runs in a process of its own. Prints calls/s and the ratio to direct (issue #14's goal:
 * ≥ 0.7x), and the p50 of one client alone through each path (goal for the proxy: under 0.5 ms added).
 * The peer is a minimal Node proxy (bench/api/minimal-proxy.ts: node:http in, undici out) in its
 * own process, measured in the same rounds: what any Node server in the middle costs on this host.
 *
 * Then asynchronous actions (`X-Async: true`): how fast a backlog of `--async` triggers of
 * `get-issue` completes, against the synchronous trigger's calls/s above; and a backlog of writes
 * to a provider that allows `--limit` requests/s (429 + Retry-After past it), against that limit
 * and against what a backend writes by hand in the same run: 16 concurrent POSTs straight to the
 * provider, each waiting out the Retry-After of a 429 before it tries again.
 *
 *   node bench/api/index.ts [--seconds 5] [--clients 32] [--async 2000] [--limit 200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startRemoteFakeApi } from '../fake-api-process.ts';
import { createMcpProject, SECRET, startHttpServe, stopChild } from '../../test/mcp/helpers.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, clients: { type: 'string', default: '32' }, async: { type: 'string', default: '2000' }, limit: { type: 'string', default: '200' } },
});
const SECONDS = Math.max(1, Number(values.seconds));
const CLIENTS = Number(values.clients);
const ASYNC = Math.max(1, Number(values.async));
const LIMIT = Math.max(1, Number(values.limit));

const api = await startRemoteFakeApi();
const project = await createMcpProject(api.url, { alsoIntegrations: fileURLToPath(new URL('../../test/fixtures/async/integrations', import.meta.url)) });
{
  const runtime = await createApp({ paths: project.paths, env: project.env, logger: silentLogger() });
  await runtime.connections.add({ integrationId: 'queue', connectionId: 'alice', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
  await runtime.close();
}
const server = await startHttpServe(project, ['--no-scheduler']);
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

type Call = () => Promise<void>;
const direct: Call = async () => {
  const res = await request(`${api.url}/issues/1`, { dispatcher: agent, headers: { 'x-api-key': 'test-api-key' } });
  if (res.statusCode !== 200) throw new Error(`direct: ${res.statusCode}`);
  await res.body.json();
};
const body = JSON.stringify({ action_name: 'get-issue', input: { id: '1' } });
const trigger: Call = async () => {
  const res = await request(`${server.url}/action/trigger`, {
    method: 'POST',
    dispatcher: agent,
    body,
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'connection-id': 'alice', 'provider-config-key': 'fake' },
  });
  if (res.statusCode !== 200) throw new Error(`trigger: ${res.statusCode} ${await res.body.text()}`);
  await res.body.json();
};

// The peer: a minimal Node proxy (node:http in, undici out) in its own process.
const peer = await new Promise<{ url: string; child: ChildProcess }>((resolve, reject) => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./minimal-proxy.ts', import.meta.url)), api.url], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout!.setEncoding('utf8');
  child.stdout!.once('data', (line: string) => resolve({ url: line.trim(), child }));
  child.once('exit', (code) => reject(new Error(`the minimal proxy exited (${code})`)));
});
const viaPeer: Call = async () => {
  const res = await request(`${peer.url}/issues/1`, { dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`peer: ${res.statusCode}`);
  await res.body.json();
};

const viaProxy: Call = async () => {
  const res = await request(`${server.url}/proxy/issues/1`, {
    dispatcher: agent,
    headers: { authorization: `Bearer ${SECRET}`, 'connection-id': 'alice', 'provider-config-key': 'fake' },
  });
  if (res.statusCode !== 200) throw new Error(`proxy: ${res.statusCode} ${await res.body.text()}`);
  await res.body.json();
};

async function round(call: Call, ms: number, clients: number): Promise<number> {
  let count = 0;
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await call();
        count++;
      }
    }),
  );
  return count / (ms / 1000);
}

async function p50(call: Call, n = 300): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

/** Triggers `count` async actions from `CLIENTS` clients, then waits for every result; returns completions/s from the first trigger. */
async function asyncBacklog(integration: string, action: string, input: (i: number) => unknown, count: number): Promise<{ perSecond: number; failed: number; deferrals: number }> {
  const started = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const res = await request(`${server.url}/action/trigger`, {
          method: 'POST',
          dispatcher: agent,
          body: JSON.stringify({ action_name: action, input: input(i) }),
          headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json', 'connection-id': 'alice', 'provider-config-key': integration, 'x-async': 'true' },
        });
        if (res.statusCode !== 202) throw new Error(`async trigger: ${res.statusCode} ${await res.body.text()}`);
        ids.push(((await res.body.json()) as { id: string }).id);
      }
    }),
  );
  let failed = 0;
  next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        for (;;) {
          const res = await request(`${server.url}/action/${id}?wait=30`, { dispatcher: agent, headers: { authorization: `Bearer ${SECRET}` } });
          const answer = (await res.body.json()) as { error?: { code: string } };
          if (res.statusCode === 404 && answer.error?.code === 'ACTION_PENDING') continue;
          if (res.statusCode !== 200) failed++;
          break;
        }
      }
    }),
  );
  const perSecond = count / ((performance.now() - started) / 1000);
  // How many runs the provider's limit sent back (each one a request it answered 429).
  let deferrals = 0;
  for (const id of ids) {
    const res = await request(`${server.url}/action/${id}/status`, { dispatcher: agent, headers: { authorization: `Bearer ${SECRET}` } });
    deferrals += ((await res.body.json()) as { deferrals: number }).deferrals;
  }
  return { perSecond, failed, deferrals };
}

/** What a backend does by hand: 16 workers POST straight to the provider, waiting out each 429's Retry-After. */
async function byHand(count: number, key: string): Promise<{ perSecond: number; limited: number }> {
  const started = performance.now();
  let next = 0;
  let limited = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        for (;;) {
          const res = await request(`${api.url}/quota?key=${key}&ref=r${i}&per_second=${LIMIT}`, { method: 'POST', dispatcher: agent, headers: { 'x-api-key': 'test-api-key' } });
          await res.body.dump();
          if (res.statusCode === 201) break;
          if (res.statusCode !== 429) throw new Error(`by hand: ${res.statusCode}`);
          limited++;
          await new Promise((resolve) => setTimeout(resolve, Number(res.headers['retry-after'] ?? 1) * 1000));
        }
      }
    }),
  );
  return { perSecond: count / ((performance.now() - started) / 1000), limited };
}

try {
  await round(direct, 500, CLIENTS);
  await round(trigger, 500, CLIENTS);
  await round(viaProxy, 500, CLIENTS);
  await round(viaPeer, 500, CLIENTS);
  const rates = { direct: 0, trigger: 0, proxy: 0, peer: 0 };
  for (let i = 0; i < SECONDS; i++) {
    rates.direct += (await round(direct, 1000, CLIENTS)) / SECONDS;
    rates.trigger += (await round(trigger, 1000, CLIENTS)) / SECONDS;
    rates.proxy += (await round(viaProxy, 1000, CLIENTS)) / SECONDS;
    rates.peer += (await round(viaPeer, 1000, CLIENTS)) / SECONDS;
  }
  const [directP50, triggerP50, proxyP50, peerP50] = [await p50(direct), await p50(trigger), await p50(viaProxy), await p50(viaPeer)];
  console.log(`node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  console.log(`${CLIENTS} clients, ${SECONDS} interleaved 1 s rounds:`);
  console.log(`  GET straight to the fake API:        ${rates.direct.toFixed(0)} calls/s, p50 alone ${directP50.toFixed(3)} ms`);
  console.log(`  POST /action/trigger (get-issue):    ${rates.trigger.toFixed(0)} calls/s, p50 alone ${triggerP50.toFixed(3)} ms | ratio ${(rates.trigger / rates.direct).toFixed(2)}x (goal ≥ 0.7x), added at p50 ${(triggerP50 - directP50).toFixed(3)} ms`);
  console.log(`  GET /proxy/issues/1:                 ${rates.proxy.toFixed(0)} calls/s, p50 alone ${proxyP50.toFixed(3)} ms | ratio ${(rates.proxy / rates.direct).toFixed(2)}x (goal ≥ 0.7x), added at p50 ${(proxyP50 - directP50).toFixed(3)} ms (goal < 0.5 ms)`);
  console.log(`  peer: a minimal Node proxy:         ${rates.peer.toFixed(0)} calls/s, p50 alone ${peerP50.toFixed(3)} ms | ratio ${(rates.peer / rates.direct).toFixed(2)}x, added at p50 ${(peerP50 - directP50).toFixed(3)} ms | patchbay's proxy ${(rates.proxy / rates.peer).toFixed(2)}x the peer's calls/s, +${(proxyP50 - peerP50).toFixed(3)} ms at p50`);
  const backlog = await asyncBacklog('fake', 'get-issue', () => ({ id: '1' }), ASYNC);
  console.log(`asynchronous actions, one connection:`);
  console.log(`  ${ASYNC} X-Async get-issue, queued and all done: ${backlog.perSecond.toFixed(0)}/s, ${backlog.failed} failed | ${(backlog.perSecond / rates.trigger).toFixed(2)}x the synchronous trigger's calls/s`);
  const hand = await byHand(Math.min(ASYNC, LIMIT * 5), `hand-${Date.now()}`);
  const limited = await asyncBacklog('queue', 'quota-call', (i) => ({ key: `bench-${process.pid}`, ref: `r${i}`, per_second: LIMIT }), Math.min(ASYNC, LIMIT * 5));
  const withReset = await asyncBacklog('queue', 'quota-call', (i) => ({ key: `bench-reset-${process.pid}`, ref: `r${i}`, per_second: LIMIT, reset: true }), Math.min(ASYNC, LIMIT * 5));
  console.log(
    `  ${Math.min(ASYNC, LIMIT * 5)} writes to a provider allowing ${LIMIT}/s: the queue ${limited.perSecond.toFixed(0)}/s (${(limited.perSecond / LIMIT).toFixed(2)}x the limit), ${limited.failed} failed, ${limited.deferrals} answers 429` +
      ` | by hand (16 workers, each waiting its own Retry-After) ${hand.perSecond.toFixed(0)}/s (${(hand.perSecond / LIMIT).toFixed(2)}x), ${hand.limited} answers 429 | queue/by hand ${(limited.perSecond / hand.perSecond).toFixed(2)}x`,
  );
  console.log(`  the same, the provider sending its reset time (x-ratelimit-reset) instead of Retry-After: the queue ${withReset.perSecond.toFixed(0)}/s (${(withReset.perSecond / LIMIT).toFixed(2)}x the limit), ${withReset.failed} failed, ${withReset.deferrals} answers 429`);
} finally {
  await agent.close();
  peer.child.stdin!.end();
  await stopChild(server.child);
  api.child.stdin!.end();
  project.cleanup();
}
