/**
 * `patchbay test` end to end: the CLI from source, over Nango-style functions and fixtures written
 * for patchbay (test/fixtures/nango/integrations): unified and legacy layouts, two pages, several
 * models, metadata, checkpoint, trackDeletes, an expected failure, and two fixtures that must fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(ROOT, 'test/fixtures/nango/integrations');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(dir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'src/cli/main.ts'), '--integrations', path.join(dir, 'integrations'), '--home', path.join(dir, 'home'), ...args],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

describe('patchbay test', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pb-nango-test-'));
    await cp(FIXTURES, path.join(dir, 'integrations'), { recursive: true });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replays every fixture, prints a line per function and the verdict last, exits 1 on failure', async () => {
    const run = await cli(dir, 'test');
    assert.equal(run.code, 1, run.stderr);
    for (const name of ['get-user', 'create-ticket', 'whoami', 'find-ticket', 'list-projects', 'delete-ticket', 'tickets', 'recent-events']) {
      assert.match(run.stdout, new RegExp(`^ ✓ acme/${name} \\d+ms$`, 'm'));
    }
    assert.match(run.stdout, /^ ✗ broken\/get-user \d+ms$/m);
    assert.match(run.stdout, /name: expected "Grace Hopper", received "Grace Brewster Hopper"/);
    assert.match(run.stdout, /^ ✗ broken\/tickets \d+ms$/m);
    assert.match(run.stdout, /No recorded response for GET tickets\?cursor=c2/);
    assert.equal(lastLine(run.stdout), '8 passed, 2 failed');
  });

  it('selects one integration or one function, and prints JSON', async () => {
    const one = await cli(dir, 'test', 'acme');
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.equal(lastLine(one.stdout), '8 passed, 0 failed');

    const json = await cli(dir, 'test', 'acme/tickets', '--json');
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { passed: number; failed: number; results: Array<{ function: string; status: string; type: string }> };
    assert.equal(report.passed, 1);
    assert.deepEqual(report.results.map((r) => [r.function, r.type, r.status]), [['tickets', 'sync', 'passed']]);
  });

  it('fails a sync whose saved records differ, naming the model and the field', async () => {
    const file = path.join(dir, 'integrations/acme/tests/tickets.test.json');
    const original = await readFile(file, 'utf8');
    try {
      const fixture = JSON.parse(original);
      fixture.nango.batchSave.Comment[2].body = 'Seen on desktop';
      await writeFile(file, JSON.stringify(fixture));
      const run = await cli(dir, 'test', 'acme/tickets');
      assert.equal(run.code, 1);
      assert.match(run.stdout, /batchSave Comment differs/);
      assert.match(run.stdout, /\[2\]\.body: expected "Seen on desktop", received "Seen on mobile"/);
      assert.equal(lastLine(run.stdout), '0 passed, 1 failed');
    } finally {
      await writeFile(file, original);
    }
  });

  it('throws recorded 4xx responses when the fixture says httpErrors: throw, hands them back as data with --http-errors return', async () => {
    const thrown = await cli(dir, 'test', 'acme/find-ticket');
    assert.equal(thrown.code, 0, thrown.stdout);
    const returned = await cli(dir, 'test', 'acme/find-ticket', '--http-errors', 'return');
    assert.equal(returned.code, 1);
    assert.match(returned.stdout, /expected the function to fail/);
  });

  it('runs at the clock and with the connection stub of the function\'s vitest file', async () => {
    const file = path.join(dir, 'integrations/acme/tests/acme-recent-events.test.ts');
    const original = await readFile(file, 'utf8');
    try {
      await writeFile(file, original.replace("'2026-03-10T12:00:00Z'", "'2026-03-11T12:00:00Z'"));
      const moved = await cli(dir, 'test', 'acme/recent-events');
      assert.equal(moved.code, 1);
      assert.match(moved.stdout, /\[0\]\.since: expected "2026-03-03", received "2026-03-04"/);
    } finally {
      await writeFile(file, original);
    }
    const back = await cli(dir, 'test', 'acme/recent-events');
    assert.equal(back.code, 0, back.stdout);
  });

  it('expects the failure a vitest file asserts with rejects.toThrow', async () => {
    const file = path.join(dir, 'integrations/acme/tests/acme-delete-ticket.test.ts');
    const original = await readFile(file, 'utf8');
    try {
      await writeFile(file, original.replace("toThrow('is locked')", "toThrow('is archived')"));
      const wrong = await cli(dir, 'test', 'acme/delete-ticket');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, /expected an error containing "is archived", received "Ticket 77 is locked"/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('names an unknown function and exits 3 (not found)', async () => {
    const run = await cli(dir, 'test', 'acme/nope');
    assert.equal(run.code, 3);
    assert.match(run.stderr, /No function "nope" in integration "acme"/);
  });
});
