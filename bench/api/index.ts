/**
 * REST API benchmark: `POST /action/trigger` of the fixture action `get-issue` (one GET to the
 * fake API) and `GET /proxy/issues/1` through `patchbay serve`, against the same GET sent straight
 * to the fake API, with 32 concurrent clients each, in interleaved 1 s rounds of the same run. The
 * fake API runs in a process of its own. Prints calls/s and the ratio to direct (issue #14's goal:
 * ≥ 0.7x), and the p50 of one client alone through each path (goal for the proxy: under 0.5 ms added).
 *
 *   node bench/api/index.ts [--seconds 5] [--clients 32]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startRemoteFakeApi } from '../fake-api-process.ts';
import { createMcpProject, SECRET, startHttpServe, stopChild } from '../../test/mcp/helpers.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, clients: { type: 'string', default: '32' } } });
const SECONDS = Math.max(1, Number(values.seconds));
const CLIENTS = Number(values.clients);

const api = await startRemoteFakeApi();
const project = await createMcpProject(api.url);
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

try {
  await round(direct, 500, CLIENTS);
  await round(trigger, 500, CLIENTS);
  await round(viaProxy, 500, CLIENTS);
  const rates = { direct: 0, trigger: 0, proxy: 0 };
  for (let i = 0; i < SECONDS; i++) {
    rates.direct += (await round(direct, 1000, CLIENTS)) / SECONDS;
    rates.trigger += (await round(trigger, 1000, CLIENTS)) / SECONDS;
    rates.proxy += (await round(viaProxy, 1000, CLIENTS)) / SECONDS;
  }
  const [directP50, triggerP50, proxyP50] = [await p50(direct), await p50(trigger), await p50(viaProxy)];
  console.log(`node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  console.log(`${CLIENTS} clients, ${SECONDS} interleaved 1 s rounds:`);
  console.log(`  GET straight to the fake API:        ${rates.direct.toFixed(0)} calls/s, p50 alone ${directP50.toFixed(3)} ms`);
  console.log(`  POST /action/trigger (get-issue):    ${rates.trigger.toFixed(0)} calls/s, p50 alone ${triggerP50.toFixed(3)} ms | ratio ${(rates.trigger / rates.direct).toFixed(2)}x (goal ≥ 0.7x), added at p50 ${(triggerP50 - directP50).toFixed(3)} ms`);
  console.log(`  GET /proxy/issues/1:                 ${rates.proxy.toFixed(0)} calls/s, p50 alone ${proxyP50.toFixed(3)} ms | ratio ${(rates.proxy / rates.direct).toFixed(2)}x (goal ≥ 0.7x), added at p50 ${(proxyP50 - directP50).toFixed(3)} ms (goal < 0.5 ms)`);
} finally {
  await agent.close();
  await stopChild(server.child);
  api.child.stdin!.end();
  project.cleanup();
}
