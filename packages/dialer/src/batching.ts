/** Lets timers and I/O callbacks run before continuing. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs database work at most `concurrency` at a time, yielding to the event loop before each.
 * PGlite runs queries on this thread and resolves them as microtasks, so a backlog of transactions
 * would run back to back and starve the timers that place calls on time; through the gate the
 * timers get a turn between transactions. On PostgreSQL the gate only bounds the pool's use.
 */
export class DbGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      await yieldToLoop();
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Group commit: items added while a batch is being written wait and go together in the next one,
 * so the cost per item falls as the load rises, without delaying an item when there is no load.
 */
export class GroupCommit<I, R> {
  private pending: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly write: (items: I[]) => Promise<R[]>,
    private readonly maxBatch = 100,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        // Items added in the same turn of the event loop join this batch.
        await yieldToLoop();
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) b.resolve(results[i]!);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
