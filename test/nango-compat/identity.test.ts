import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bodyIdentity, describeRequest, requestIdentity } from '../../src/nango-test/identity.ts';
import { RecordingBook } from '../../src/nango-test/matcher.ts';
import type { Recording } from '../../src/nango-test/fixture.ts';
import { PatchbayError } from '../../src/errors.ts';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('requestIdentity', () => {
  it('hashes method, endpoint without slash, merged sorted params, own headers and body', () => {
    const id = requestIdentity({
      method: 'POST',
      endpoint: '/repos/a/b?z=last',
      params: { b: 2, a: ['x', 'y'], skip: undefined },
      headers: { Authorization: 'Bearer secret', 'X-Api-Version': '3', 'Content-Type': 'application/json', accept: 'application/json' },
      data: { title: 'hi' },
    });
    const text = '{"method":"post","endpoint":"repos/a/b","params":[["a","x,y"],["b","2"],["z","last"]],"headers":[["X-Api-Version","3"]],"data":"{\\"title\\":\\"hi\\"}"}';
    assert.equal(id.hash, sha1(text));
    assert.equal(describeRequest(id), 'POST repos/a/b?a=x,y&b=2&z=last');
  });

  it('defaults to GET, accepts string params and absolute URLs, omits an absent body', () => {
    const id = requestIdentity({ endpoint: 'https://api.example.com/v1/items', params: '?page=2' });
    assert.equal(id.method, 'get');
    assert.equal(id.endpoint, 'v1/items');
    assert.deepEqual(id.params, [['page', '2']]);
    assert.equal(id.data, undefined);
    assert.equal(id.hash, sha1('{"method":"get","endpoint":"v1/items","params":[["page","2"]],"headers":[]}'));
  });

  it('replaces bodies past 1,000 characters by their sha1', () => {
    const long = 'x'.repeat(1001);
    assert.equal(bodyIdentity(long), `sha1:${sha1(long)}`);
    assert.equal(bodyIdentity('x'.repeat(1000)), 'x'.repeat(1000));
    assert.equal(bodyIdentity(''), undefined);
  });
});

describe('RecordingBook', () => {
  const rec = (r: Partial<Recording>): Recording => ({ method: 'get', endpoint: 'items', response: null, ...r });

  it('matches by hash, then by recorded params, headers and body', () => {
    const page1 = requestIdentity({ endpoint: '/items', params: { limit: 2 } });
    const book = new RecordingBook([
      rec({ hash: page1.hash, response: 'one' }),
      rec({ request: { params: { limit: '2', cursor: 'c2' } }, response: 'two' }),
      rec({ method: 'post', request: { data: { a: 1 } }, response: 'posted' }),
    ]);
    assert.equal(book.answer(page1).response, 'one');
    assert.equal(book.answer(requestIdentity({ endpoint: 'items', params: { cursor: 'c2', limit: 2 } })).response, 'two');
    assert.equal(book.answer(requestIdentity({ method: 'post', endpoint: 'items', data: { a: 1 } })).response, 'posted');
    assert.throws(() => book.answer(requestIdentity({ method: 'post', endpoint: 'items', data: { a: 2 } })), PatchbayError);
    assert.equal(book.unused().length, 0);
  });

  it('serves repeated identical requests in recorded order, then keeps the last', () => {
    const book = new RecordingBook([rec({ request: {}, response: 'pending' }), rec({ request: {}, response: 'done' })]);
    const id = requestIdentity({ endpoint: 'items' });
    assert.deepEqual([book.answer(id).response, book.answer(id).response, book.answer(id).response], ['pending', 'done', 'done']);
  });

  it('names method, endpoint and params when nothing was recorded', () => {
    const book = new RecordingBook([rec({ request: { params: { page: '1' } } })]);
    try {
      book.answer(requestIdentity({ endpoint: '/items', params: { page: 7 } }));
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof PatchbayError);
      assert.equal(error.code, 'NOT_FOUND');
      assert.match(error.message, /GET items\?page=7/);
      assert.match(error.message, /\?page=1/);
      assert.deepEqual(error.details, { method: 'GET', endpoint: 'items', params: { page: '7' } });
    }
  });

  it('serves a recording without identity only as the sole one, to a request without query', () => {
    const book = new RecordingBook([rec({ response: 'bare' })]);
    assert.equal(book.answer(requestIdentity({ endpoint: '/items' })).response, 'bare');
    assert.throws(() => book.answer(requestIdentity({ endpoint: '/items', params: { q: 1 } })), /No recorded response/);
  });
});

describe('clock-tolerant matching', () => {
  it('masks ISO dates, day-month-year dates and epoch times, nothing else', async () => {
    const { maskTime } = await import('../../src/nango-test/identity.ts');
    assert.equal(maskTime('since=2026-11-22T03:00:00.000Z&to=2026-11-22'), 'since=<t>&to=<t>');
    assert.equal(maskTime('sdate=22-Nov-2026&end=20261122T00'), 'sdate=<t>&end=<t>');
    assert.equal(maskTime('{"updated_at":1732247034,"ms":1732247034123,"id":12345}'), '{"updated_at":<t>,"ms":<t>,"id":12345}');
  });

  it('serves a recording whose params and body differ only in dates, when nothing matches exactly', () => {
    const book = new RecordingBook([
      { method: 'post', endpoint: 'search', response: 'found', request: { params: { from: '2024-01-01' }, data: { after: 1715074877 } } },
    ]);
    const now = requestIdentity({ method: 'POST', endpoint: '/search', params: { from: '2026-11-22' }, data: { after: 1763780000 } });
    assert.equal(book.answer(now).response, 'found');
    const other = requestIdentity({ method: 'POST', endpoint: '/search', params: { from: 'yesterday' }, data: { after: 1763780000 } });
    assert.throws(() => new RecordingBook(book.recordings).answer(other), /No recorded response/);
  });
});
