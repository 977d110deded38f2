/**
 * The shipped catalog: every entry valid, complete and consistent; lookups by key, alias and
 * integration-id variant; search and suggestions. The schema is also fed bad entries, so a
 * regression that makes it accept anything fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  catalogPath,
  getProvider,
  listProviders,
  loadCatalog,
  mergePagination,
  paginationSchema,
  providerKeyForIntegration,
  providerSchema,
  searchProviders,
  suggestProviders,
} from '../../src/providers/index.ts';
import type { ProviderConfig } from '../../src/providers/index.ts';

const raw = JSON.parse(readFileSync(catalogPath(), 'utf8')) as { providers: ProviderConfig[] };
const OAUTH = new Set(['OAUTH2', 'OAUTH2_CC']);

/** Fills `${…}` placeholders so the URL parser can judge the rest. */
function parseUrl(value: string): URL {
  const filled = value.startsWith('${') ? value.replace(/^\$\{[^}]+\}/, 'https://instance.example') : value;
  return new URL(filled.replace(/\$\{[^}]+\}/g, 'x'));
}

describe('catalog file', () => {
  it('has at least 100 providers and every entry passes the schema', () => {
    assert.ok(raw.providers.length >= 100, `only ${raw.providers.length} providers`);
    for (const entry of raw.providers) {
      const result = providerSchema.safeParse(entry);
      assert.ok(result.success, `${entry.name}: ${result.success ? '' : result.error.message}`);
    }
  });

  it('URLs parse, OAuth entries have both URLs, docs are https', () => {
    for (const p of raw.providers) {
      const base = parseUrl(p.proxy.base_url);
      assert.match(base.protocol, /^https?:$/, `${p.name} base_url`);
      if (OAUTH.has(p.auth_mode)) {
        assert.ok(p.token_url, `${p.name} needs token_url`);
        parseUrl(p.token_url);
        if (p.auth_mode === 'OAUTH2') {
          assert.ok(p.authorization_url, `${p.name} needs authorization_url`);
          parseUrl(p.authorization_url);
        }
      } else {
        assert.equal(p.authorization_url, undefined, `${p.name}: ${p.auth_mode} has no authorization_url`);
      }
      assert.ok(p.docs && new URL(p.docs).protocol === 'https:', `${p.name} docs`);
      assert.ok(p.display_name && p.categories && p.categories.length > 0, `${p.name} display_name and categories`);
    }
  });

  it('pagination defaults are complete for their type', () => {
    let count = 0;
    for (const p of raw.providers) {
      const page = p.proxy.paginate as Record<string, unknown> | undefined;
      if (!page) continue;
      count++;
      if (page['type'] === 'cursor') assert.ok(page['cursor_name_in_request'] && page['cursor_path_in_response'], p.name);
      else if (page['type'] === 'link') assert.ok(page['link_rel_in_response_header'] || page['link_path_in_response_body'], p.name);
      else if (page['type'] === 'offset') assert.ok(page['offset_name_in_request'], p.name);
      else assert.fail(`${p.name}: unknown pagination type ${String(page['type'])}`);
    }
    assert.ok(count >= 80, `only ${count} providers carry pagination defaults`);
  });

  it('has no duplicate key or alias, and keys are sorted', () => {
    const seen = new Map<string, string>();
    for (const p of raw.providers) {
      for (const key of [p.name, ...(p.aliases ?? [])]) {
        assert.ok(!seen.has(key), `"${key}" is used by ${seen.get(key)} and ${p.name}`);
        seen.set(key, p.name);
      }
    }
    const names = raw.providers.map((p) => p.name);
    assert.deepEqual(names, [...names].sort());
  });

  it('verification endpoints start with "/" and connection_config covers every placeholder', () => {
    for (const p of raw.providers) {
      for (const endpoint of p.proxy.verification?.endpoints ?? []) assert.ok(endpoint.startsWith('/'), `${p.name}: ${endpoint}`);
      const text = JSON.stringify({ ...p, docs: undefined });
      for (const match of text.matchAll(/\$\{connectionConfig\.([A-Za-z_]+)\}/g)) {
        assert.ok(p.connection_config?.[match[1]!], `${p.name} uses connectionConfig.${match[1]} but does not declare it`);
      }
    }
  });

  it('API_KEY providers say where the key goes (API_KEY has no default header)', () => {
    for (const p of raw.providers.filter((entry) => entry.auth_mode === 'API_KEY')) {
      const templates = [...Object.values(p.proxy.headers ?? {}), ...Object.values(p.proxy.query ?? {})];
      assert.ok(templates.some((t) => t.includes('${apiKey}')), `${p.name} never sends \${apiKey}`);
    }
  });

  it('lists the providers people ask for first', () => {
    const keys = loadCatalog();
    for (const key of ['github', 'gitlab', 'slack', 'notion', 'linear', 'jira', 'confluence', 'asana', 'hubspot', 'salesforce', 'pipedrive', 'zendesk',
      'intercom', 'stripe', 'shopify', 'google-calendar', 'google-drive', 'google-mail', 'google-sheet', 'microsoft', 'outlook', 'microsoft-teams',
      'one-drive', 'dropbox', 'box', 'airtable', 'discord', 'zoom', 'calendly', 'trello', 'clickup', 'monday', 'xero', 'quickbooks', 'twilio',
      'sendgrid', 'mailchimp', 'figma', 'sentry', 'pagerduty', 'datadog', 'freshdesk', 'attio', 'twitter-v2', 'x']) {
      assert.ok(keys.has(key), `missing ${key}`);
    }
    assert.equal(keys.get('github')?.proxy.verification?.endpoints[0], '/user');
    assert.equal(keys.get('slack')?.proxy.verification?.endpoints[0], '/auth.test');
  });
});

describe('lookups', () => {
  it('resolves aliases to the same entry and hands out copies', () => {
    assert.equal(getProvider('outlook')?.name, 'microsoft');
    assert.equal(getProvider('GMAIL')?.name, 'google-mail');
    const copy = getProvider('github')!;
    copy.proxy.base_url = 'https://changed.example';
    assert.equal(getProvider('github')?.proxy.base_url, 'https://api.github.com');
    assert.equal(getProvider('no-such-provider'), undefined);
    assert.equal(listProviders().length, raw.providers.length);
  });

  it('maps Nango integration ids, including variants, to catalog keys', () => {
    assert.equal(providerKeyForIntegration('github'), 'github');
    assert.equal(providerKeyForIntegration('github-app'), 'github');
    assert.equal(providerKeyForIntegration('hubspot-sandbox'), 'hubspot');
    assert.equal(providerKeyForIntegration('salesforce-sandbox'), 'salesforce-sandbox');
    assert.equal(providerKeyForIntegration('microsoft-excel-oauth2-cc'), 'microsoft-oauth2-cc');
    assert.equal(providerKeyForIntegration('notion-2'), 'notion');
    assert.equal(providerKeyForIntegration('my-internal-api'), undefined);
  });

  it('suggests close keys and searches names and categories', () => {
    assert.equal(suggestProviders('githb')[0], 'github');
    assert.ok(suggestProviders('hubspt').includes('hubspot'));
    assert.deepEqual(suggestProviders('zzzzzzzzzzzz'), []);
    const crm = searchProviders('crm').map((p) => p.name);
    assert.ok(crm.includes('hubspot') && crm.includes('salesforce') && !crm.includes('github'));
    assert.deepEqual(searchProviders('google calendar').map((p) => p.name), ['google-calendar']);
    assert.ok(searchProviders('teams').some((p) => p.name === 'microsoft'), 'aliases are searchable');
  });
});

describe('schema rejects bad entries', () => {
  const good = { name: 'acme', display_name: 'Acme', auth_mode: 'OAUTH2', authorization_url: 'https://acme.example/authorize', token_url: 'https://acme.example/token', proxy: { base_url: 'https://api.acme.example' } };

  it('accepts a good entry', () => {
    assert.ok(providerSchema.safeParse(good).success);
  });

  for (const [label, entry, field] of [
    ['OAuth without token_url', { ...good, token_url: undefined }, 'token_url'],
    ['a relative base_url', { ...good, proxy: { base_url: '/v1' } }, 'base_url'],
    ['incomplete cursor pagination', { ...good, proxy: { base_url: 'https://a.example', paginate: { type: 'cursor', cursor_name_in_request: 'c' } } }, 'cursor_path_in_response'],
    ['link pagination without a link', { ...good, proxy: { base_url: 'https://a.example', paginate: { type: 'link' } } }, 'link'],
    ['verification without a leading slash', { ...good, proxy: { base_url: 'https://a.example', verification: { endpoints: ['user'] } } }, 'verification'],
    ['an unknown auth mode', { ...good, auth_mode: 'OAUTH1' }, 'auth_mode'],
    ['an unknown field', { ...good, base_uri: 'https://x.example' }, 'base_uri'],
  ] as const) {
    it(`rejects ${label}`, () => {
      const result = providerSchema.safeParse(entry);
      assert.equal(result.success, false);
      assert.match(JSON.stringify(result.error?.issues), new RegExp(field.replace(/[$]/g, '\\$')));
    });
  }
});

describe('Nango compatibility: nango.paginate({ endpoint }) relies on provider defaults', () => {
  // Partial `paginate` objects as Nango's public integration templates pass them, keyed by integration id.
  const cases: Array<[string, Record<string, unknown> | undefined]> = [
    ['github', { limit_name_in_request: 'per_page', limit: 100 }],
    ['asana', { limit: 100 }],
    ['hubspot', { limit: 100 }],
    ['pipedrive', { limit: 100 }],
    ['zendesk', { response_path: 'macros', limit_name_in_request: 'per_page', limit: 100 }],
    ['cal-com-v2', { response_path: 'data.bookings' }],
    ['gorgias', undefined],
    ['slack', undefined],
    ['notion', undefined],
    ['outlook', undefined],
  ];
  for (const [id, partial] of cases) {
    it(`${id}: the provider default completes ${JSON.stringify(partial ?? {})}`, () => {
      const key = providerKeyForIntegration(id);
      assert.ok(key, `${id} resolves to no provider`);
      const merged = mergePagination(getProvider(key)!.proxy.paginate, partial as never);
      const result = paginationSchema.safeParse(merged);
      assert.ok(result.success, `${id}: ${JSON.stringify(merged)}`);
    });
  }
});
