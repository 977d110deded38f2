/**
 * Execution events on `node:diagnostics_channel`, so tracing (OpenTelemetry or a home-made
 * exporter) and metrics subscribe without patchbay depending on them. Publishing costs nothing
 * when nobody listens (`hasSubscribers` is checked first).
 *
 * @example
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('patchbay:execution:finish', (event) => histogram.record(event.durationMs));
 */
import diagnostics_channel from 'node:diagnostics_channel';

/** Published when an execution starts (after its function was found). */
export const EXECUTION_START = 'patchbay:execution:start';
/** Published when an execution ends, successfully or not (`error` set then). */
export const EXECUTION_FINISH = 'patchbay:execution:finish';

/** What both events carry. */
export interface ExecutionEvent {
  executionId: string;
  integrationId: string;
  name: string;
  type: 'action' | 'sync' | 'onEvent';
  connectionId: string;
  dryRun: boolean;
  /** Finish only. */
  durationMs?: number;
  /** Finish only: the error code and message when the run failed. */
  error?: { code: string; message: string };
  /** Finish only: HTTP calls made. */
  httpCalls?: number;
}

const start = diagnostics_channel.channel(EXECUTION_START);
const finish = diagnostics_channel.channel(EXECUTION_FINISH);

/** Publishes the start event when someone listens. */
export function publishStart(event: () => ExecutionEvent): void {
  if (start.hasSubscribers) start.publish(event());
}

/** Publishes the finish event when someone listens. */
export function publishFinish(event: () => ExecutionEvent): void {
  if (finish.hasSubscribers) finish.publish(event());
}
