/**
 * Runs the benchmarks (`npm run bench`): every topic, a folder of bench/ with an index.ts, or
 * only the topics named, one after another, each in its own process (this node, its flags) so
 * one topic's heap, JIT and open handles never colour the next one's numbers. Output goes
 * straight to the terminal under a header per topic; the exit code is non-zero when one fails.
 *
 *   npm run bench                              # every topic
 *   npm run bench -- runtime mcp               # only these, in this order
 *   npm run bench -- sync -- --records 2000    # arguments after a second `--` go to each topic
 *   node bench/run.ts --list                   # the topics
 *
 * bench/nango-templates is not a topic: it needs a checkout of Nango's templates (see its run.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The topic names, sorted: the folders of bench/ that hold an index.ts. */
function listTopics(dir = BENCH_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

interface Outcome {
  topic: string;
  /** The exit code, or the signal that ended the topic's process. */
  status: number | NodeJS.Signals;
  seconds: number;
}

/** Runs one topic's index.ts in a child process with inherited stdio; resolves when it ends. */
function runTopic(topic: string, args: string[]): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, path.join(BENCH_DIR, topic, 'index.ts'), ...args], { stdio: 'inherit' });
  return new Promise((resolve) => {
    const done = (status: number | NodeJS.Signals) => resolve({ topic, status, seconds: (performance.now() - started) / 1000 });
    child.once('error', (error) => {
      console.error(`bench/${topic}: could not start: ${error.message}`);
      done(1);
    });
    child.once('close', (code, signal) => done(signal ?? code ?? 1));
  });
}

function usage(topics: string[]): string {
  return `usage: node bench/run.ts [--list] [topic ...] [-- args for each topic]\ntopics: ${topics.join(', ')}`;
}

async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const forwarded = split < 0 ? [] : argv.slice(split + 1);
  const topics = listTopics();

  let parsed;
  try {
    parsed = parseArgs({ args: own, allowPositionals: true, options: { list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage(topics)}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(usage(topics));
    return 0;
  }
  if (parsed.values.list) {
    for (const topic of topics) console.log(topic);
    return 0;
  }

  const chosen = parsed.positionals.length > 0 ? parsed.positionals : topics;
  const unknown = chosen.filter((name) => !topics.includes(name));
  if (unknown.length > 0) {
    console.error(`No benchmark topic ${unknown.map((n) => `"${n}"`).join(', ')}.\n${usage(topics)}`);
    return 2;
  }

  // Ctrl-C reaches the running topic too (same process group): let it end, then stop.
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
  });

  const outcomes: Outcome[] = [];
  for (const [i, topic] of chosen.entries()) {
    if (interrupted) break;
    console.log(`\n=== bench/${topic} (${i + 1}/${chosen.length}) ${'='.repeat(Math.max(0, 60 - topic.length))}`);
    const outcome = await runTopic(topic, forwarded);
    outcomes.push(outcome);
    const verdict = outcome.status === 0 ? 'ok' : `FAILED (${typeof outcome.status === 'number' ? `exit ${outcome.status}` : outcome.status})`;
    console.log(`--- bench/${topic}: ${verdict} in ${outcome.seconds.toFixed(1)} s`);
  }

  const failed = outcomes.filter((o) => o.status !== 0);
  const skipped = chosen.slice(outcomes.length);
  console.log(`\n${outcomes.length - failed.length}/${chosen.length} topics ok${failed.length ? `; failed: ${failed.map((o) => o.topic).join(', ')}` : ''}${skipped.length ? `; not run (interrupted): ${skipped.join(', ')}` : ''}`);
  if (interrupted) return 130;
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
