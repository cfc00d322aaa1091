import type { Logger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import type { RedisCallDirectory } from './call-directory.js';

export interface CallHeartbeatOptions {
  store: Store;
  /** This process's instance id, the owner written on the calls it starts. */
  instanceId: string;
  /** The calls running in this process now. */
  liveCallIds: () => string[];
  intervalMs: number;
  logger: Logger;
  /** Refreshed on the same beat: this process and its calls in the Redis call directory. */
  directory?: Pick<RedisCallDirectory, 'heartbeat'>;
}

/**
 * Keeps this process's live calls marked alive: every `intervalMs`, one statement refreshes the
 * heartbeat of all of them (nothing per call, nothing on the media path). A process that dies
 * stops refreshing, and another process's sweep ends its calls as lost.
 */
export class CallHeartbeat {
  readonly #o: CallHeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #beat: Promise<void> | undefined;
  #stopped = false;

  constructor(options: CallHeartbeatOptions) {
    this.#o = options;
  }

  /** Refreshes the heartbeat of every live call now. */
  async beat(): Promise<void> {
    const ids = this.#o.liveCallIds();
    await Promise.all([
      this.#o.store.calls.heartbeat(this.#o.instanceId, ids),
      this.#o.directory?.heartbeat(ids),
    ]);
  }

  start(): void {
    const tick = () => {
      this.#beat = this.beat()
        .catch((err: unknown) =>
          this.#o.logger.warn({ err: (err as Error).message }, 'call heartbeat failed; retrying'),
        )
        .finally(() => {
          this.#beat = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs);
        });
    };
    this.#timer = setTimeout(tick, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#beat;
  }
}
