import type { Logger } from '@switchboard/core';
import type { Store } from '@switchboard/store';

export interface CallHeartbeatOptions {
  store: Store;
  /** This process's instance id, the owner written on the calls it starts. */
  instanceId: string;
  /** The calls running in this process now. */
  liveCallIds: () => string[];
  intervalMs: number;
  logger: Logger;
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
    await this.#o.store.calls.heartbeat(this.#o.instanceId, this.#o.liveCallIds());
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
