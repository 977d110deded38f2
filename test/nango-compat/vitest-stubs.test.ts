import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { vitestOverrides } from '../../src/nango-test/vitest-stubs.ts';

describe('vitestOverrides', () => {
  let dir: string;
  const write = (name: string, text: string) => writeFile(path.join(dir, 'tests', name), text);
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pb-vitest-stubs-'));
    await mkdir(path.join(dir, 'tests'));
    await write(
      'acme-a.test.ts',
      `import run from '../actions/a.js';
       const NOW = new Date('2026-01-02T03:04:05Z');
       nangoMock.getConnection = vi.fn(async () => ({ connection_config: { region: 'eu', n: -1 }, metadata: null }));
       vi.spyOn(nangoMock, 'getMetadata').mockImplementation(() => { return { plan: 'pro', tags: ['x'] }; });
       vi.setSystemTime(NOW);
       expect(await run.exec(nangoMock, input)).toEqual(output);`,
    );
    await write(
      'acme-b.test.ts',
      `import run from '../syncs/b.js';
       nangoMock.checkpoint = { updated_after: '2024-01-01T00:00:00Z' };
       nangoMock.getConnection.mockResolvedValue({ connection_config: { id: someVariable } });
       vi.useFakeTimers({ now: 1778133182 * 1000 });`,
    );
    await write('acme-c.test.ts', `import run from '../actions/c.js';\nawait expect(run.exec(nangoMock, input)).rejects.toThrow('is locked');`);
    await write(
      'acme-d.test.ts',
      `import run from '../actions/d.js';\nvi.spyOn(nangoMock, 'post').mockRejectedValueOnce(new Error('x'));\nawait expect(run.exec(nangoMock, input)).rejects.toThrow('x');`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads literal connection and metadata stubs and the frozen clock, from the file importing the function', async () => {
    const a = await vitestOverrides(dir, 'a');
    assert.deepEqual(a.nango, { getConnection: { connection_config: { region: 'eu', n: -1 }, metadata: null }, getMetadata: { plan: 'pro', tags: ['x'] } });
    assert.equal(a.now, Date.parse('2026-01-02T03:04:05Z'));
    assert.equal(a.expectError, undefined);
  });

  it('reads the starting checkpoint and useFakeTimers({ now }), ignores non-literal stubs', async () => {
    const b = await vitestOverrides(dir, 'b');
    assert.deepEqual(b.nango, { getCheckpoint: { updated_after: '2024-01-01T00:00:00Z' } });
    assert.equal(b.now, 1778133182 * 1000);
  });

  it('takes rejects.toThrow as the expected failure only when the file injects no failure of its own', async () => {
    assert.deepEqual((await vitestOverrides(dir, 'c')).expectError, { message: 'is locked' });
    assert.equal((await vitestOverrides(dir, 'd')).expectError, undefined);
    assert.deepEqual(await vitestOverrides(dir, 'none'), { nango: {} });
  });
});
