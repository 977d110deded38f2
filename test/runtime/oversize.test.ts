/**
 * A function that fails or logs with 20 MB of text: the MCP error result obeys
 * `--max-result-bytes` (through the handlers too), an HTTP error body is bounded, and no pino line
 * exceeds the line cap.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../src/app.ts';
import { FULL_SCOPE } from '../../src/access/scope.ts';
import { PatchbayError } from '../../src/errors.ts';
import { errorResponse } from '../../src/http/respond.ts';
import { createMcpHandlers } from '../../src/mcp/handlers.ts';
import { DEFAULT_MAX_RESULT_BYTES, errorResult } from '../../src/mcp/result.ts';
import { createLogger, MAX_LOG_LINE_BYTES } from '../../src/observability/logger.ts';
import { captureLog } from './helpers.ts';
import { runtimeProject, type RuntimeProject } from './project.ts';

const HUGE = 20_000_000;
/** Room for the "truncated" note beside the capped text. */
const NOTE = 512;

let project: RuntimeProject;
let runtime: App;
const log = captureLog();

before(async () => {
  project = await runtimeProject();
  runtime = await project.open({ logger: createLogger({ destination: log.stream, level: 'debug' }) });
  await runtime.connections.add({ integrationId: 'fake', connectionId: 'c1', credentials: { type: 'API_KEY', api_key: 'test-api-key' } });
});
after(() => project.cleanup());

const run = (mode: string) => runtime.executor.run({ integrationId: 'fake', name: 'oversize', connectionId: 'c1', input: { mode, bytes: HUGE } });

async function failure(mode: string): Promise<PatchbayError> {
  const error = await run(mode).then(() => assert.fail('expected the run to fail'), (e: unknown) => e);
  assert.ok(error instanceof PatchbayError, String(error));
  return error;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

/** The result is within the cap, says it was cut (the note, or a marker in the payload it quotes) and keeps the code. */
function assertBoundedResult(error: PatchbayError, maxBytes: number, note = /truncated: the error is about \d+ KB, over the \d+ (KB|bytes) limit \(--max-result-bytes\)/): string {
  const text = textOf(errorResult(error, { integrationId: 'fake', connectionId: 'c1' }, maxBytes));
  assert.ok(bytes(text) <= maxBytes + NOTE, `the error result is ${bytes(text)} bytes, over ${maxBytes}`);
  assert.match(text, note);
  assert.match(text, new RegExp(`"code":"${error.code}"`), 'the code survives the cut');
  return text;
}

function assertBoundedLog(): void {
  const lines = log.lines();
  assert.ok(lines.length > 0);
  for (const line of lines) {
    assert.ok(bytes(line) + 1 <= MAX_LOG_LINE_BYTES, `a log line is ${bytes(line)} bytes`);
    JSON.parse(line); // still one valid JSON object per line
  }
}

test('a thrown 20 MB Error message gives a bounded result, HTTP body and log line', async () => {
  const error = await failure('throw');
  assert.equal(error.code, 'FUNCTION_ERROR');
  for (const max of [DEFAULT_MAX_RESULT_BYTES, 4096, 300]) assertBoundedResult(error, max);
  const body = await errorResponse(error).text();
  assert.ok(bytes(body) <= DEFAULT_MAX_RESULT_BYTES + NOTE, `the HTTP error body is ${bytes(body)} bytes`);
  assert.equal(JSON.parse(body).error.code, 'FUNCTION_ERROR');
  assert.match(JSON.parse(body).error.message, /truncated/);
  assertBoundedLog();
  assert.match(log.text(), /The function threw Error: xxx/, 'the failure is still logged');
});

test('an ActionError with a 20 MB payload gives a bounded result and log line', async () => {
  const error = await failure('action-error');
  assert.equal(error.code, 'ACTION_ERROR');
  const text = assertBoundedResult(error, DEFAULT_MAX_RESULT_BYTES, /"dump":"x+…\[truncated \d+ chars\]"/);
  assert.match(text, /^The action failed: \{"message":"too much","dump":"xxx/);
  assertBoundedResult(error, 2048, /"dump":"x+…\[truncated \d+ chars\]"/);
  assertBoundedLog();
});

test('a nango.log line with a 20 MB message and payload is capped in the process log', async () => {
  const result = await run('log');
  assert.deepEqual(result.output, { ok: true });
  assertBoundedLog();
  const line = log.lines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['userLog'] === true && String(l['msg']).startsWith('xxx'));
  assert.ok(line, 'the user log line is there, cut');
  assert.equal(line['function'], 'oversize', 'the bindings survive the cut');
  assert.match(JSON.stringify(line), /truncated/);
});

test('the MCP handlers cap an error result at --max-result-bytes', async () => {
  const handlers = createMcpHandlers({ manifest: runtime.manifest, executor: runtime.executor, connections: async () => [{ integration_id: 'fake', connection_id: 'c1' }] }, { catalogMode: false, maxResultBytes: 2048 });
  for (const mode of ['throw', 'action-error']) {
    const result = await handlers.callTool({ scope: FULL_SCOPE, selection: {} }, 'fake_oversize', { mode, bytes: HUGE });
    assert.equal(result.isError, true);
    assert.ok(bytes(textOf(result)) <= 2048 + NOTE, `${mode}: ${bytes(textOf(result))} bytes`);
  }
});
