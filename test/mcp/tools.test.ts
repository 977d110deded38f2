import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionManifest, Manifest } from '../../src/build/manifest.ts';
import type { ConnectionSummary } from '../../src/connections/types.ts';
import { PatchbayError, boundedErrorJSON } from '../../src/errors.ts';
import { inferAnnotations, toolAnnotations, toolTitle } from '../../src/mcp/annotations.ts';
import { baseToolName, TOOL_NAME_PATTERN, toolNames } from '../../src/mcp/naming.ts';
import { DEFAULT_MAX_RESULT_BYTES, errorResult, successResult } from '../../src/mcp/result.ts';
import { inlineRefs, toolInputSchema, toolOutputSchema, unwrapArguments } from '../../src/mcp/schema.ts';
import { FULL_SCOPE } from '../../src/access/scope.ts';
import { connectionPlan, resolveConnection } from '../../src/mcp/scope.ts';
import { createToolCatalog } from '../../src/mcp/tools.ts';

test('tool names: namespaced, valid, unique, stable, long ones cut with a hash', () => {
  assert.equal(baseToolName('github', 'create-issue'), 'github_create-issue');
  assert.equal(baseToolName('my.api', 'do thing'), 'my-api_do-thing');
  const long = baseToolName('an-integration-with-a-rather-long-name', 'and-an-action-whose-name-is-also-quite-long-indeed');
  assert.equal(long.length, 64);
  assert.match(long, TOOL_NAME_PATTERN);
  assert.equal(long, baseToolName('an-integration-with-a-rather-long-name', 'and-an-action-whose-name-is-also-quite-long-indeed'));
  const fns = [
    { integrationId: 'a', name: 'x.y' },
    { integrationId: 'a', name: 'x-y' },
    { integrationId: 'b', name: 'list' },
  ];
  const names = toolNames(fns);
  const reversed = toolNames([...fns].reverse());
  assert.deepEqual([...names.entries()].sort(), [...reversed.entries()].sort());
  assert.notEqual(names.get('a/x.y'), names.get('a/x-y'));
  assert.equal(names.get('b/list'), 'b_list');
  for (const name of names.values()) assert.match(name, TOOL_NAME_PATTERN);
  assert.notEqual(toolNames([{ integrationId: 'search', name: 'actions' }], ['search_actions']).get('search/actions'), 'search_actions');
});

test('schemas: refs inlined, $schema dropped, unions merged, scalars wrapped', () => {
  const registered = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { u: { $ref: '#/$defs/User' } },
    required: ['u'],
    $defs: { User: { type: 'object', properties: { id: { type: 'string' } } } },
  };
  assert.deepEqual(inlineRefs(registered), { type: 'object', properties: { u: { type: 'object', properties: { id: { type: 'string' } } } }, required: ['u'] });
  const recursive = toolInputSchema({ type: 'object', properties: { name: { type: 'string' }, sub: { type: 'array', items: { $ref: '#' } } } });
  assert.equal(JSON.stringify(recursive.schema).includes('$ref'), false);

  const union = toolInputSchema({
    anyOf: [
      { type: 'object', properties: { a: { type: 'string' }, id: { type: 'string' } }, required: ['a', 'id'] },
      { type: 'object', properties: { b: { type: 'number' }, id: { type: 'string' } }, required: ['b', 'id'] },
    ],
  });
  assert.equal(union.wrap, 'none');
  assert.equal(union.schema.type, 'object');
  assert.equal(union.schema['anyOf'], undefined);
  assert.deepEqual(union.schema['required'], ['id']);
  assert.deepEqual(Object.keys(union.schema['properties'] as object).sort(), ['a', 'b', 'id']);

  const scalar = toolInputSchema({ $schema: 'x', type: 'string' });
  assert.deepEqual(scalar, { schema: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] }, wrap: 'input' });
  assert.equal(unwrapArguments({ input: 'hi' }, scalar.wrap), 'hi');
  assert.equal(toolInputSchema(undefined).wrap, 'empty');
  assert.equal(toolInputSchema({}).schema['required'], undefined);

  assert.equal(toolOutputSchema({ type: 'object', properties: {} })!.wrap, 'none');
  const nullable = toolOutputSchema({ anyOf: [{ type: 'object', properties: {} }, { type: 'null' }] })!;
  assert.equal(nullable.wrap, 'result');
  assert.equal(toolOutputSchema({ type: 'array', items: { type: 'string' } })!.schema.type, 'object');
});

test('annotations: inferred from methods, declared ones win', () => {
  assert.deepEqual(inferAnnotations(['get']), { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
  assert.equal(inferAnnotations(['GET', 'DELETE']).destructiveHint, true);
  assert.equal(inferAnnotations(['DELETE']).idempotentHint, true);
  assert.equal(inferAnnotations(['POST']).idempotentHint, false);
  assert.equal(inferAnnotations(['PUT']).idempotentHint, true);
  assert.equal(inferAnnotations(['POST']).readOnlyHint, false);
  assert.equal(toolAnnotations(['POST'], { readOnlyHint: true }).readOnlyHint, true);
  assert.equal(toolTitle('github', 'create-issue'), 'Create issue (github)');
});

function summary(integration_id: string, connection_id: string): ConnectionSummary {
  return {
    integration_id,
    connection_id,
    provider: integration_id,
    auth_mode: 'API_KEY',
    created_at: '',
    updated_at: '',
    refresh_status: null,
    refresh_error: null,
    credentials_masked: {},
    connection_config: {},
    metadata: null,
  };
}

test('connections: one is used, several add a required enum, none says how to add one, scope restricts', () => {
  const conns = [summary('github', 'bob'), summary('github', 'alice'), summary('slack', 'team')];
  assert.deepEqual(connectionPlan('slack', conns, FULL_SCOPE, {}), { mode: 'single', id: 'team' });
  assert.deepEqual(connectionPlan('github', conns, FULL_SCOPE, {}), { mode: 'choose', ids: ['alice', 'bob'] });
  assert.deepEqual(connectionPlan('jira', conns, FULL_SCOPE, {}), { mode: 'none' });
  assert.deepEqual(connectionPlan('github', conns, FULL_SCOPE, { connectionId: 'zed' }), { mode: 'fixed', id: 'zed' });
  const scoped = { keyId: 'k', connections: ['github:alice'], tools: null };
  assert.deepEqual(connectionPlan('github', conns, scoped, {}), { mode: 'single', id: 'alice' });
  assert.throws(() => resolveConnection('github', { mode: 'single', id: 'alice' }, 'bob', scoped, 'connection_id'), (e: PatchbayError) => e.code === 'FORBIDDEN');
  assert.throws(
    () => resolveConnection('jira', { mode: 'none' }, undefined, FULL_SCOPE, 'connection_id'),
    (e: PatchbayError) => e.code === 'CONNECTION_NOT_FOUND' && e.message.includes('patchbay connection add jira'),
  );
  assert.throws(() => resolveConnection('github', { mode: 'choose', ids: ['alice', 'bob'] }, undefined, FULL_SCOPE, 'connection_id'), /connection_id/);
  assert.equal(resolveConnection('github', { mode: 'choose', ids: ['alice', 'bob'] }, 'bob', FULL_SCOPE, 'connection_id'), 'bob');
  assert.equal(resolveConnection('github', { mode: 'fixed', id: 'alice' }, undefined, FULL_SCOPE, 'connection_id'), 'alice');
  assert.throws(() => resolveConnection('github', { mode: 'fixed', id: 'alice' }, 'bob', FULL_SCOPE, 'connection_id'), /bound to connection "alice"/);
});

function fn(integrationId: string, name: string, extra: Partial<FunctionManifest> = {}): FunctionManifest {
  return { integrationId, name, type: 'action', source: '', bundle: '', description: `${name} desc`, ...extra };
}

test('catalog: --tools filter, key scope, provider-config-key, connection enum in the schema', () => {
  const manifest: Manifest = {
    schemaVersion: 1,
    builtAt: '',
    sourceHash: '',
    integrationsDir: '',
    integrations: [],
    functions: [
      fn('github', 'create-issue', { input: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] }, httpMethods: ['POST'] }),
      fn('github', 'list-repos', { httpMethods: ['GET'] }),
      fn('slack', 'post', { input: { type: 'string' } }),
      fn('github', 'fetch', { type: 'sync' }),
    ],
  };
  const all = createToolCatalog(manifest);
  assert.deepEqual(all.actions.map((t) => t.name), ['github_create-issue', 'github_list-repos', 'slack_post']);
  assert.deepEqual(createToolCatalog(manifest, { tools: ['github/*'] }).actions.map((t) => t.name), ['github_create-issue', 'github_list-repos']);
  const conns = [summary('github', 'a'), summary('github', 'b')];
  const scoped = { keyId: 'k', connections: null, tools: ['*_list-*'] };
  assert.deepEqual(all.list(conns, scoped, {}).map((t) => t.name), ['github_list-repos']);
  assert.deepEqual(all.list(conns, FULL_SCOPE, { integrationId: 'slack' }).map((t) => t.name), ['post']);
  assert.equal(all.get('post', { integrationId: 'slack' })?.key, 'slack/post');
  assert.equal(all.get('post'), undefined);
  assert.equal(all.get('slack_post', { integrationId: 'slack' })?.key, 'slack/post');
  const connectionScoped = { keyId: 'k', connections: ['github:b'], tools: null };
  assert.deepEqual(all.list(conns, connectionScoped, {}).map((t) => t.name), ['github_create-issue', 'github_list-repos']);
  assert.deepEqual(all.list(conns, connectionScoped, { connectionId: 'a' }).map((t) => t.name), []);
  const [create] = all.list(conns, FULL_SCOPE, {});
  assert.deepEqual(create!.inputSchema.required, ['title', 'connection_id']);
  assert.deepEqual((create!.inputSchema.properties as Record<string, { enum?: string[] }>)['connection_id']!.enum, ['a', 'b']);
  assert.equal(create!.annotations?.readOnlyHint, false);
  const slack = all.list(conns, FULL_SCOPE, {}).find((t) => t.name === 'slack_post')!;
  assert.match(slack.description!, /patchbay connection add slack/);
});

test('results: structured content, truncation note, errors that say what to do', () => {
  const ok = successResult({ id: 1 }, 'none');
  assert.deepEqual(ok.structuredContent, { id: 1 });
  assert.equal(ok.isError, undefined);
  assert.deepEqual(successResult([1, 2], 'result').structuredContent, { result: [1, 2] });
  const big = successResult({ text: 'é'.repeat(5000) }, 'none', 1024);
  assert.equal(big.isError, true);
  assert.match((big.content[0] as { text: string }).text, /truncated: .*--max-result-bytes/);

  const invalid = errorResult(new PatchbayError('INVALID_INPUT', 'bad', { details: [{ path: ['title'], message: 'Required' }] }), { tool: 'github_create-issue' });
  assert.equal(invalid.isError, true);
  assert.match((invalid.content[0] as { text: string }).text, /`title`: Required/);
  const limited = errorResult(new PatchbayError('RATE_LIMITED', 'slow down', { retryAfter: 40 }), { integrationId: 'github' });
  assert.match((limited.content[0] as { text: string }).text, /Rate limited by github, retry after 40 s/);
  const reauth = errorResult(new PatchbayError('NEEDS_REAUTH', 'refresh failed'), { integrationId: 'github', connectionId: 'alice' });
  assert.match((reauth.content[0] as { text: string }).text, /needs re-authorisation: run `patchbay connect github alice`/);
  const fromRuntime = errorResult(new PatchbayError('RATE_LIMITED', 'rate limited by GitHub (GET /repos), retry after 40 s', { retryAfter: 40 }));
  assert.match((fromRuntime.content[0] as { text: string }).text, /^Rate limited by GitHub \(GET \/repos\), retry after 40 s\n/);
  const upstream = errorResult(new PatchbayError('UPSTREAM_HTTP_ERROR', 'GitHub answered 404 to GET /x: Not Found.', { status: 404, excerpt: 'Not Found' }));
  assert.match((upstream.content[0] as { text: string }).text, /^GitHub answered 404 to GET \/x: Not Found\./);
  const action = errorResult(new PatchbayError('ACTION_ERROR', 'nope', { details: { message: 'nope', repo: 'x' } }));
  assert.match((action.content[0] as { text: string }).text, /"repo":"x"/);
});

test('error results obey --max-result-bytes: the message appears once, cut, and the code stays', () => {
  const text = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;
  const huge = new PatchbayError('FUNCTION_ERROR', 'x'.repeat(5_000_000), { details: { stack: 'y'.repeat(5_000_000) } });
  for (const max of [DEFAULT_MAX_RESULT_BYTES, 2048]) {
    const out = text(errorResult(huge, {}, max));
    assert.ok(Buffer.byteLength(out) <= max + 512, `${Buffer.byteLength(out)} bytes for a cap of ${max}`);
    assert.ok(out.includes('"code":"FUNCTION_ERROR"'), 'the code survives');
    assert.ok(/\[truncated: the error is about 9766 KB, over the (100|2) KB limit \(--max-result-bytes\)/.test(out), 'the note says how big');
  }
  const bounded = boundedErrorJSON(huge, 4096);
  assert.ok(Buffer.byteLength(JSON.stringify(bounded)) <= 4096);
  assert.equal(bounded.details, undefined);
  assert.ok(/^x+… \[truncated: the message is 4883 KB; details left out\]$/.test(bounded.message), bounded.message.slice(-100));
  const small = new PatchbayError('NOT_FOUND', 'nope', { details: { a: 1 } });
  assert.deepEqual(boundedErrorJSON(small, 4096), small.toJSON());
  const escapes = boundedErrorJSON(new PatchbayError('INTERNAL', '"\u0001'.repeat(100_000)), 4096);
  assert.ok(Buffer.byteLength(JSON.stringify(escapes)) <= 4096, 'escaped characters are counted as JSON');
  const payload = new PatchbayError('ACTION_ERROR', 'many', { details: { message: 'many', rows: Array.from({ length: 200_000 }, (_, i) => ({ i, name: `row ${i}` })) } });
  const out = text(errorResult(payload, {}, 4096));
  assert.ok(Buffer.byteLength(out) <= 4096 + 512);
  assert.match(out, /^The action failed: \{"message":"many","rows":\[/);
});
