/**
 * The connection-config validator (src/providers/connection-config.ts) and its host-name rules
 * (hostname.ts): syntax refused for everyone, policy (suffix, pattern, enum, private names,
 * https) waived for full access; shapes implied by where a provider puts a field; the schema of
 * the declarations; and the catalog, whose every host-forming field declares a shape its own
 * example satisfies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '../../src/errors.ts';
import { hostProblem, hostUnder, pathProblem, privateHostProblem, uriPolicyProblem, uriProblem } from '../../src/providers/hostname.ts';
import { assertConnectionConfig, checkConnectionConfig, connectionConfigUses, getProvider, listProviders, providerSchema } from '../../src/providers/index.ts';
import type { ProviderConfig } from '../../src/providers/index.ts';

function provider(fields: Partial<ProviderConfig>): ProviderConfig {
  const { proxy, ...rest } = fields;
  return { name: 'acme', auth_mode: 'OAUTH2', ...rest, proxy: { base_url: 'https://api.acme.example', ...proxy } };
}

const workday = getProvider('workday')!;
const fields = (issues: ReturnType<typeof checkConnectionConfig>): string[] => issues.map((i) => `${i.field}: ${i.problem}${i.overridable ? ' (overridable)' : ''}`);

describe('host names', () => {
  it('accepts DNS names, xn-- labels, underscores, and a port only when allowed', () => {
    for (const host of ['wd2-impl-services1.workday.com', 'ACME.Zendesk.com', 'xn--bcher-kva.example', 'a_b.example.com', 'a.b.c.d.e.example.co.uk']) assert.equal(hostProblem(host), undefined, host);
    assert.equal(hostProblem('metabase.example.com:8443', { allowPort: true }), undefined);
    assert.match(hostProblem('metabase.example.com:8443') ?? '', /has a port/);
    assert.match(hostProblem('metabase.example.com:70000', { allowPort: true }) ?? '', /not 1-65535/);
  });

  it('refuses every trick, saying what it is', () => {
    const cases: Array<[string, RegExp]> = [
      ['https://evil.com', /is a URL/],
      ['evil.com/x', /path, query or fragment/],
      ['evil.com?x', /path, query or fragment/],
      ['evil.com\\x', /path, query or fragment/],
      ['a@b', /user info/],
      ['a..b.com', /empty label/],
      ['.a.com', /empty label/],
      ['a.com.', /ends with a dot/],
      ['-a.com', /starts or ends with a hyphen/],
      ['a!.com', /characters other than/],
      ['127.0.0.1', /IP address/],
      ['127.1', /IP address/],
      ['2130706433', /IP address/],
      ['0x7f000001', /IP address/],
      ['::1', /IP address/],
      ['[::1]:443', /IP address/],
      ['localhost', /is localhost/],
      ['app.localhost', /is localhost/],
      ['wоrkday.com', /non-ASCII/],
      ['a b.com', /spaces/],
      ['a\n.com', /control characters/],
      ['a%2e.com', /percent-encoded/],
      [`${'a'.repeat(64)}.com`, /label longer than 63/],
      [`${'a.'.repeat(130)}com`, /longer than 253/],
      ['', /is empty/],
    ];
    for (const [host, problem] of cases) assert.match(hostProblem(host) ?? 'accepted', problem, JSON.stringify(host));
  });

  it('private names and suffixes are policy', () => {
    assert.equal(privateHostProblem('intranet'), 'is a single label, not a public host name');
    for (const host of ['metadata.google.internal', 'printer.local', 'nas.lan', 'x.home.arpa', 'db.corp']) assert.match(privateHostProblem(host) ?? 'public', /private network/, host);
    assert.equal(privateHostProblem('acme.example.com'), undefined);
    assert.ok(hostUnder('acme.myworkday.com', ['workday.com', 'myworkday.com']));
    assert.ok(hostUnder('WORKDAY.com:443', ['workday.com']));
    assert.ok(!hostUnder('evilworkday.com', ['workday.com']));
    assert.ok(!hostUnder('workday.com.evil.io', ['workday.com']));
  });

  it('URLs: http(s), no user info, query, fragment or climbing path; plain http is policy', () => {
    for (const uri of ['https://acme.my.salesforce.com', 'https://shop.example.com/store/', 'http://forum.example.com']) assert.equal(uriProblem(uri), undefined, uri);
    const cases: Array<[string, RegExp]> = [
      ['javascript:alert(1)', /not an absolute https URL/],
      ['ftp://x.example.com', /not an absolute https URL/],
      ['acme.my.salesforce.com', /not an absolute https URL/],
      ['https://evil.example@acme.my.salesforce.com', /user info/],
      ['https://acme.example.com\\@evil.example', /backslash/],
      ['https://acme.example.com/a\\b', /backslash/],
      ['https://acme.example.com/?x=1', /query or fragment/],
      ['https://acme.example.com/#x', /query or fragment/],
      ['https://acme.example.com/a/../b', /climbs/],
      ['https://acme.example.com/%2E%2e/b', /climbs/],
      ['https://127.0.0.1', /host that is an IP address/],
      ['https://acme.example.com:8443', /host that has a port/],
    ];
    for (const [uri, problem] of cases) assert.match(uriProblem(uri) ?? 'accepted', problem, uri);
    assert.equal(uriProblem('https://acme.example.com:8443', { allowPort: true }), undefined);
    assert.match(uriPolicyProblem('http://forum.example.com') ?? '', /plain http/);
    assert.match(uriPolicyProblem('https://wiki.corp') ?? '', /private network/);
  });

  it('path values may not climb or end the path', () => {
    assert.equal(pathProblem('acme_dpt1'), undefined);
    assert.equal(pathProblem('org/team'), undefined);
    for (const value of ['..', '../admin', 'a/./b', '%2e%2E', '.%2e', 'a?b', 'a#b', 'a\\b', 'a b']) assert.ok(pathProblem(value), value);
  });
});

describe('checkConnectionConfig', () => {
  it('workday: a host under the suffixes passes; outside is policy, overridable; syntax is not', () => {
    assert.deepEqual(checkConnectionConfig(workday, { hostname: 'wd2-impl-services1.workday.com', tenant: 'acme_dpt1' }), []);
    assert.deepEqual(checkConnectionConfig(workday, { hostname: 'acme.myworkday.com' }), []);
    assert.deepEqual(fields(checkConnectionConfig(workday, { hostname: 'attacker.example' })), ['hostname: is not under workday.com or myworkday.com (overridable)']);
    assert.deepEqual(checkConnectionConfig(workday, { hostname: 'attacker.example' }, { fullAccess: true }), []);
    assert.deepEqual(fields(checkConnectionConfig(workday, { hostname: 'wiki.corp' })), ['hostname: is a private network name (overridable)']);
    assert.deepEqual(fields(checkConnectionConfig(workday, { hostname: 'evil.com/x', tenant: 'a.b' }, { fullAccess: true })), ['hostname: has a path, query or fragment (/ ? # \\)']);
    assert.deepEqual(fields(checkConnectionConfig(workday, { tenant: 'a.b' })), ['tenant: does not match ^[A-Za-z0-9_-]{1,128}$ (overridable)']);
    assert.deepEqual(fields(checkConnectionConfig(workday, { hostname: { host: 'x' } }, { fullAccess: true })), ['hostname: is not a string']);
    assert.deepEqual(fields(checkConnectionConfig(workday, { hostname: 'x'.repeat(3000) }, { fullAccess: true })), ['hostname: is longer than 2048 characters']);
  });

  it('free-form fields (neither declared nor used) pass; empty values are left to the missing-field check', () => {
    assert.deepEqual(checkConnectionConfig(workday, { team: 'a/b?c', nested: { any: 'thing' }, hostname: '' }), []);
  });

  it('implies a shape from where an undeclared field lands', () => {
    const inline = provider({
      authorization_url: 'https://${connectionConfig.host}/oauth/authorize',
      token_url: 'https://login.acme.example/${connectionConfig.tenant}/token',
      proxy: { base_url: '${connectionConfig.instance} || https://${connectionConfig.region}.acme.example', headers: { 'X-Team': '${connectionConfig.team}' } },
    });
    const uses = connectionConfigUses(inline);
    assert.deepEqual(
      Object.fromEntries([...uses].map(([field, list]) => [field, list.map((u) => u.kind)])),
      { host: ['host'], tenant: ['path'], instance: ['url'], region: ['host-part'], team: ['text'] },
    );
    assert.deepEqual(checkConnectionConfig(inline, { host: 'id.acme.example', tenant: 't1', instance: 'https://acme.example.net', region: 'eu-1', team: 'core' }), []);
    assert.deepEqual(
      fields(checkConnectionConfig(inline, { host: '10.0.0.1', tenant: '../x', instance: 'https://a@b.example', region: 'eu/x', team: 'a\r\nX-Evil: 1' }, { fullAccess: true })),
      ['host: is an IP address', 'tenant: climbs the path (. or ..)', 'instance: has user info (@)', 'region: has characters not allowed in a host name', 'team: has control characters'],
    );
    assert.deepEqual(fields(checkConnectionConfig(inline, { region: 'eu.' }, { fullAccess: true })), ['region: would make the host eu..acme.example, which has an empty label (a leading dot or ..)']);
    assert.deepEqual(fields(checkConnectionConfig(inline, { instance: 'http://acme.example.net' })), ['instance: uses plain http (https is required) (overridable)']);
    assert.deepEqual(checkConnectionConfig(inline, { instance: 'http://acme.example.net' }, { fullAccess: true }), []);
  });

  it('a value ending the host must come from the enum (zoho), and still make a host name under full access', () => {
    const zoho = getProvider('zoho-crm')!;
    assert.deepEqual(checkConnectionConfig(zoho, { extension: 'com.au' }), []);
    assert.deepEqual(fields(checkConnectionConfig(zoho, { extension: 'attacker.example' })), ['extension: is not one of com, eu, in, com.au, jp, com.cn, sa or uk (overridable)']);
    assert.deepEqual(fields(checkConnectionConfig(zoho, { extension: '1' }, { fullAccess: true })), ['extension: would make the host accounts.zoho.1, which is an IP address']);
  });

  it('numbers are values too; uuid and email formats are policy', () => {
    const p = provider({
      proxy: { base_url: 'https://api.acme.example/${connectionConfig.account}' },
      connection_config: { account: { type: 'string', pattern: '^[0-9]+$' }, owner: { type: 'string', format: 'email' }, app: { type: 'string', format: 'uuid' } },
    });
    assert.deepEqual(checkConnectionConfig(p, { account: 12345, owner: 'ops@acme.example', app: '5ab87915-2deb-429c-a1e2-8b0495900f45' }), []);
    assert.deepEqual(fields(checkConnectionConfig(p, { owner: 'ops', app: 'x' })), ['owner: is not an e-mail address (overridable)', 'app: is not a UUID (overridable)']);
  });

  it('assertConnectionConfig: one INVALID_ARGUMENT line naming each field and the expected shape, details per field', () => {
    assert.doesNotThrow(() => assertConnectionConfig({ id: 'workday', provider: workday }, undefined));
    assert.throws(
      () => assertConnectionConfig({ id: 'hr', provider: workday }, { hostname: 'attacker.example', tenant: '../x' }),
      (e: unknown) => {
        assert.ok(e instanceof PatchbayError);
        assert.equal(e.code, 'INVALID_ARGUMENT');
        assert.ok(!e.message.includes('\n'));
        assert.equal(
          e.message,
          'Connection config field "hostname" of hr is not under workday.com or myworkday.com: expected a host name under workday.com or myworkday.com, without scheme, path, user info or port (e.g. wd2-impl-services1.workday.com); ' +
            'connection config field "tenant" of hr climbs the path (. or ..): expected a URL path segment without ? # \\ or .. matching ^[A-Za-z0-9_-]{1,128}$ (e.g. acme_dpt1). ' +
            'Only a full-access API key may set a value outside the declared shape.',
        );
        assert.deepEqual((e.details as { fields: Array<{ field: string }> }).fields.map((f) => f.field), ['hostname', 'tenant']);
        return true;
      },
    );
  });
});

describe('declarations', () => {
  it('the schema takes Nango keys, refuses a bad pattern and suffixes without a host format', () => {
    const base = { name: 'acme', auth_mode: 'API_KEY', proxy: { base_url: 'https://${connectionConfig.host}', headers: { 'x-key': '${apiKey}' } } };
    const ok = providerSchema.safeParse({
      ...base,
      connection_config: { host: { type: 'string', format: 'hostname', allowed_host_suffixes: ['acme.example'], prefix: 'https://', doc_section: '#host', order: 1, automated: false } },
    });
    assert.ok(ok.success, ok.success ? '' : ok.error.message);
    const bad = (field: Record<string, unknown>): string => {
      const result = providerSchema.safeParse({ ...base, connection_config: { host: { type: 'string', ...field } } });
      return result.success ? 'accepted' : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.match(bad({ pattern: '([a-z' }), /pattern: must be a valid regular expression/);
    assert.match(bad({ allowed_host_suffixes: ['acme.example'] }), /allowed_host_suffixes needs format "hostname" or "uri"/);
    assert.match(bad({ format: 'hostname', allowed_host_suffixes: ['.acme.example'] }), /domains such as "workday.com"/);
    assert.match(bad({ format: 'hostname', allowed_host_suffixes: ['*.acme.example'] }), /domains such as "workday.com"/);
    assert.match(bad({ format: 'ipv4' }), /format/);
  });

  it('every catalog field that lands in a host declares its shape, and every declared example fits it', () => {
    for (const p of listProviders()) {
      for (const [field, uses] of connectionConfigUses(p)) {
        const declared = p.connection_config?.[field];
        if (uses.some((u) => u.kind === 'host' || u.kind === 'host-part' || u.kind === 'url')) {
          assert.ok(declared?.format || declared?.pattern || declared?.enum, `${p.name}: connectionConfig.${field} lands in a host and declares no format, pattern or enum`);
        }
      }
      for (const [field, declared] of Object.entries(p.connection_config ?? {})) {
        if (declared.example === undefined) continue;
        assert.deepEqual(checkConnectionConfig(p, { [field]: declared.example }), [], `${p.name}: the example of ${field} does not fit its own declaration`);
      }
    }
  });

  it('known provider domains: databricks, salesforce, datadog', () => {
    const databricks = getProvider('databricks-workspace')!;
    assert.deepEqual(checkConnectionConfig(databricks, { workspaceHost: 'adb-1234567890123456.7.azuredatabricks.net' }), []);
    assert.equal(checkConnectionConfig(databricks, { workspaceHost: 'attacker.example' })[0]?.overridable, true);
    const salesforce = getProvider('salesforce')!;
    assert.deepEqual(checkConnectionConfig(salesforce, { instance_url: 'https://acme.my.salesforce.com' }), []);
    assert.deepEqual(fields(checkConnectionConfig(salesforce, { instance_url: 'https://acme.my.salesforce.com.attacker.example' })), ['instance_url: has a host that is not under salesforce.com or force.com (overridable)']);
    const datadog = getProvider('datadog')!;
    assert.deepEqual(checkConnectionConfig(datadog, { site: 'us5.datadoghq.com', applicationKey: 'k' }), []);
    assert.equal(checkConnectionConfig(datadog, { site: 'datadoghq.com.attacker.example' }).length, 1);
  });
});
