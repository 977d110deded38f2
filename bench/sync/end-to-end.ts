/**
 * The sync path as a user runs it: `patchbay sync run` (the source CLI, a warm build) of a sync
 * that pages through an API in another process (pages of 100 ~1 KB records) and `batchSave`s each
 * page, in a runner process, into the embedded SQLite store. The floor, in the same run: the same
 * pages fetched with undici and inserted with raw node:sqlite, a transaction per page. Prints
 * both, the ratio (goal ≥ 0.8x), the run's own duration (without the process start) and the
 * command's peak RSS.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const API = fileURLToPath(new URL('./records-api.ts', import.meta.url));
const PAGE = 100;

export const SYNC = `import { createSync } from 'nango';
import { z } from 'zod';

const Rec = z.object({
    id: z.string(),
    number: z.number(),
    title: z.string(),
    state: z.string(),
    author: z.object({ login: z.string(), id: z.number(), site_admin: z.boolean() }),
    labels: z.array(z.string()),
    created_at: z.string(),
    body: z.string()
});

type Page = { records: z.infer<typeof Rec>[]; next_cursor: string | null };

export default createSync({
    description: 'Every record of the benchmark API, a page of ${PAGE} at a time.',
    frequency: 'every day',
    syncType: 'full',
    autoStart: false,
    models: { Rec },
    exec: async (nango) => {
        let cursor: string | null = '0';
        while (cursor !== null) {
            const page: { data: Page } = await nango.get<Page>({ endpoint: '/records', params: { cursor, limit: ${PAGE} } });
            await nango.batchSave(page.data.records, 'Rec');
            cursor = page.data.next_cursor;
        }
    }
});
`;

/** Runs the end-to-end comparison for `total` records in a project under `dir`. */
export async function endToEnd(total: number, dir: string): Promise<void> {
  const api = spawn(process.execPath, [API, String(total)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      api.stdout!.setEncoding('utf8');
      api.stdout!.once('data', (line: string) => resolve(line.trim()));
      api.once('exit', (code) => reject(new Error(`the records API exited (${code})`)));
    });
    const floorMs = await floor(url, total, path.join(dir, 'floor.db'));

    const root = path.join(dir, 'e2e');
    mkdirSync(path.join(root, 'integrations', 'bulk', 'syncs'), { recursive: true });
    writeFileSync(path.join(root, 'integrations', 'bulk', 'integration.json'), JSON.stringify({ provider: { auth_mode: 'API_KEY', base_url: '${BULK_API_URL}', proxy: { headers: { 'x-api-key': '${apiKey}' } } } }));
    writeFileSync(path.join(root, 'integrations', 'bulk', 'syncs', 'records.ts'), SYNC);
    const env = { ...process.env, BULK_API_URL: url, PATCHBAY_HOME: path.join(root, '.patchbay'), PATCHBAY_LOG_LEVEL: 'warn' };
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 });
    await cli('compile');
    await cli('connection', 'add', 'bulk', 'c1', '--api-key', 'bench-key');
    const started = performance.now();
    // GNU time's %M (peak RSS, KB) goes to stderr after the command's own output.
    const timed = await promisify(execFile)('/usr/bin/time', ['-f', 'peak-rss-kb %M', process.execPath, CLI, 'sync', 'run', 'records', '--connection', 'c1', '--json'], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }).catch(
      // No /usr/bin/time: run without the RSS figure.
      () => cli('sync', 'run', 'records', '--connection', 'c1', '--json'),
    );
    const commandMs = performance.now() - started;
    const run = JSON.parse(timed.stdout) as { status: string; added: number; duration_ms: number | null };
    if (run.status !== 'success' || run.added !== total) throw new Error(`the sync ended ${run.status} with ${run.added} records added, expected ${total}`);
    const rssKb = /peak-rss-kb (\d+)/.exec(String(timed.stderr))?.[1];
    console.log(`\nend to end, ${total} records in pages of ${PAGE} from another process:`);
    console.log(`  floor (undici + raw node:sqlite, a transaction per page)  ${floorMs.toFixed(0).padStart(7)} ms  ${Math.round(total / (floorMs / 1000))} rec/s`);
    console.log(`  patchbay sync run (command, start to exit)               ${commandMs.toFixed(0).padStart(7)} ms  ${Math.round(total / (commandMs / 1000))} rec/s  ${(floorMs / commandMs).toFixed(2)}x floor (goal ≥ 0.8x)`);
    if (run.duration_ms !== null) {
      console.log(`  the run itself (its duration_ms, no process start)       ${run.duration_ms.toFixed(0).padStart(7)} ms  ${(floorMs / run.duration_ms).toFixed(2)}x floor`);
    }
    if (rssKb !== undefined) console.log(`  peak RSS of the sync run command (server process): ${(Number(rssKb) / 1024).toFixed(0)} MB`);
  } finally {
    api.stdin!.end();
  }
}

/** The same pages with undici and raw node:sqlite. */
async function floor(url: string, total: number, file: string): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE rows (id TEXT PRIMARY KEY, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO rows (id, data) VALUES (?, ?)');
  const started = performance.now();
  let cursor: string | null = '0';
  let saved = 0;
  while (cursor !== null) {
    const res = await request(`${url}/records?cursor=${cursor}&limit=${PAGE}`, { dispatcher: agent, headers: { 'x-api-key': 'bench-key' } });
    const page = (await res.body.json()) as { records: Array<{ id: string }>; next_cursor: string | null };
    db.exec('BEGIN');
    for (const row of page.records) insert.run(row.id, JSON.stringify(row));
    db.exec('COMMIT');
    saved += page.records.length;
    cursor = page.next_cursor;
  }
  const ms = performance.now() - started;
  db.close();
  await agent.close();
  if (saved !== total) throw new Error(`the floor saved ${saved} records, expected ${total}`);
  return ms;
}
