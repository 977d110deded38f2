import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { capLogLine, createLogger, MAX_LOG_LINE_BYTES } from '../../src/observability/logger.ts';
import { REDACTED, redactValue, SECRET_KEYS, secretKeySpellings } from '../../src/observability/redact.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('credential paths are redacted at every logged depth', () => {
  const out = capture();
  const logger = createLogger({ destination: out.stream, level: 'debug' });
  const child = logger.child({ executionId: 'e1' });
  child.info(
    {
      access_token: 'A1',
      headers: { authorization: 'Bearer B2', 'x-api-key': 'K3', accept: 'json' },
      connection: { credentials: { apiKey: 'C4' }, refresh_token: 'R5' },
      request: { headers: { Authorization: 'Basic D6' } },
      nested: { deeper: { password: 'P7', client_secret: 'S8' } },
    },
    'call',
  );
  const text = JSON.stringify(out.lines());
  for (const secret of ['A1', 'B2', 'K3', 'C4', 'R5', 'D6', 'P7', 'S8']) {
    assert.ok(!text.includes(`"${secret}"`) && !text.includes(`${secret}"`), `secret ${secret} leaked: ${text}`);
  }
  const [line] = out.lines();
  assert.equal(line?.['executionId'], 'e1');
  assert.equal((line?.['headers'] as Record<string, unknown>)['accept'], 'json');
  assert.equal((line?.['headers'] as Record<string, unknown>)['authorization'], '[Redacted]');
});

test('level filters lines', () => {
  const out = capture();
  const logger = createLogger({ destination: out.stream, level: 'warn' });
  logger.info('hidden');
  logger.warn('shown');
  assert.deepEqual(out.lines().map((l) => l['msg']), ['shown']);
});

test('the pino logger and redactValue redact the same keys, from one list', () => {
  const spellings = secretKeySpellings();
  for (const key of SECRET_KEYS) assert.ok(spellings.includes(key), `${key} has no pino spelling`);
  const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');
  const listed = new Set(SECRET_KEYS.map(normalise));
  for (const spelling of spellings) assert.ok(listed.has(normalise(spelling)), `${spelling} is not a spelling of a listed key`);

  const out = capture();
  const logger = createLogger({ destination: out.stream, level: 'info' });
  const shapes = (value: string) => ({ client_secret: value, headers: { 'x-api-key': value }, request: { headers: { 'X-Api-Key': value } }, oauth: { clientSecret: value } });
  for (const [i, spelling] of spellings.entries()) {
    const value = `v${i}-secret`;
    const payload = { [spelling]: value, one: { [spelling]: value }, two: { deeper: { [spelling]: value } } };
    logger.info(payload, spelling);
    const redacted = JSON.stringify(redactValue(payload));
    assert.ok(!redacted.includes(value), `redactValue leaked ${spelling}: ${redacted}`);
  }
  logger.info(shapes('shaped-secret'), 'shapes');
  const text = JSON.stringify(out.lines());
  for (const i of spellings.keys()) assert.ok(!text.includes(`v${i}-secret`), `pino leaked ${spellings[i]}: ${text}`);
  assert.ok(!text.includes('shaped-secret'), `pino leaked: ${text}`);
  assert.deepEqual(redactValue(shapes('s')), { client_secret: REDACTED, headers: { 'x-api-key': REDACTED }, request: { headers: { 'X-Api-Key': REDACTED } }, oauth: { clientSecret: REDACTED } });
});

test('no line exceeds MAX_LOG_LINE_BYTES: long messages, payloads and wide objects are cut after redaction', () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ destination: stream, level: 'debug' }).child({ executionId: 'e1', function: 'f' });
  logger.warn({ code: 'FUNCTION_ERROR' }, `start ${'m'.repeat(1_000_000)}`);
  logger.info({ payload: { dump: 'p'.repeat(1_000_000), headers: { authorization: 'Bearer secret-token-123' } }, userLog: true }, 'dump');
  logger.info({ payload: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])) }, 'wide');
  logger.info({ payload: { list: Array.from({ length: 50_000 }, (_, i) => ({ i })) } }, 'long');
  logger.info({ small: true }, 'typical');
  const lines = chunks.join('').split('\n').filter(Boolean);
  assert.equal(lines.length, 5);
  for (const line of lines) assert.ok(Buffer.byteLength(line) + 1 <= MAX_LOG_LINE_BYTES, `${Buffer.byteLength(line)} bytes`);
  const [message, dump, wide, long, typical] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.match(String(message!['msg']), /^start m+…\[truncated \d+ chars\]$/);
  assert.equal(message!['executionId'], 'e1');
  assert.equal(message!['code'], 'FUNCTION_ERROR');
  const payload = dump!['payload'] as { dump: string; headers: Record<string, string> };
  assert.match(payload.dump, /…\[truncated \d+ chars\]$/);
  assert.equal(payload.headers['authorization'], '[Redacted]', 'redaction happened before the cut');
  assert.match(String(dump!['truncated']), /^line of \d+ KB cut to 16 KB$/);
  assert.ok(wide!['truncated'] && long!['truncated']);
  assert.equal(wide!['msg'], 'wide');
  assert.equal(typical!['truncated'], undefined);
  assert.equal(capLogLine('{"level":30,"msg":"hi"}\n'), '{"level":30,"msg":"hi"}\n');
});
