import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolFromEnv } from '../../src/app.ts';

test('pool settings come from the environment, and a bad value is refused with its name', () => {
  assert.deepEqual(poolFromEnv({}), {});
  assert.deepEqual(poolFromEnv({ PATCHBAY_WORKERS: '8', PATCHBAY_WORKER_MEMORY_MB: '512', PATCHBAY_JOBS_PER_WORKER: '2' }), {
    maxWorkers: 8,
    memoryLimitMb: 512,
    jobsPerWorker: 2,
  });
  assert.throws(() => poolFromEnv({ PATCHBAY_WORKER_MEMORY_MB: 'lots' }), /PATCHBAY_WORKER_MEMORY_MB must be a positive whole number \(got "lots"\)/);
});
