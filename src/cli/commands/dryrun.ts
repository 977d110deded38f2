/**
 * `patchbay dryrun <function> <connection-id>`: runs one function against a real connection and
 * shows what it did, persisting nothing: an action's output, or what a sync would have saved
 * (counts per model, first records), plus every HTTP call. Same executor as every other front end,
 * with `dryRun: true`: records, metadata and checkpoint writes stay in memory.
 *
 * `--validation` adds strict state checks: metadata and checkpoints (given or stored) must match
 * the function's `metadata` / `checkpoint` schemas. Input, output and records are validated
 * always, as in every patchbay run.
 */
import type { Command } from 'commander';
import { PatchbayError, toPatchbayError } from '../../errors.ts';
import { createLogger } from '../../observability/logger.ts';
import { executionOf } from '../../runtime/executor.ts';
import { findFunctionByName } from '../../runtime/lookup.ts';
import { createApp } from '../../app.ts';
import type { ExecutionResult, HttpCallLog, LogEntry } from '../../runtime/types.ts';
import { parseJsonArgument, pathsFrom } from '../options.ts';

interface DryrunOptions {
  integration?: string;
  input?: string;
  metadata?: string;
  checkpoint?: string;
  validation?: boolean;
  json?: boolean;
  timeout?: string;
  saveResponses?: boolean;
}

const SHOWN_RECORDS = 3;

/** Registers `dryrun`. */
export function register(program: Command): void {
  program
    .command('dryrun')
    .description('run a function once against a connection and show the result; nothing is saved in patchbay, but calls to the provider are real')
    .argument('<function>', 'function name, or <integration>/<name>')
    .argument('<connection-id>', 'the connection to run with')
    .option('--integration <id>', 'the integration, when several have a function of that name')
    .option('--input <json>', "action input as JSON, or @file.json (e.g. '{\"id\":\"1\"}')")
    .option('--metadata <json>', 'start from this connection metadata (JSON or @file) instead of the stored one')
    .option('--checkpoint <json>', 'start from this checkpoint (JSON or @file) instead of the stored one')
    .option('--validation', 'also validate metadata and checkpoints against their schemas')
    .option('--json', 'print one JSON document (output, records, logs, HTTP calls)')
    .option('--timeout <ms>', 'stop after this many milliseconds')
    .option('--save-responses', 'record the run as a test fixture, <integration>/tests/<function>.test.json (replay it with patchbay test)')
    .action(async (name: string, connectionId: string, opts: DryrunOptions, cmd: Command) => {
      const input = parseJsonArgument(opts.input, '--input');
      const metadata = objectArgument(opts.metadata, '--metadata');
      const checkpoint = objectArgument(opts.checkpoint, '--checkpoint');
      const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new PatchbayError('INVALID_ARGUMENT', '--timeout must be a positive number of milliseconds.');

      // The fixture recorder is loaded here, not at the top: other commands (serve) start faster without it.
      const { saveDryRun, startRecording } = await import('../../nango-test/save-dryrun.ts');
      const recorder = opts.saveResponses ? startRecording() : undefined;
      const runtime = await createApp({ paths: pathsFrom(cmd), logger: createLogger({ stdio: true, level: 'error' }), ...(recorder ? { transport: recorder.transport } : {}) });
      let fn: ReturnType<typeof findFunctionByName> | undefined;
      const controller = new AbortController();
      const onSigint = () => controller.abort(new PatchbayError('ABORTED', 'Interrupted.'));
      process.once('SIGINT', onSigint);
      try {
        fn = findFunctionByName(runtime.manifest, name, opts.integration);
        const result = await runtime.executor.run({
          integrationId: fn.integrationId,
          name: fn.name,
          connectionId,
          input,
          dryRun: true,
          validateState: opts.validation === true,
          signal: controller.signal,
          ...(metadata ? { metadata } : {}),
          ...(checkpoint ? { checkpoint } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
          ...(opts.json ? {} : { onLog: printLog }),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(jsonDocument(result), null, 2)}\n`);
        else printResult(result);
        if (recorder) process.stderr.write(`saved ${await saveDryRun(runtime, recorder, { fn, connectionId, input, ...(metadata ? { metadata } : {}), ...(checkpoint ? { checkpoint } : {}), result })}\n`);
      } catch (error) {
        const failed = executionOf(error);
        if (opts.json) {
          // The failure as one JSON document on stdout, like a success: scripts read one shape.
          const err = toPatchbayError(error);
          const doc: Record<string, unknown> = { ...(fn ? { function: { integrationId: fn.integrationId, name: fn.name, type: fn.type } } : {}) };
          if (failed) Object.assign(doc, { executionId: failed.executionId, durationMs: Math.round(failed.durationMs) });
          Object.assign(doc, { error: err.toJSON(), logs: failed?.logs ?? [], http: failed?.http ?? [] });
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        } else if (failed && failed.http.length > 0) printCalls(failed.http, process.stderr);
        if (error instanceof PatchbayError && error.code === 'ACTION_ERROR') {
          process.stderr.write(`action error payload: ${JSON.stringify(error.details)}\n`);
        }
        if (recorder && fn) process.stderr.write(`saved ${await saveDryRun(runtime, recorder, { fn, connectionId, input, ...(metadata ? { metadata } : {}), ...(checkpoint ? { checkpoint } : {}), error })}\n`);
        throw error;
      } finally {
        process.off('SIGINT', onSigint);
        await runtime.close();
        await recorder?.close();
      }
    });
}

function objectArgument(value: string | undefined, option: string): Record<string, unknown> | undefined {
  const parsed = parseJsonArgument(value, option);
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PatchbayError('INVALID_ARGUMENT', `${option} must be a JSON object, e.g. ${option} '{"key":"value"}'.`);
  }
  return parsed as Record<string, unknown>;
}

function printLog(entry: LogEntry): void {
  const payload = entry.payload === undefined ? '' : ` ${JSON.stringify(entry.payload)}`;
  process.stderr.write(`[${entry.level}] ${entry.message}${payload}\n`);
}

function jsonDocument(result: ExecutionResult): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    function: result.function,
    executionId: result.executionId,
    durationMs: Math.round(result.durationMs),
  };
  if (result.function.type === 'action') doc['output'] = result.output ?? null;
  if (result.changes) doc['changes'] = result.changes;
  if (result.records) doc['records'] = result.records;
  doc['logs'] = result.logs;
  doc['http'] = result.http;
  return doc;
}

function printResult(result: ExecutionResult): void {
  const out = process.stdout;
  const { type, integrationId, name } = result.function;
  if (type === 'action') {
    out.write(`${JSON.stringify(result.output ?? null, null, 2)}\n`);
  } else if (type === 'onEvent') {
    out.write(`on-event ${integrationId}/${name} ran\n`);
  } else {
    const models = Object.entries(result.records ?? {});
    out.write(`${type} ${integrationId}/${name} would save:\n`);
    if (models.length === 0) out.write('  nothing\n');
    for (const [model, { saved, deleted }] of models) {
      out.write(`  ${model}: ${saved.length} saved, ${deleted.length} deleted\n`);
      for (const record of saved.slice(0, SHOWN_RECORDS)) out.write(`    ${JSON.stringify(record)}\n`);
      if (saved.length > SHOWN_RECORDS) out.write(`    … and ${saved.length - SHOWN_RECORDS} more (use --json to see all)\n`);
    }
  }
  printCalls(result.http, out);
  out.write(`dry run in ${Math.round(result.durationMs)} ms; nothing was saved in patchbay\n`);
  const writes = result.http.filter((call) => !['GET', 'HEAD', 'OPTIONS'].includes(call.method.toUpperCase()));
  if (writes.length > 0) {
    out.write(
      `note: the provider's side was real: ${writes.length} request(s) that can change data (${[...new Set(writes.map((call) => call.method))].join(', ')}) reached it. ` +
        'Record a run with --save-responses and replay it with `patchbay test` to repeat it without calling the provider.\n',
    );
  }
}

function printCalls(calls: HttpCallLog[], stream: NodeJS.WritableStream): void {
  stream.write(`HTTP calls (${calls.length}):\n`);
  for (const call of calls) {
    const attempt = call.attempt > 1 ? ` (attempt ${call.attempt})` : '';
    const status = call.status ?? call.error ?? 'no response';
    stream.write(`  ${call.method} ${call.url} → ${status} ${Math.round(call.durationMs)} ms${attempt}\n`);
  }
}
