/**
 * Completion announcements of asynchronous actions (the "async action completed" webhook), a few
 * at a time: a backend whose webhook URL hangs or fails (each delivery is retried for about half a
 * minute) holds `concurrency` deliveries, not one per finished action. Past `maxPending` waiting,
 * an announcement is dropped with a warning; the result stays at `GET /action/:id`. Only the ids
 * are held while one waits, never an action's input or output.
 *
 * @example
 * const announce = createAnnouncer({ onFinished: (row) => deliver(row), concurrency: 16, maxPending: 10_000 });
 * announce(row);
 */
import type { Logger } from '../observability/logger.ts';
import type { AsyncActionRow } from '../store/types.ts';

/** What a completion announcement knows of its action. */
export type AnnouncedRow = Pick<AsyncActionRow, 'id' | 'integration_id' | 'connection_id' | 'action_name'>;

export interface AnnouncerOptions {
  onFinished: (row: AnnouncedRow) => Promise<void>;
  concurrency: number;
  maxPending: number;
  logger?: Pick<Logger, 'warn'> | undefined;
}

/** The announce function: call it once per finished action; it never throws and never waits. */
export function createAnnouncer(options: AnnouncerOptions): (row: AnnouncedRow) => void {
  const { onFinished, concurrency, maxPending, logger } = options;
  let running = 0;
  let dropped = 0;
  const waiting: AnnouncedRow[] = [];
  const announce = (full: AnnouncedRow): void => {
    const row: AnnouncedRow = { id: full.id, integration_id: full.integration_id, connection_id: full.connection_id, action_name: full.action_name };
    if (running >= concurrency) {
      if (waiting.length >= maxPending) {
        if (dropped++ % 1000 === 0) logger?.warn({ dropped }, 'async actions: completion webhooks are backed up; dropping announcements (results stay at GET /action/:id)');
        return;
      }
      waiting.push(row);
      return;
    }
    running++;
    onFinished(row)
      .catch((error: unknown) => logger?.warn({ id: row.id, err: String(error) }, 'async actions: the completion webhook failed'))
      .finally(() => {
        running--;
        const next = waiting.shift();
        if (next) announce(next);
      });
  };
  return announce;
}
