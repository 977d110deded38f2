/**
 * The state files on disk: PATCHBAY_HOME 0700 and every file in it 0600 whatever the umask (the
 * WAL and SHM too, which SQLite creates itself), and a database path holding something that is
 * not a whole database (empty, another file, truncated, damaged, a WAL without its database)
 * refused with one line, the file left as it was.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { openProjectStore } from '../../src/app.ts';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';
import { loadKeyRing } from '../../src/connections/key-file.ts';
import { createConnectionService } from '../../src/connections/service.ts';
import { PatchbayError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open.ts';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-files-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
/** A project folder with PATCHBAY_HOME at `<project>/.patchbay` (not created). */
const project = (): ProjectPaths => resolvePaths({ cwd: path.join(root, `p${++count}`) });
const modeOf = (file: string): string => (statSync(file).mode & 0o777).toString(8);

let umask: number;
beforeEach(() => {
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
});

async function writeOneConnection(paths: ProjectPaths): Promise<void> {
  const store = await openProjectStore(paths, {});
  try {
    const connections = createConnectionService({ store, key: await loadKeyRing({ keyFile: paths.keyFile, store, env: {} }) });
    await connections.add({ integrationId: 'gh', connectionId: 'alice', credentials: { type: 'BEARER', token: 'secret-token-value' } });
    // While the store is open the WAL and SHM exist; check them now.
    for (const file of [paths.databaseFile, `${paths.databaseFile}-wal`, `${paths.databaseFile}-shm`, paths.keyFile]) {
      assert.equal(modeOf(file), '600', `${path.basename(file)} is ${modeOf(file)}`);
    }
  } finally {
    await store.close();
  }
}

describe('state file permissions (umask 022)', () => {
  it('a new PATCHBAY_HOME is 0700; the database, -wal, -shm and encryption.key are 0600', async () => {
    const paths = project();
    await writeOneConnection(paths);
    assert.equal(modeOf(paths.home), '700');
    assert.equal(modeOf(paths.databaseFile), '600');
  });

  it('an existing 0755 home (as build/ leaves it) is tightened to 0700', async () => {
    const paths = project();
    mkdirSync(paths.buildDir, { recursive: true, mode: 0o755 });
    chmodSync(paths.home, 0o755);
    await writeOneConnection(paths);
    assert.equal(modeOf(paths.home), '700');
    assert.equal(modeOf(paths.buildDir), '755', 'build/ holds no secret and is left alone');
  });

  it('state files an older patchbay left 0644 (database, -wal, -shm, key files) are tightened on open', async () => {
    const paths = project();
    await writeOneConnection(paths);
    // Simulate files written by hand or by an older version: a live WAL beside a 0644 database.
    const keep = new DatabaseSync(paths.databaseFile);
    keep.exec('PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)');
    writeFileSync(`${paths.keyFile}.next`, readFileSync(paths.keyFile));
    for (const file of [paths.databaseFile, `${paths.databaseFile}-wal`, `${paths.databaseFile}-shm`, paths.keyFile, `${paths.keyFile}.next`]) chmodSync(file, 0o644);
    try {
      const store = await openProjectStore(paths, {});
      await loadKeyRing({ keyFile: paths.keyFile, store, env: {} });
      await store.close();
      for (const file of [paths.databaseFile, `${paths.databaseFile}-wal`, `${paths.databaseFile}-shm`, paths.keyFile, `${paths.keyFile}.next`]) {
        assert.equal(modeOf(file), '600', path.basename(file));
      }
    } finally {
      keep.close();
    }
  });
});

describe('a database file that is not a whole database is refused, never re-initialised', () => {
  const refused = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof PatchbayError, String(error));
    assert.equal(error.code, 'STORE_ERROR');
    assert.match(error.message, pattern);
    assert.match(error.message, /patchbay will not overwrite it\. Restore it from a backup, or move it away/);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  };

  it('a zero-byte patchbay.db: refused, left at 0 bytes, no WAL created; the CLI says it in one line', async () => {
    const paths = project();
    mkdirSync(paths.home, { recursive: true });
    writeFileSync(paths.databaseFile, '');
    await assert.rejects(openProjectStore(paths, {}), refused(/patchbay\.db is empty \(0 bytes\)/));
    assert.equal(statSync(paths.databaseFile).size, 0);
    assert.ok(!existsSync(`${paths.databaseFile}-wal`));

    const cli = spawnSync(process.execPath, [MAIN, 'connection', 'list', '--home', paths.home], { cwd: paths.root, encoding: 'utf8', env: childEnv() });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /^error \[STORE_ERROR\]: \S+patchbay\.db is empty \(0 bytes\).*will not overwrite it.*mv /);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
    assert.equal(statSync(paths.databaseFile).size, 0);
  });

  it('a file that is not SQLite', async () => {
    const paths = project();
    mkdirSync(paths.home, { recursive: true });
    writeFileSync(paths.databaseFile, '{"connections": []}\n'.repeat(20));
    const before = readFileSync(paths.databaseFile);
    await assert.rejects(openProjectStore(paths, {}), refused(/is not a SQLite database \(\d+ bytes/));
    assert.deepEqual(readFileSync(paths.databaseFile), before);
  });

  it('a truncated copy', async () => {
    const paths = project();
    const source = path.join(root, `big-${count}.db`);
    const db = new DatabaseSync(source);
    db.exec('CREATE TABLE t (x); BEGIN');
    for (let i = 0; i < 500; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(200));
    db.exec('COMMIT');
    db.close();
    mkdirSync(paths.home, { recursive: true });
    copyFileSync(source, paths.databaseFile);
    truncateSync(paths.databaseFile, 4096 * 3 + 100);
    await assert.rejects(openProjectStore(paths, {}), refused(/is truncated/));
    truncateSync(paths.databaseFile, 4096 * 3);
    await assert.rejects(openProjectStore(paths, {}), refused(/is truncated \(12288 bytes, its header says/));
  });

  it('a damaged one (valid header, garbage pages): SQLite corruption reported the same way', async () => {
    const paths = project();
    await writeOneConnection(paths);
    const bytes = readFileSync(paths.databaseFile);
    bytes.fill(0x5a, 100, 4096 * 2); // schema page and beyond
    writeFileSync(paths.databaseFile, bytes);
    await assert.rejects(openProjectStore(paths, {}), refused(/is damaged \(SQLite: /));
  });

  it('a -wal left without its database is not replayed into a new one', async () => {
    const paths = project();
    await writeOneConnection(paths);
    const keep = new DatabaseSync(paths.databaseFile);
    keep.exec('PRAGMA wal_autocheckpoint = 0; INSERT INTO kv (key, value) VALUES (\'k\', \'v\')');
    const wal = readFileSync(`${paths.databaseFile}-wal`);
    keep.close();
    rmSync(paths.databaseFile);
    writeFileSync(`${paths.databaseFile}-wal`, wal);
    await assert.rejects(openProjectStore(paths, {}), (error: unknown) => error instanceof PatchbayError && /patchbay\.db is missing but its write-ahead log .*-wal is still there/.test(error.message));
    assert.ok(!existsSync(paths.databaseFile), 'no database created over the log');
  });

  it('several processes creating the same new database at once all open it (no one sees it empty)', async () => {
    const file = path.join(root, `race-${++count}`, 'patchbay.db');
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'lock-child.ts'), file], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() }),
    );
    try {
      const outcomes = await Promise.all(
        children.map(async (child) => {
          let stderr = '';
          child.stderr.on('data', (chunk) => (stderr += chunk));
          for await (const line of createInterface({ input: child.stdout })) return line;
          return `exited: ${stderr}`;
        }),
      );
      assert.deepEqual(outcomes, children.map(() => '{"ready":true}'));
    } finally {
      for (const child of children) child.stdin.end(`${JSON.stringify({ op: 'exit' })}\n`);
    }
    assert.equal(modeOf(file), '600');
    const store = await openStore({ kind: 'sqlite', file });
    await store.close();
  });
});

/** The environment without the test runner's marker, which would make the child report as a test. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['NODE_TEST_CONTEXT', 'PATCHBAY_ENCRYPTION_KEY', 'PATCHBAY_HOME', 'PATCHBAY_DATABASE_URL']) delete env[name];
  return env;
}
