/**
 * Store overhead benchmark, SQLite file, same run: each patchbay path against the bare
 * node:sqlite statement it wraps.
 *
 *   connection read   service.get (row + AES-GCM unseal + JSON)   vs  prepared SELECT
 *   kv set+get        Keyv over our node:sqlite adapter            vs  prepared UPSERT + SELECT
 *   lock acquire+rel  LockStore                                    vs  prepared UPSERT + DELETE
 *
 *   node bench/store/index.ts [--ops 20000]
 *
 * Prints ops/s and the ratio to the baseline (no fixed time asserted anywhere).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { createConnectionService } from '../../src/connections/service.ts';
import { openStore } from '../../src/store/open.ts';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '20000' } } });
const ops = Number(values.ops);

async function measure(one: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 500; i++) await one(i);
  const t = performance.now();
  for (let i = 0; i < ops; i++) await one(i);
  return ops / ((performance.now() - t) / 1000);
}

function report(label: string, ours: number, base: number): void {
  console.log(`${label.padEnd(18)} patchbay ${ours.toFixed(0).padStart(8)} ops/s   baseline ${base.toFixed(0).padStart(8)} ops/s   ratio ${(base / ours).toFixed(2)}x`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-store-'));
const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'pb.db') });
const raw = new DatabaseSync(path.join(dir, 'raw.db'));
raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
raw.exec('CREATE TABLE c (i TEXT, c TEXT, body TEXT, PRIMARY KEY (i, c)); CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, expires_at INTEGER); CREATE TABLE locks (key TEXT PRIMARY KEY, owner TEXT, expires_at INTEGER)');
try {
  const connections = createConnectionService({ store, key: randomBytes(32) });
  await connections.add({ integrationId: 'github', connectionId: 'alice', credentials: { type: 'OAUTH2', access_token: 'a'.repeat(40), refresh_token: 'r'.repeat(40), raw: { scope: 'repo' } } });
  raw.prepare('INSERT INTO c VALUES (?, ?, ?)').run('github', 'alice', JSON.stringify({ access_token: 'a'.repeat(40) }));
  const selectRaw = raw.prepare('SELECT * FROM c WHERE i = ? AND c = ?');
  report('connection read', await measure(() => connections.get('github', 'alice')), await measure(() => JSON.parse(String((selectRaw.get('github', 'alice') as { body: string }).body))));

  const upsert = raw.prepare('INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
  const select = raw.prepare('SELECT value FROM kv WHERE key = ?');
  report(
    'kv set+get',
    await measure(async (i) => {
      await store.kv.set(`k${i % 100}`, { n: i }, 60_000);
      await store.kv.get(`k${i % 100}`);
    }),
    await measure((i) => {
      upsert.run(`k${i % 100}`, JSON.stringify({ n: i }), Date.now() + 60_000);
      JSON.parse(String((select.get(`k${i % 100}`) as { value: string }).value));
    }),
  );

  const acquire = raw.prepare('INSERT INTO locks VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE locks.expires_at <= ? OR locks.owner = excluded.owner');
  const release = raw.prepare('DELETE FROM locks WHERE key = ? AND owner = ? AND expires_at > ?');
  report(
    'lock acquire+rel',
    await measure(async (i) => {
      await store.locks.tryAcquire(`l${i % 10}`, 'me', 60_000);
      await store.locks.release(`l${i % 10}`, 'me');
    }),
    await measure((i) => {
      const now = Date.now();
      acquire.run(`l${i % 10}`, 'me', now + 60_000, now);
      release.run(`l${i % 10}`, 'me', now);
    }),
  );
} finally {
  raw.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
