import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastTimers, freezeClock } from '../../src/nango-test/clock.ts';

describe('replay clock', () => {
  it('freezes Date.now() and new Date() at the given instant, keeps explicit dates, restores', () => {
    const RealDate = Date;
    const restore = freezeClock('2026-03-10T12:00:00Z');
    try {
      assert.equal(Date.now(), RealDate.parse('2026-03-10T12:00:00Z'));
      assert.equal(new Date().toISOString(), '2026-03-10T12:00:00.000Z');
      assert.equal(new Date('2020-01-01T00:00:00Z').getUTCFullYear(), 2020);
      assert.ok(new Date() instanceof RealDate);
    } finally {
      restore();
    }
    assert.equal(Date, RealDate);
    assert.notEqual(new Date().getUTCFullYear(), 2020);
  });

  it('rejects a "now" that is not a date', () => {
    assert.throws(() => freezeClock('yesterday'), /not a date/);
  });

  it('fires a long sleep on the next turn while installed, and only then', async () => {
    const realSetTimeout = setTimeout;
    const restore = fastTimers();
    let fired = false;
    try {
      setTimeout(() => (fired = true), 600_000);
      await new Promise((resolve) => realSetTimeout(resolve, 1));
    } finally {
      restore();
    }
    assert.equal(fired, true);
    assert.equal(setTimeout, realSetTimeout);
    const timer = setTimeout(() => assert.fail('a restored setTimeout keeps its delay'), 600_000);
    clearTimeout(timer);
  });
});
