import type { Logger } from '@switchboard/core';
import { type Database, schema } from '@switchboard/store';
import { type SQL, sql } from 'drizzle-orm';
import { fromDrizzle, fromPglite, type Job, PgBoss } from 'pg-boss';

export const DIAL_QUEUE = 'dialer-calls';
/** pg-boss's schema (its default, which the queue does not change). */
const PGBOSS_SCHEMA = 'pgboss';

export interface DialJob {
  callId: string;
  /** Numbers the call may go out on, resolved when it was queued. */
  callerIds: { number: string; connector: string }[];
}

/** A drizzle transaction (or the database itself) that jobs are inserted through. */
export interface TxLike {
  execute(query: SQL): PromiseLike<unknown>;
}

export interface DialQueueOptions {
  /** How long a claimed job may stay active before pg-boss hands it to another worker. */
  expireInSeconds?: number;
  /** How often pg-boss looks for expired jobs (those of a crashed worker). */
  superviseIntervalSeconds?: number;
  logger?: Logger;
}

/**
 * pg-boss on the platform's own database: PGlite through `fromPglite`, PostgreSQL through its own
 * pool on the same server. LISTEN/NOTIFY wakes workers within milliseconds of a send.
 *
 * Jobs are inserted through the caller's drizzle transaction (`fromDrizzle`), so a queued call row
 * and its job commit together or not at all.
 */
export class DialQueue {
  readonly boss: PgBoss;
  private started: Promise<void> | undefined;
  readonly expireInSeconds: number;

  constructor(
    private readonly database: Database,
    options: DialQueueOptions = {},
  ) {
    // Dispatch holds a job only until the call is claimed (or briefly waits for a slot), so a short
    // expiry returns a crashed worker's jobs quickly.
    this.expireInSeconds = options.expireInSeconds ?? 90;
    const superviseIntervalSeconds = options.superviseIntervalSeconds ?? 10;
    // pg-boss expires jobs only in its monitor pass, which runs at most every
    // `monitorIntervalSeconds` (60 by default) whatever the supervise interval: without this a
    // crashed worker's jobs would wait up to a minute, not `superviseIntervalSeconds`.
    const timers = { superviseIntervalSeconds, monitorIntervalSeconds: superviseIntervalSeconds };
    this.boss = database.pglite
      ? new PgBoss({
          db: fromPglite(database.pglite),
          backend: 'pglite',
          useListenNotify: true,
          registerInstance: false,
          ...timers,
        })
      : new PgBoss({
          connectionString: postgresUrl(database),
          max: 4,
          useListenNotify: true,
          registerInstance: false,
          ...timers,
        });
    this.boss.on('error', (err: unknown) => options.logger?.warn({ err }, 'dial queue error'));
  }

  /** Creates the schema and queue once; safe to call from every user. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const q = await this.boss.getQueue(DIAL_QUEUE);
      const settings = {
        expireInSeconds: this.expireInSeconds,
        // The call row, not the job, says whether a call was placed; retries only re-run dispatch.
        retryLimit: 1000,
        retryDelay: 1,
        deleteAfterSeconds: 3600,
        notify: true,
      };
      if (!q) await this.boss.createQueue(DIAL_QUEUE, settings);
      else await this.boss.updateQueue(DIAL_QUEUE, settings);
    })();
    return this.started;
  }

  /** Inserts one dispatch job per call inside `tx`; the job is visible only once `tx` commits. */
  async sendInTx(tx: TxLike, jobs: (DialJob & { startAfter?: Date | undefined })[]): Promise<void> {
    await this.start();
    // pg-boss builds its statements with the `sql` tag it is given and runs them through `tx`.
    const db = fromDrizzle(tx as Parameters<typeof fromDrizzle>[0], sql);
    const toInsert = jobs.map(({ startAfter, ...data }) => ({ data, ...(startAfter ? { startAfter } : {}) }));
    for (let i = 0; i < toInsert.length; i += 500) {
      await this.boss.insert(DIAL_QUEUE, toInsert.slice(i, i + 500), { db });
    }
  }

  /**
   * Hands back the dispatch jobs of calls still queued that a worker fetched and never settled,
   * so they are dispatched again within a second or so instead of when pg-boss expires them
   * (`expireInSeconds` plus up to a monitor pass later). A starting dialer calls this: the
   * process it replaces died holding them. A live process's job handed back meanwhile (PostgreSQL,
   * several processes) is only dispatched twice, which is harmless: the claim under the call's row
   * lock lets one dispatch place it and the other finds it gone. Returns how many it handed back.
   */
  async reclaimOrphaned(): Promise<number> {
    await this.start();
    const q = await this.boss.getQueue(DIAL_QUEUE);
    if (!q) return 0;
    const { calls } = schema;
    // pg-boss has no query for active jobs by state; this reads its job table, read-only.
    const r = await this.database.db.execute(sql`
      select j.id from ${sql.identifier(PGBOSS_SCHEMA)}.${sql.identifier(q.table)} j
      join ${calls} c on c.id::text = j.data->>'callId'
      where j.name = ${DIAL_QUEUE} and j.state = 'active' and c.status = 'queued'`);
    const ids = (r as unknown as { rows: { id: string }[] }).rows.map((row) => row.id);
    if (ids.length > 0) await this.boss.fail(DIAL_QUEUE, ids, { reason: 'its worker is gone' });
    return ids.length;
  }

  /** Outside a transaction: a later dispatch of an already queued call. */
  async sendLater(job: DialJob, startAfter: Date): Promise<void> {
    await this.start();
    await this.boss.send(DIAL_QUEUE, job, { startAfter });
  }

  /**
   * Fetches up to `concurrency` jobs at a time, in two batches, and hands each batch to `handler`
   * whole (dispatch claims a batch in one transaction). A full batch fetches again at once (a
   * backlog drains without waiting for the poll); NOTIFY wakes an idle worker. A batch that
   * throws is retried whole; dispatch is idempotent.
   */
  async work(concurrency: number, handler: (jobs: Job<DialJob>[]) => Promise<void>): Promise<string> {
    await this.start();
    return this.boss.work<DialJob>(
      DIAL_QUEUE,
      {
        // Two fetch loops: one batch waiting on a busy number does not stall the other.
        localConcurrency: 2,
        batchSize: Math.max(1, Math.ceil(concurrency / 2)),
        burstWhenBatchFull: true,
        pollingIntervalSeconds: 1,
        notifyPollingIntervalSeconds: 2,
      },
      handler,
    );
  }

  async offWork(id: string): Promise<void> {
    await this.boss.offWork(DIAL_QUEUE, { id, wait: true });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    await this.boss.stop({ graceful: true, close: true, timeout: 10_000 });
  }
}

function postgresUrl(database: Database): string {
  const url = (database.pool as unknown as { options?: { connectionString?: string } } | undefined)?.options
    ?.connectionString;
  if (!url) throw new Error('the dial queue needs the PostgreSQL connection string of the pool');
  return url;
}

interface Shared {
  queue: DialQueue;
  refs: number;
}
const shared = new WeakMap<Database, Shared>();

/**
 * One queue per database per process, shared by the API (which enqueues) and the dialer (which
 * works): two pg-boss instances on one PGlite connection would only duplicate maintenance.
 * The last `release` stops it.
 */
export function acquireDialQueue(
  database: Database,
  options: DialQueueOptions = {},
): { queue: DialQueue; release: () => Promise<void> } {
  let s = shared.get(database);
  if (!s) {
    s = { queue: new DialQueue(database, options), refs: 0 };
    shared.set(database, s);
  }
  s.refs++;
  const entry = s;
  let released = false;
  return {
    queue: entry.queue,
    async release() {
      if (released) return;
      released = true;
      entry.refs--;
      if (entry.refs === 0) {
        shared.delete(database);
        await entry.queue.stop();
      }
    },
  };
}
