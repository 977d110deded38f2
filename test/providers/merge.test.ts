/**
 * The merge rules shared by integration.json overrides and a call's own `paginate`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePagination, mergeProxy } from '../../src/providers/index.ts';
import type { ProviderProxy } from '../../src/providers/index.ts';

const cursor = { type: 'cursor', cursor_name_in_request: 'cursor', cursor_path_in_response: 'next', limit_name_in_request: 'limit' } as const;

describe('mergePagination', () => {
  it('returns undefined when neither side paginates, and copies a lone side', () => {
    assert.equal(mergePagination(undefined, undefined), undefined);
    const base = mergePagination(cursor, undefined)!;
    assert.deepEqual(base, cursor);
    assert.notEqual(base, cursor);
    assert.deepEqual(mergePagination(undefined, { limit: 5 }), { limit: 5 });
  });

  it('merges a partial or same-type override field by field', () => {
    assert.deepEqual(mergePagination(cursor, { limit: 100, response_path: 'data' }), { ...cursor, limit: 100, response_path: 'data' });
    assert.deepEqual(mergePagination(cursor, { type: 'cursor', cursor_path_in_response: 'meta.next' }), { ...cursor, cursor_path_in_response: 'meta.next' });
  });

  it('replaces the default when the override is another type', () => {
    const link = { type: 'link', link_rel_in_response_header: 'next' } as const;
    assert.deepEqual(mergePagination(cursor, link), link);
  });
});

describe('mergeProxy', () => {
  const base: ProviderProxy = {
    base_url: 'https://api.example.com',
    headers: { Accept: 'application/json' },
    query: { v: '1' },
    retry: { at: 'x-reset' },
    paginate: cursor,
    verification: { endpoints: ['/me'], method: 'GET' },
  };

  it('replaces scalars and verification, merges maps, leaves the base untouched', () => {
    const merged = mergeProxy(base, {
      base_url: 'https://eu.example.com',
      headers: { 'X-Version': '2' },
      query: { v: '2' },
      retry: { after: 'retry-after' },
      verification: { endpoints: ['/ping'] },
      decompress: true,
    });
    assert.deepEqual(merged, {
      base_url: 'https://eu.example.com',
      headers: { Accept: 'application/json', 'X-Version': '2' },
      query: { v: '2' },
      retry: { at: 'x-reset', after: 'retry-after' },
      paginate: cursor,
      verification: { endpoints: ['/ping'] },
      decompress: true,
    });
    assert.deepEqual(base.headers, { Accept: 'application/json' });
    assert.equal(base.base_url, 'https://api.example.com');
  });

  it('ignores undefined override fields', () => {
    assert.deepEqual(mergeProxy(base, { base_url: undefined, headers: undefined }), base);
  });
});
