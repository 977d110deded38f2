import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost } from '../../src/config/net.ts';
import { checkContentLength, checkHost, checkOrigin, checkProtocolVersion, checkRequest, hostnameOf, policyFor } from '../../src/http/security.ts';

test('Origin: none and loopback pass, foreign is 403 naming the flag, configured passes', () => {
  assert.equal(checkOrigin(undefined, []).ok, true);
  assert.equal(checkOrigin('http://localhost:5173', []).ok, true);
  assert.equal(checkOrigin('http://127.0.0.1', []).ok, true);
  assert.equal(checkOrigin('http://[::1]:80', []).ok, true);
  const foreign = checkOrigin('https://evil.example', []);
  assert.equal(foreign.ok, false);
  assert.ok(!foreign.ok && foreign.status === 403 && foreign.message.includes('--allowed-origins'));
  assert.equal(checkOrigin('https://app.example.com', ['https://app.example.com/']).ok, true);
  assert.equal(checkOrigin('null', []).ok, false);
  assert.equal(checkOrigin('http://localhost.evil.example', []).ok, false);
  assert.equal(checkOrigin('https://x.example', ['*']).ok, true);
});

test('Host: loopback names pass, rebinding names are 403 unless configured or unchecked', () => {
  const policy = { allowedHosts: [], checkHost: true };
  assert.equal(checkHost('localhost:3003', policy).ok, true);
  assert.equal(checkHost('127.0.0.1:3003', policy).ok, true);
  assert.equal(checkHost('[::1]:3003', policy).ok, true);
  const rebinding = checkHost('attacker.example:3003', policy);
  assert.ok(!rebinding.ok && rebinding.status === 403);
  assert.equal(checkHost('mcp.example.com', { allowedHosts: ['mcp.example.com'], checkHost: true }).ok, true);
  assert.equal(checkHost('anything.example', { allowedHosts: [], checkHost: false }).ok, true);
  assert.equal(checkHost(undefined, policy).ok, false);
});

test('host parsing and loopback detection', () => {
  assert.equal(hostnameOf('[::1]:3003'), '::1');
  assert.equal(hostnameOf('Example.COM:80'), 'example.com');
  assert.equal(hostnameOf('::1'), '::1');
  assert.equal(isLoopbackHost('127.0.0.5'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('10.0.0.1'), false);
});

test('MCP-Protocol-Version: absent or supported pass, unknown is 400', () => {
  assert.equal(checkProtocolVersion(undefined).ok, true);
  assert.equal(checkProtocolVersion('2025-11-25').ok, true);
  assert.equal(checkProtocolVersion('2025-06-18').ok, true);
  const bad = checkProtocolVersion('1999-01-01');
  assert.ok(!bad.ok && bad.status === 400 && bad.message.includes('2025-11-25'));
});

test('Content-Length past the limit is 413, garbage is 400', () => {
  assert.equal(checkContentLength('100', 1000).ok, true);
  const big = checkContentLength('5000000', 4 * 1024 * 1024);
  assert.ok(!big.ok && big.status === 413);
  const bad = checkContentLength('abc', 10);
  assert.ok(!bad.ok && bad.status === 400);
});

test('policy: Host is checked on loopback binds and when names are configured; first failure wins', () => {
  assert.equal(policyFor('localhost', { maxBodyBytes: 10 }).checkHost, true);
  assert.equal(policyFor('0.0.0.0', { maxBodyBytes: 10 }).checkHost, false);
  assert.equal(policyFor('0.0.0.0', { maxBodyBytes: 10, allowedHosts: ['a.example'] }).checkHost, true);
  const policy = policyFor('127.0.0.1', { maxBodyBytes: 10 });
  const verdict = checkRequest({ host: 'evil.example', origin: 'https://evil.example' }, policy);
  assert.ok(!verdict.ok && verdict.message.includes('Host'));
  assert.equal(checkRequest({ host: 'localhost:1', 'content-length': '5', 'mcp-protocol-version': '2025-11-25' }, policy).ok, true);
});
