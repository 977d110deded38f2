import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRouter } from '../../src/http/router.ts';

const noop = () => undefined;

test('router: params, wildcard, first match wins, 405 lists the allowed methods', () => {
  const router = createRouter();
  router.mount([
    { method: 'GET', path: '/records/:model', handler: noop },
    { method: ['POST', 'PUT'], path: '/webhooks/:integration/*', handler: noop, public: true },
    { method: 'GET', path: '/records/special', handler: noop },
  ]);
  const records = router.match('GET', '/records/Issue');
  assert.ok(records && 'route' in records);
  assert.deepEqual(records.params, { model: 'Issue' });
  const hook = router.match('POST', '/webhooks/github/a/b');
  assert.ok(hook && 'route' in hook);
  assert.deepEqual(hook.params, { integration: 'github', '*': 'a/b' });
  assert.equal(hook.route.public, true);
  const head = router.match('HEAD', '/records/x');
  assert.ok(head && 'route' in head);
  assert.deepEqual(router.match('DELETE', '/records/x'), { methodNotAllowed: ['GET'] });
  assert.equal(router.match('GET', '/nothing'), undefined);
  assert.equal(router.match('GET', '/records/a/b'), undefined);
  assert.equal(router.match('GET', '/records/%E0%A4%A'), undefined);
  assert.equal(router.routes().length, 3);
});
