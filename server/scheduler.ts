import cron from 'node-cron';
import type { App } from './bootstrap';
import { getLogger } from './logging';

const log = getLogger('cron');

/**
 * The nightly smart resync at SYNC_CRON. Several instances may fire at once: SyncService.nightly()
 * lets exactly one of them run it (a run row keyed by the date). Returns a stop function.
 */
export function startScheduler(app: App): () => void {
  const task = cron.schedule(
    app.config.syncCron,
    () => {
      app.services.sync.nightly().catch((err: unknown) => log.error('nightly sync failed', { error: err }));
    },
    { timezone: 'UTC' },
  );
  log.info(`nightly smart sync scheduled at "${app.config.syncCron}" (UTC)`);
  return () => {
    void task.stop();
  };
}

/** When a cron expression (UTC) fires next; null if it never does. A stopped task computes it and is dropped at once. */
export function nextRunOf(expression: string, from = new Date()): Date | null {
  const task = cron.createTask(expression, () => undefined, { timezone: 'UTC' });
  try {
    return task.getNextRuns(1).find((d) => d > from) ?? null;
  } finally {
    void task.destroy();
  }
}
