/**
 * Executor overhead benchmark: the fixture action `get-issue` (one GET to the fake API, which runs in a process of its own as a real provider is remote,
 * zod input/output validation) through the executor, against the same GET with plain undici in
 * the same process, measured in the same run. Reports the median latency per call and the
 * overhead over undici at concurrency 1, and calls/s at concurrency 1 and 64, for each isolation
 * mode: process (runner processes, the default), worker threads, inline.
 *
 *   node bench/runtime/index.ts [--calls 2000] [--warmup 300] [--only process]   (--only: variants whose name contains it)
 *
 * Goal (issue #13): median overhead per call in the default (process) mode under 0.15 ms.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { ensureBuilt } from '../../src/build/index.ts';
import { resolvePaths } from '../../src/config/paths.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createApp, type App } from '../../src/app.ts';
import { startRemoteFakeApi } from '../fake-api-process.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '300' }, only: { type: 'string', default: '' } },
});
const CALLS = Number(values.calls);
const WARMUP = Number(values.warmup);

type Call = () => Promise<unknown>;

interface Row {
  name: string;
  medianMs: number;
  p99Ms: number;
  rps1: number;
  rps64: number;
}

async function latencies(call: Call, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

async function throughput(call: Call, n: number, concurrency: number): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await call();
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

async function measure(name: string, call: Call): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await call();
  await throughput(call, WARMUP, 64);
  const sorted = await latencies(call, CALLS);
  const rps1 = await throughput(call, CALLS, 1);
  const rps64 = await throughput(call, CALLS, 64);
  return { name, medianMs: sorted[Math.floor(sorted.length / 2)]!, p99Ms: sorted[Math.floor(sorted.length * 0.99)]!, rps1, rps64 };
}

// The upstream runs in a process of its own: as remote to the baseline as to a runner.
const api = await startRemoteFakeApi();
const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-bench-runtime-'));
cpSync(fileURLToPath(new URL('../../test/fixtures/fake-integration/integrations', import.meta.url)), path.join(root, 'integrations'), { recursive: true });
const paths = resolvePaths({ cwd: root, env: {} });
const env = { FAKE_API_URL: api.url, PATCHBAY_ENCRYPTION_KEY: '0'.repeat(64) };
const runtimes: App[] = [];
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });

try {
  const manifest = await ensureBuilt(paths);
  const open = async (isolation: 'process' | 'worker' | 'inline', jobsPerWorker = 32): Promise<App> => {
    const runtime = await createApp({ paths, env, manifest, storeKind: 'memory', isolation, logger: silentLogger(), pool: { minWorkers: 2, jobsPerWorker } });
    await runtime.connections.add({ integrationId: 'fake', connectionId: 'bench', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
    runtimes.push(runtime);
    return runtime;
  };
  const action = (runtime: App, validate = true): Call => () =>
    runtime.executor.run({ integrationId: 'fake', name: 'get-issue', connectionId: 'bench', input: { id: '1' }, validate });

  const baseline: Call = async () => {
    const res = await request(`${api.url}/issues/1`, { dispatcher: agent, headers: { 'x-api-key': 'test-api-key', accept: 'application/json' } });
    return res.body.json();
  };

  const rows: Row[] = [];
  rows.push(await measure('undici GET (baseline)', baseline));
  const variants: Array<[string, () => Promise<Call>]> = [
    ['executor, process (default)', async () => action(await open('process'))],
    ['executor, worker (32 jobs/worker)', async () => action(await open('worker'))],
    ['executor, worker (1 job/worker)', async () => action(await open('worker', 1))],
    ['executor, inline', async () => action(await open('inline'))],
    ['executor, inline, validate:false', async () => action(await open('inline'), false)],
  ];
  for (const [name, make] of variants) if (name.includes(values.only)) rows.push(await measure(name, await make()));

  const base = rows[0]!;
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (v: number, d = 3) => v.toFixed(d).padStart(9);
  process.stdout.write(`\nexecutor overhead vs plain undici — ${CALLS} calls after ${WARMUP} warm-up, node ${process.version}, ${os.availableParallelism()} cores\n\n`);
  process.stdout.write(`${pad('variant', 36)} ${'median ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'overhead'.padStart(9)} ${'x base'.padStart(7)} ${'calls/s c1'.padStart(11)} ${'calls/s c64'.padStart(12)} ${'c64 x base'.padStart(11)}\n`);
  for (const row of rows) {
    process.stdout.write(
      `${pad(row.name, 36)} ${num(row.medianMs)} ${num(row.p99Ms)} ${num(row.medianMs - base.medianMs)} ${(row.medianMs / base.medianMs).toFixed(2).padStart(7)} ${row.rps1.toFixed(0).padStart(11)} ${row.rps64.toFixed(0).padStart(12)} ${(row.rps64 / base.rps64).toFixed(2).padStart(11)}\n`,
    );
  }
  process.stdout.write(`\noverhead = median(executor) − median(undici); goal for the default (process) mode < 0.150 ms per call\n`);

  // A whole sync run: 3 GETs (issues, two pages of items) and 28 records validated and saved.
  if (values.only === '') {
    const syncCall = (runtime: App): Call => () => runtime.executor.run({ integrationId: 'fake', name: 'issues', connectionId: 'bench' });
    const syncRuns = Math.max(50, Math.floor(CALLS / 10));
    const inline = await latencies(syncCall(await open('inline')), syncRuns);
    const inWorker = await latencies(syncCall(await open('worker')), syncRuns);
    const inRunner = await latencies(syncCall(await open('process')), syncRuns);
    const median = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)]!;
    const vs = (sorted: number[]) => `${median(sorted).toFixed(3)} ms (x${(median(sorted) / median(inline)).toFixed(2)})`;
    process.stdout.write(`\nsync "issues" (3 GETs, 28 records saved), ${syncRuns} runs: inline median ${median(inline).toFixed(3)} ms, worker ${vs(inWorker)}, process ${vs(inRunner)}\n`);
  }
} finally {
  for (const runtime of runtimes) await runtime.close();
  await agent.close();
  api.child.stdin!.end();
  rmSync(root, { recursive: true, force: true });
}
