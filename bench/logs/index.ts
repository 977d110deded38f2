/**
 * Log line cost, in one run, all writing to /dev/null: 10,000 typical patchbay lines (an
 * execution's failure warning, a forwarded `nango.log` line with a small payload, a tool-call
 * line, a request failure), then oversized ones (a 1 MB message, a 1 MB payload), through
 *   pino         plain pino, no redaction, no cap (the baseline)
 *   pino+cap     the same with patchbay's line cap hooks (`LINE_CAP_HOOKS`): the cap's own cost
 *   redact       pino with patchbay's redaction paths and no cap (`createLogger` before the cap)
 *   patchbay     `createLogger` as shipped: redaction paths + the cap
 *
 *   node bench/logs/index.ts [--lines 10000] [--rounds 7]
 *
 * Goal: the cap costs nothing measurable on typical lines (ratios printed; no fixed time).
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createLogger, LINE_CAP_HOOKS, REDACT_PATHS, type Logger } from '../../src/observability/logger.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '7' } } });
const lines = Number(values.lines);
const rounds = Number(values.rounds);

const devNull = () => pino.destination({ dest: '/dev/null', sync: true });
const loggers: Array<[string, Logger]> = [
  ['pino', pino({ level: 'info', base: {} }, devNull())],
  ['pino+cap', pino({ level: 'info', base: {}, hooks: LINE_CAP_HOOKS }, devNull())],
  ['redact', pino({ level: 'info', base: {}, redact: { paths: REDACT_PATHS, censor: '[Redacted]' } }, devNull())],
  ['patchbay', createLogger({ level: 'info', destination: '/dev/null' })],
];

const children = new Map<Logger, Logger>();
/** An execution's child logger (the executor makes one per run that logs). */
function childOf(logger: Logger): Logger {
  let child = children.get(logger);
  if (!child) children.set(logger, (child = logger.child({ executionId: '2f1c9a4e-8d1b-4c55-9d8e-0a7b3c2d1e0f', integrationId: 'github', function: 'create-issue' })));
  return child;
}

/** One of four typical lines, in turn. */
function typical(logger: Logger, i: number): void {
  const run = childOf(logger);
  switch (i % 4) {
    case 0:
      return run.warn({ code: 'UPSTREAM_HTTP_ERROR', durationMs: 412.5 }, 'GitHub answered 404 to GET https://api.github.com/repos/acme/widgets/issues/12: {"message":"Not Found","documentation_url":"https://docs.github.com/rest"}. Check the endpoint path and the ids in it.');
    case 1:
      return run.info({ payload: { issue: i, labels: ['bug', 'p1'], connection: { credentials: { access_token: 'x' } } }, userLog: true }, 'created issue');
    case 2:
      return logger.info({ tool: 'github_create-issue', durationMs: 212, isError: false }, 'tool call');
    default:
      return logger.error({ err: { message: 'The store is locked', code: 'STORE_ERROR' }, url: '/mcp' }, 'request failed');
  }
}

function measure(logger: Logger, count: number, line: (logger: Logger, i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) line(logger, i);
  return ((performance.now() - started) * 1000) / count; // µs per line
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function compare(label: string, count: number, line: (logger: Logger, i: number) => void): void {
  for (const [, logger] of loggers) measure(logger, Math.min(count, 1000), line); // warm-up
  const times = loggers.map((): number[] => []);
  for (let r = 0; r < rounds; r++) loggers.forEach(([, logger], i) => times[i]!.push(measure(logger, count, line)));
  const medians = times.map(median);
  const cells = loggers.map(([name], i) => `${name} ${medians[i]!.toFixed(1).padStart(8)} µs${i > 0 ? ` (×${(medians[i]! / medians[0]!).toFixed(2)})` : ''}`);
  console.log(`${label.padEnd(22)} ${cells.join('  ')}`);
}

const MB = 'x'.repeat(1024 * 1024);
compare(`typical lines (${lines})`, lines, typical);
compare('1 MB message (20)', 20, (logger) => logger.warn({ code: 'FUNCTION_ERROR' }, MB));
compare('1 MB payload (20)', 20, (logger) => logger.info({ payload: { dump: MB }, userLog: true }, 'dump'));
