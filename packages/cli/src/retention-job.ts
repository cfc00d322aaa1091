import type { Logger } from '@switchboard/core';
import type { DialQueue } from '@switchboard/dialer';
import { applyRetention } from '@switchboard/server';
import type { Store } from '@switchboard/store';

export const RETENTION_QUEUE = 'call-data-retention';
/** Daily, at a quiet hour (UTC). */
export const RETENTION_CRON = '17 3 * * *';

/**
 * The daily retention run as a pg-boss schedule on the platform's own queue. Every process
 * registers the same schedule and worker; pg-boss sends one job per occurrence, the queue's
 * `exclusive` policy keeps at most one queued or running, and the sweep itself takes an advisory
 * lock, so one process applies it however many run. Returns the stop for the worker.
 */
export async function startRetentionJob(o: {
  /** pg-boss on the platform's database (the dialer's, started). */
  boss: DialQueue['boss'];
  store: Store;
  dataDir: string;
  logger: Logger;
}): Promise<() => Promise<void>> {
  const { boss, store, dataDir } = o;
  const logger = o.logger.child({ job: 'retention' });
  if (!(await boss.getQueue(RETENTION_QUEUE))) {
    await boss.createQueue(RETENTION_QUEUE, { policy: 'exclusive', retryLimit: 2, retryDelay: 600 });
  }
  await boss.schedule(RETENTION_QUEUE, RETENTION_CRON, null, { tz: 'UTC' });
  const id = await boss.work(RETENTION_QUEUE, { pollingIntervalSeconds: 60 }, async () => {
    const result = await applyRetention(store, { dataDir, logger, dryRun: false });
    logger.info(result, 'retention applied');
  });
  // Not waiting: a sweep under way finishes while the queue stops (it stops gracefully).
  return () => boss.offWork(RETENTION_QUEUE, { id, wait: false });
}
