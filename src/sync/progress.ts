/**
 * The live progress of `patchbay sync run`: in a terminal one line rewritten in place (records
 * per model, progress messages, elapsed time); piped, plain lines (one per progress message and
 * a summary), so logs stay readable.
 */
import type { FunctionManifest } from '../build/manifest.ts';
import type { LogEntry, ProgressUpdate } from '../runtime/types.ts';
import type { Store, SyncRunRow } from '../store/types.ts';

export interface ProgressLineOptions {
  store: Store;
  fn: FunctionManifest;
  connectionId: string;
  out: NodeJS.WritableStream;
  tty: boolean;
  /** Refresh period of the TTY line (ms). */
  intervalMs?: number;
}

export interface ProgressLine {
  onProgress(update: ProgressUpdate): void;
  onLog(entry: LogEntry): void;
  /** Prints the summary of a finished run. */
  done(run: SyncRunRow): void;
  stop(): void;
}

/** Starts the progress display of one run. */
export function createProgressLine(options: ProgressLineOptions): ProgressLine {
  const { store, fn, connectionId, out, tty } = options;
  const started = Date.now();
  const models = Object.keys(fn.models ?? {});
  const counts = new Map<string, number>();
  let progress: ProgressUpdate | undefined;
  let warnings = 0;
  let width = 0;

  const label = `${fn.integrationId}/${fn.name} ${connectionId}`;
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

  async function refreshCounts(): Promise<void> {
    for (const model of models) {
      const n = await store.records.count({ integrationId: fn.integrationId, connectionId, model });
      counts.set(model, n);
    }
  }

  function render(): void {
    const perModel = models.map((m) => `${m}: ${counts.get(m) ?? 0}`).join(', ');
    const step = progress ? ` · ${progress.message ?? `${progress.progress}${progress.total ? `/${progress.total}` : ''}`}` : '';
    const line = `⟳ ${label} · ${perModel}${step} · ${elapsed()}`;
    out.write(`\r${line.padEnd(width)}`);
    width = line.length;
  }

  let timer: NodeJS.Timeout | undefined;
  if (tty) {
    void refreshCounts().then(render, () => {});
    timer = setInterval(() => {
      void refreshCounts().then(render, () => {});
    }, options.intervalMs ?? 250);
    timer.unref();
  } else {
    out.write(`sync ${label}: started\n`);
  }

  return {
    onProgress(update) {
      progress = update;
      if (!tty) out.write(`sync ${label}: ${update.message ?? `progress ${update.progress}${update.total ? `/${update.total}` : ''}`} (${elapsed()})\n`);
    },
    onLog(entry) {
      if (entry.level === 'warn' || entry.level === 'error') {
        warnings++;
        if (tty) out.write(`\r${' '.repeat(width)}\r`);
        out.write(`${entry.level}: ${entry.message}\n`);
      }
    },
    done(run) {
      if (timer) clearInterval(timer);
      if (tty) out.write(`\r${' '.repeat(width)}\r`);
      const seconds = ((run.duration_ms ?? Date.now() - started) / 1000).toFixed(1);
      const mark = run.status === 'success' ? (tty ? '✔' : 'ok') : tty ? '✖' : 'FAILED';
      out.write(`${mark} ${label}: ${run.status} in ${seconds}s — added ${run.added}, updated ${run.updated}, deleted ${run.deleted}${warnings ? `, ${warnings} warning(s)` : ''}\n`);
      if (run.error) out.write(`  ${run.error}\n`);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
