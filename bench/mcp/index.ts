/**
 * MCP benchmark: patchbay's MCP server against a minimal hand-written SDK server doing the same
 * GET inline (baseline-server.ts), same run, same fake API. Prints:
 *
 * 1. stdio tool-call round trip: median and p99 of each, their ratio, and the median added (ms);
 *    goal ≤ 1.3x and < 1 ms added.
 * 2. HTTP throughput with 32 concurrent clients (calls/s) and the ratio to the baseline; goal ≥ 0.8x.
 * 3. Process start → first tools/list answer with 200 actions (warm build); goal < 1 s.
 *
 * Run: node bench/mcp/index.ts [--calls 400] [--seconds 5] [--only stdio|http|start] [--cli dist/cli/main.js]
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
import { createRuntime } from '../../src/runtime/runtime.ts';
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

async function roundTrips(client: Client, tool: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) await client.callTool({ name: tool, arguments: { id: String((i % 5) + 1) } });
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    const result = await client.callTool({ name: tool, arguments: { id: String((i % 5) + 1) } });
    times.push(performance.now() - start);
    if (result.isError) throw new Error(`${tool} failed: ${JSON.stringify(result.content)}`);
  }
  return times.sort((a, b) => a - b);
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

async function throughput(url: string, tool: string, headers: Record<string, string>): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: 32 }, async () => {
      const client = new Client({ name: 'bench', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      return client;
    }),
  );
  const run = async (ms: number) => {
    let count = 0;
    const until = performance.now() + ms;
    await Promise.all(
      clients.map(async (client, index) => {
        while (performance.now() < until) {
          const result = await client.callTool({ name: tool, arguments: { id: String((index % 5) + 1) } });
          if (result.isError) throw new Error(JSON.stringify(result.content));
          count++;
        }
      }),
    );
    return count;
  };
  await run(1000);
  const start = performance.now();
  const count = await run(SECONDS * 1000);
  const rate = count / ((performance.now() - start) / 1000);
  await Promise.all(clients.map((client) => client.close()));
  return rate;
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
  const runtime = await createRuntime({ paths: resolvePaths({ cwd: root }), env: { ...process.env, FAKE_API_URL: fakeApiUrl }, logger: silentLogger() });
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

console.log(`CLI ${cli}`);
console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
const api = await startFakeApi();
const project = await createMcpProject(api.url);
const env = { ...project.env, PATCHBAY_LOG_LEVEL: 'error' };
const fmt = (n: number) => n.toFixed(3);
try {
  // 1. stdio round trip
  if (only('stdio')) {
    const base = await stdioClient([BASELINE, '--stdio'], project.root, env);
    const baseTimes = await roundTrips(base, 'get_issue');
    await base.close();
    const [bm, bp] = [quantile(baseTimes, 0.5), quantile(baseTimes, 0.99)];
    console.log(`stdio round trip (${CALLS} calls): baseline median ${fmt(bm)} ms p99 ${fmt(bp)} ms`);
    for (const isolation of ['worker', 'inline']) {
      const ours = await stdioClient([cli, 'serve', '--stdio', '--no-scheduler', '--isolation', isolation], project.root, env);
      const oursTimes = await roundTrips(ours, 'fake_get-issue');
      await ours.close();
      const [om, op] = [quantile(oursTimes, 0.5), quantile(oursTimes, 0.99)];
      console.log(
        `  patchbay (--isolation ${isolation}${isolation === 'worker' ? ', default' : ''}): median ${fmt(om)} ms p99 ${fmt(op)} ms | ratio median ${(om / bm).toFixed(2)}x (goal ≤ 1.3x), p99 ${(op / bp).toFixed(2)}x, added at median ${fmt(om - bm)} ms (goal < 1 ms)`,
      );
    }
  }
  // 2. HTTP throughput, 32 concurrent clients
  if (only('http')) {
    const baseHttp = await spawnHttp([BASELINE], project.root, env);
    let baseRate: number;
    try {
      baseRate = await throughput(`${baseHttp.url}/mcp`, 'get_issue', {});
    } finally {
      await stopChild(baseHttp.child);
    }
    console.log(`HTTP throughput, 32 clients, ${SECONDS} s: baseline ${baseRate.toFixed(0)} calls/s`);
    for (const isolation of ['worker', 'inline']) {
      const oursHttp = await spawnHttp([cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--no-scheduler', '--isolation', isolation], project.root, env);
      try {
        const oursRate = await throughput(`${oursHttp.url}/mcp`, 'fake_get-issue', { authorization: `Bearer ${SECRET}` });
        console.log(`  patchbay (--isolation ${isolation}${isolation === 'worker' ? ', default' : ''}): ${oursRate.toFixed(0)} calls/s | ratio ${(oursRate / baseRate).toFixed(2)}x (goal ≥ 0.8x)`);
      } finally {
        await stopChild(oursHttp.child);
      }
    }
  }
  // 3. start → first tools/list with 200 actions
  if (only('start')) {
  await bigProject(project.root, api.url);
  const oursStart = await startupMs([cli, 'serve', '--stdio', '--no-scheduler'], project.root, env, 200);
  const baseStart = await startupMs([BASELINE, '--stdio'], project.root, env, 1);
  console.log(`start → first tools/list, ${200 + 7} actions, warm build: patchbay ${oursStart.toFixed(0)} ms (goal < 1000 ms) | baseline server (1 tool) ${baseStart.toFixed(0)} ms`);
  }
} finally {
  await api.close();
  project.cleanup();
}
