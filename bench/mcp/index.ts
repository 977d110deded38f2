/**
 * MCP benchmark: patchbay's MCP server against a minimal hand-written SDK server doing the same
 * GET inline (baseline-server.ts), same run, same fake API. Prints:
 *
 * 1. stdio tool-call round trip, per isolation mode (process, the default; worker; inline): median
 *    and p99, their ratio to the baseline, and the median added (ms); goal for the default mode:
 *    p50 ≤ 1.15x, p99 ≤ 1.5x.
 * 2. HTTP throughput with 32 concurrent clients (calls/s) per mode and the ratio to the baseline;
 *    goal for the default mode ≥ 0.9x. Then 128 clients on the baseline and the default mode,
 *    counting failed calls; goal: none.
 * 3. A quick call's median while eight calls of the same caller (same key and connection, so the
 *    same runner) wait on an upstream that does not answer, against its median alone; goal ≤ 2x.
 * 4. Process start → first tools/list answer with 200 actions (warm build), against the minimal
 *    SDK server's start to its first tools/list; goal < 300 ms. Then the idle RSS of `serve` with
 *    those 200 actions, 2 s after the list, alone and with its runner processes; goal < 120 MB.
 *
 * Run: node bench/mcp/index.ts [--calls 400] [--seconds 5] [--only stdio|http|hang|start] [--cli dist/cli/main.js]
 * (`--cli` measures a built CLI instead of the sources; the first start after switching rebuilds.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFakeApi } from '../../test/fake-api/server.ts';
import { CLI, createMcpProject, SECRET, stopChild } from '../../test/mcp/helpers.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createApp } from '../../src/app.ts';
import { resolvePaths } from '../../src/config/paths.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '400' }, seconds: { type: 'string', default: '5' }, only: { type: 'string' }, cli: { type: 'string' } } });
const cli = values.cli ? path.resolve(values.cli) : CLI;
const only = (part: string) => values.only === undefined || values.only === part;
const CALLS = Number(values.calls);
const SECONDS = Number(values.seconds);
const BASELINE = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function stdioClient(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd, env: env as Record<string, string>, stderr: 'ignore' }));
  return client;
}

/** Round-trip times per client; the clients take turns call by call so load changes hit all alike. */
async function roundTrips(targets: Array<{ client: Client; tool: string }>): Promise<number[][]> {
  const call = async (target: { client: Client; tool: string }, i: number) => {
    const result = await target.client.callTool({ name: target.tool, arguments: { id: String((i % 5) + 1) } });
    if (result.isError) throw new Error(`${target.tool} failed: ${JSON.stringify(result.content)}`);
  };
  for (let i = 0; i < 50; i++) for (const target of targets) await call(target, i);
  const times = targets.map((): number[] => []);
  for (let i = 0; i < CALLS; i++) {
    for (let t = 0; t < targets.length; t++) {
      const start = performance.now();
      await call(targets[t]!, i);
      times[t]!.push(performance.now() - start);
    }
  }
  return times.map((list) => list.sort((a, b) => a - b));
}

function spawnHttp(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (process.env['BENCH_DEBUG']) process.stderr.write(chunk);
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ url: match[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

interface HttpTarget {
  label: string;
  url: string;
  tool: string;
  headers: Record<string, string>;
}

/**
 * Calls per second of each target with 32 concurrent SDK clients. Targets take turns in short
 * rounds so a change in machine load hits all of them alike.
 */
async function throughput(targets: HttpTarget[], clients = 32, errors: Map<string, number> = new Map()): Promise<Map<string, number>> {
  const pools = await Promise.all(
    targets.map(async (target) =>
      Promise.all(
        Array.from({ length: clients }, async () => {
          const client = new Client({ name: 'bench', version: '1' });
          await client.connect(new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: target.headers } }));
          return client;
        }),
      ),
    ),
  );
  const run = async (index: number, ms: number) => {
    let count = 0;
    const until = performance.now() + ms;
    await Promise.all(
      pools[index]!.map(async (client, n) => {
        while (performance.now() < until) {
          const label = targets[index]!.label;
          try {
            const result = await client.callTool({ name: targets[index]!.tool, arguments: { id: String((n % 5) + 1) } });
            if (result.isError) throw new Error(JSON.stringify(result.content));
            count++;
          } catch (error) {
            errors.set(label, (errors.get(label) ?? 0) + 1);
            if (errors.get(label) === 1) console.error(`${label}: ${(error as Error).message.slice(0, 300)}`);
          }
        }
      }),
    );
    return count;
  };
  for (let i = 0; i < targets.length; i++) await run(i, 500);
  const totals = targets.map(() => ({ count: 0, ms: 0 }));
  const rounds = Math.max(1, Math.round(SECONDS));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const start = performance.now();
      totals[i]!.count += await run(i, 1000);
      totals[i]!.ms += performance.now() - start;
    }
  }
  await Promise.all(pools.flat().map((client) => client.close()));
  return new Map(targets.map((target, i) => [target.label, totals[i]!.count / (totals[i]!.ms / 1000)]));
}

/** A project with 200 generated actions, compiled once (the warm build). */
async function bigProject(root: string, fakeApiUrl: string): Promise<void> {
  const source = readFileSync(fileURLToPath(new URL('../../test/fixtures/mcp/integrations/fake/actions/get-issue.ts', import.meta.url)), 'utf8');
  const dir = path.join(root, 'integrations', 'bulk');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  cpSync(fileURLToPath(new URL('../../test/fixtures/mcp/integrations/fake/models.ts', import.meta.url)), path.join(dir, 'models.ts'));
  cpSync(fileURLToPath(new URL('../../test/fixtures/mcp/integrations/fake/integration.json', import.meta.url)), path.join(dir, 'integration.json'));
  for (let i = 0; i < 200; i++) {
    writeFileSync(path.join(dir, 'actions', `action-${String(i).padStart(3, '0')}.ts`), source.replace('Fetch one issue by id.', `Generated action ${i}: fetch one issue by id.`));
  }
  const runtime = await createApp({ paths: resolvePaths({ cwd: root }), env: { ...process.env, FAKE_API_URL: fakeApiUrl }, logger: silentLogger() });
  await runtime.close();
}

async function startupMs(args: string[], cwd: string, env: NodeJS.ProcessEnv, expected: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const client = await stdioClient(args, cwd, env);
    const { tools } = await client.listTools();
    samples.push(performance.now() - start);
    if (tools.length < expected) throw new Error(`expected ${expected} tools, got ${tools.length}`);
    await client.close();
  }
  return samples.sort((a, b) => a - b)[2]!;
}

/** RSS (KB) of a stdio server 2 s after its first tools/list, and of its child processes. */
async function idleRss(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ own: number; childKb: number; children: number }> {
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd, env: env as Record<string, string>, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  try {
    await client.listTools();
    await new Promise((r) => setTimeout(r, 2000));
    const pid = transport.pid!;
    const rss = (p: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return { own: rss(pid), childKb: children.reduce((sum, p) => sum + rss(p), 0), children: children.length };
  } finally {
    await client.close();
  }
}

console.log(`CLI ${cli}`);
console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
const api = await startFakeApi();
const project = await createMcpProject(api.url);
const env = { ...project.env, PATCHBAY_LOG_LEVEL: 'error' };
const fmt = (n: number) => n.toFixed(3);
try {
  // 1. stdio round trip, calls interleaved
  const MODES = ['process', 'worker', 'inline'] as const;
  const label = (mode: string) => `--isolation ${mode}${mode === 'process' ? ', default' : ''}`;
  if (only('stdio')) {
    const base = await stdioClient([BASELINE, '--stdio'], project.root, env);
    const ours = await Promise.all(MODES.map((mode) => stdioClient([cli, 'serve', '--stdio', '--no-scheduler', '--isolation', mode], project.root, env)));
    const [baseTimes, ...modeTimes] = await roundTrips([{ client: base, tool: 'get_issue' }, ...ours.map((client) => ({ client, tool: 'fake_get-issue' }))]);
    await Promise.all([base.close(), ...ours.map((client) => client.close())]);
    const [bm, bp] = [quantile(baseTimes!, 0.5), quantile(baseTimes!, 0.99)];
    console.log(`stdio round trip (${CALLS} calls each, interleaved): baseline median ${fmt(bm)} ms p99 ${fmt(bp)} ms`);
    MODES.forEach((mode, i) => {
      const times = modeTimes[i]!;
      const [om, op] = [quantile(times, 0.5), quantile(times, 0.99)];
      const goal = mode === 'process' ? ' (goal p50 ≤ 1.15x, p99 ≤ 1.5x)' : '';
      console.log(`  patchbay (${label(mode)}): median ${fmt(om)} ms p99 ${fmt(op)} ms | ratio median ${(om / bm).toFixed(2)}x, p99 ${(op / bp).toFixed(2)}x${goal}, added at median ${fmt(om - bm)} ms`);
    });
  }
  // 2. HTTP throughput, 32 concurrent clients, targets interleaved
  if (only('http')) {
    const servers = [
      { label: 'baseline', started: await spawnHttp([BASELINE], project.root, env), tool: 'get_issue', headers: {} },
      ...(await Promise.all(
        MODES.map(async (mode) => ({
          label: mode,
          started: await spawnHttp([cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-scheduler', '--isolation', mode], project.root, env),
          tool: 'fake_get-issue',
          headers: { authorization: `Bearer ${SECRET}` },
        })),
      )),
    ];
    try {
      const rates = await throughput(servers.map((s) => ({ label: s.label, url: `${s.started.url}/mcp`, tool: s.tool, headers: s.headers })));
      const base = rates.get('baseline')!;
      console.log(`HTTP throughput, 32 clients, ${Math.max(1, Math.round(SECONDS))} interleaved 1 s rounds: baseline ${base.toFixed(0)} calls/s`);
      for (const mode of MODES) {
        const rate = rates.get(mode)!;
        console.log(`  patchbay (${label(mode)}): ${rate.toFixed(0)} calls/s | ratio ${(rate / base).toFixed(2)}x${mode === 'process' ? ' (goal ≥ 0.9x)' : ''}`);
      }
      // 128 clients at once on the default mode: every call must succeed.
      const errors = new Map<string, number>();
      const wide = await throughput([servers[0]!, servers[1]!].map((s) => ({ label: s.label, url: `${s.started.url}/mcp`, tool: s.tool, headers: s.headers })), 128, errors);
      console.log(
        `HTTP, 128 clients: baseline ${wide.get('baseline')!.toFixed(0)} calls/s, ${errors.get('baseline') ?? 0} errors | patchbay (--isolation process) ${wide.get('process')!.toFixed(0)} calls/s, ${errors.get('process') ?? 0} errors (goal: none)`,
      );
    } finally {
      for (const s of servers) await stopChild(s.started.child);
    }
  }
  // 3. a quick call while eight calls of the same caller hang on a slow upstream
  if (only('hang')) {
    const client = await stdioClient([cli, 'serve', '--stdio', '--no-scheduler'], project.root, env);
    try {
      const quick = async (n: number): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          const start = performance.now();
          const result = await client.callTool({ name: 'fake_get-issue', arguments: { id: String((i % 5) + 1) } });
          if (result.isError) throw new Error(JSON.stringify(result.content));
          times.push(performance.now() - start);
        }
        return quantile(times.sort((a, b) => a - b), 0.5);
      };
      await quick(50);
      const alone = await quick(200);
      const slowSeen = () => api.requests.filter((request) => request.path === '/slow').length;
      const before = slowSeen();
      const hanging = Array.from({ length: 8 }, () => client.callTool({ name: 'fake_slow-call', arguments: { ms: 120_000 } }, undefined, { timeout: 300_000 }).catch(() => undefined));
      for (let i = 0; i < 400 && slowSeen() < before + 8; i++) await new Promise((r) => setTimeout(r, 25));
      const during = await quick(200);
      console.log(
        `quick call with 8 calls of the same caller hanging upstream (default mode): median ${fmt(during)} ms vs ${fmt(alone)} ms alone | ratio ${(during / alone).toFixed(2)}x (goal ≤ 2x)`,
      );
      void hanging;
    } finally {
      await client.close();
    }
  }
  // 4. start → first tools/list with 200 actions
  if (only('start')) {
  await bigProject(project.root, api.url);
  const oursStart = await startupMs([cli, 'serve', '--stdio', '--no-scheduler'], project.root, env, 200);
  const baseStart = await startupMs([BASELINE, '--stdio'], project.root, env, 1);
  console.log(
    `start → first tools/list, ${200 + 7} actions, warm build: patchbay ${oursStart.toFixed(0)} ms (goal < 300 ms) | baseline server (1 tool) ${baseStart.toFixed(0)} ms | ratio ${(oursStart / baseStart).toFixed(2)}x`,
  );
  const ours = await idleRss([cli, 'serve', '--stdio', '--no-scheduler'], project.root, env);
  const baseRss = await idleRss([BASELINE, '--stdio'], project.root, env);
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  console.log(`idle RSS after tools/list, ${200 + 7} actions: patchbay serve ${mb(ours.own)} (goal < 120 MB), with its ${ours.children} runner process(es) ${mb(ours.own + ours.childKb)} | baseline server ${mb(baseRss.own)}`);
  }
} finally {
  await api.close();
  project.cleanup();
}
