/** paginate() with each strategy, driven through the real client against the fake API's paged endpoints. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Pagination, ProxyConfiguration } from '../../src/define/context.ts';
import { PatchbayError } from '../../src/errors.ts';
import { createHttpClient, type RequestContext } from '../../src/upstream/client.ts';
import { getPath, paginate, parseLinkHeader } from '../../src/upstream/paginate.ts';
import { startFakeApi, type FakeApi } from '../fake-api/server.ts';
import { connect, FAST_RETRY, fakeIntegration, openStack, type Stack } from './helpers.ts';

let api: FakeApi;
let stack: Stack;
let ctx: RequestContext & { calls: { url: string }[] };
const http = createHttpClient({ retry: FAST_RETRY });
const ALL = Array.from({ length: 23 }, (_, i) => `item-${i + 1}`);

before(async () => {
  api = await startFakeApi();
  stack = await openStack();
  const integration = fakeIntegration(api.url, 'API_KEY', { proxy: { base_url: api.url, headers: { 'x-api-key': '${apiKey}' } } });
  ctx = await connect(stack, integration, 'pager', { type: 'API_KEY', api_key: 'test-api-key' });
});
after(async () => {
  await http.close();
  await api.close();
  await stack.close();
});

async function collect(config: ProxyConfiguration, defaults?: Partial<Pagination>): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of paginate<{ id: string }>((c) => http.request(ctx, c), config, defaults)) pages.push(page.map((i) => i.id));
  return pages;
}

test('cursor: follows next_cursor until it is null', async () => {
  const pages = await collect({
    endpoint: '/paged/cursor',
    paginate: { type: 'cursor', cursor_path_in_response: 'next_cursor', cursor_name_in_request: 'cursor', response_path: 'items', limit: 10, limit_name_in_request: 'limit' },
  });
  assert.deepEqual(pages.map((p) => p.length), [10, 10, 3]);
  assert.deepEqual(pages.flat(), ALL);
});

test('cursor with POST puts cursor and limit in the JSON body (dotted names expanded)', async () => {
  const seen: unknown[] = [];
  const pages = await collect({
    endpoint: '/paged/cursor',
    method: 'POST',
    data: { filter: 'open' },
    paginate: {
      type: 'cursor', cursor_path_in_response: 'next_cursor', cursor_name_in_request: 'cursor', response_path: 'items', limit: 8, limit_name_in_request: 'limit',
      on_page: ({ nextPageParam }) => void seen.push(nextPageParam),
    },
  });
  assert.deepEqual(pages.map((p) => p.length), [8, 8, 7]);
  const posts = api.requests.filter((r) => r.method === 'POST' && r.path === '/paged/cursor');
  assert.deepEqual(posts[0]!.body, { filter: 'open', limit: 8 });
  assert.equal((posts[1]!.body as { cursor: string }).cursor, seen[0]);
  assert.equal(seen.at(-1), undefined);
  // Pure: dotted request names become nested body objects.
  const bodies: unknown[] = [];
  const fake = async (c: ProxyConfiguration) => {
    bodies.push(c.data);
    return { data: { items: [] }, status: 200, headers: {} };
  };
  for await (const _ of paginate(fake, { endpoint: '/x', method: 'POST', paginate: { type: 'cursor', cursor_path_in_response: 'n', cursor_name_in_request: 'page.cursor', limit: 5, limit_name_in_request: 'page.size', response_path: 'items' } })) void _;
  assert.deepEqual(bodies, [{ page: { size: 5 } }]);
});

test('link: Link header rel="next", and a path in the body (relative links too)', async () => {
  const header = await collect({ endpoint: '/paged/link', params: { per_page: 10 }, paginate: { type: 'link', link_rel_in_response_header: 'next', response_path: 'items' } });
  assert.deepEqual(header.flat(), ALL);
  const body = await collect({ endpoint: '/paged/link', params: { per_page: 5, relative: 1 }, paginate: { type: 'link', link_path_in_response_body: 'links.next', response_path: 'items' } });
  assert.deepEqual(body.map((p) => p.length), [5, 5, 5, 5, 3]);
  assert.deepEqual(parseLinkHeader('<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"'), { next: 'https://a/x?page=2', last: 'https://a/x?page=9' });
});

test('offset: by-response-size and per-page, stopping on a short or empty page', async () => {
  const bySize = await collect({ endpoint: '/paged/offset', paginate: { type: 'offset', offset_name_in_request: 'offset', limit: 10, limit_name_in_request: 'limit', response_path: 'items' } });
  assert.deepEqual(bySize.map((p) => p.length), [10, 10, 3]);
  assert.deepEqual(bySize.flat(), ALL);
  const perPage = await collect({
    endpoint: '/paged/pages',
    paginate: { type: 'offset', offset_name_in_request: 'page', offset_start_value: 1, offset_calculation_method: 'per-page', limit: 6, limit_name_in_request: 'per_page', response_path: 'items' },
  });
  assert.deepEqual(perPage.map((p) => p.length), [6, 6, 6, 5]);
  // Without a limit it stops on the first empty page.
  const unlimited = await collect({ endpoint: '/paged/offset', params: { limit: 20 }, paginate: { type: 'offset', offset_name_in_request: 'offset', response_path: 'items' } });
  assert.deepEqual(unlimited.map((p) => p.length), [20, 3]);
});

test('provider defaults are merged under the call’s own paginate', async () => {
  const defaults: Partial<Pagination> = { type: 'cursor', cursor_path_in_response: 'next_cursor', cursor_name_in_request: 'cursor', response_path: 'items', limit_name_in_request: 'limit' };
  const pages = await collect({ endpoint: '/paged/cursor', paginate: { limit: 12 } }, defaults);
  assert.deepEqual(pages.map((p) => p.length), [12, 11]);
  const overridden = await collect({ endpoint: '/paged/offset', paginate: { type: 'offset', offset_name_in_request: 'offset', limit: 20 } as Partial<Pagination> }, defaults);
  assert.deepEqual(overridden.map((p) => p.length), [20, 3]);
});

test('bad configurations fail with INVALID_ARGUMENT', async () => {
  const run = (config: ProxyConfiguration, defaults?: Partial<Pagination>) => collect(config, defaults).catch((e: unknown) => e);
  for (const err of [
    await run({ endpoint: '/paged/cursor' }),
    await run({ endpoint: '/x', paginate: { type: 'cursor', cursor_path_in_response: 'n' } as Partial<Pagination> }),
    await run({ endpoint: '/x', paginate: { type: 'link' } }),
  ]) {
    assert.ok(err instanceof PatchbayError && err.code === 'INVALID_ARGUMENT', String(err));
  }
  assert.equal(getPath({ a: { b: [{ c: 3 }] } }, 'a.b[0].c'), 3);
});
