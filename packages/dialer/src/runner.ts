import type { CallEventBus, Logger } from '@switchboard/core';
import type { Call, Db } from '@switchboard/store';
import { type CallEnding, type Finished, finishCall } from './finish.js';
import type { CallEnd } from './repos/calls.js';
import { type RateCandidate, renewLease } from './repos/slots.js';
import { type CallPlacer, type Clock, type PlaceResult, sleep } from './types.js';

export type StopReason = 'cancelled' | 'max-duration' | 'shutdown' | 'lease-lost';

export interface RunnerOptions {
  db: Db;
  placer: CallPlacer;
  clock: Clock;
  logger: Logger;
  bus?: CallEventBus | undefined;
  holder: string;
  leaseTtlMs: number;
  /** After the signal aborts, how long the placer gets to settle before the call is ended anyway. */
  abortGraceMs: number;
  /** Records a call's end (batched by the dialer); defaults to one transaction per call. */
  finish?: (ending: CallEnding) => Promise<Finished>;
}

const END_ON_STOP: Record<StopReason, CallEnd> = {
  cancelled: { outcome: 'cancelled', endedReason: 'cancelled' },
  // The carrier went silent past the maximum duration: the call is ended without its answer.
  'max-duration': {
    outcome: 'failed',
    endedReason: 'max-duration',
    error: 'no result from the carrier in time',
  },
  shutdown: { outcome: 'failed', endedReason: 'shutdown', error: 'the dialer stopped before the call ended' },
  'lease-lost': { outcome: 'failed', endedReason: 'failed', error: 'the call lost its slot lease' },
};

const NOT_PLACED: CallEnd = {
  outcome: 'failed',
  endedReason: 'shutdown',
  error: 'the dialer stopped before placing the call',
};

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs claimed calls to their end: renews each call's lease while it runs, aborts it on cancel,
 * maximum duration or shutdown, and always finishes it (which frees its slots) exactly once.
 */
export class CallRunner {
  private readonly running = new Map<string, Running>();

  constructor(private readonly o: RunnerOptions) {}

  get size(): number {
    return this.running.size;
  }

  has(callId: string): boolean {
    return this.running.has(callId);
  }

  /**
   * `beforePlace` runs first, while the lease is renewed (placement pacing); when the call is
   * stopped during it, the call ends without being placed.
   */
  start(
    call: Call,
    from: RateCandidate,
    maxDurationMs: number,
    onDone: () => void,
    beforePlace?: (signal: AbortSignal) => Promise<void>,
  ): void {
    const controller = new AbortController();
    const done = this.run(call, from, maxDurationMs, controller, beforePlace).finally(() => {
      this.running.delete(call.id);
      onDone();
    });
    this.running.set(call.id, { controller, done });
  }

  stop(callId: string, reason: StopReason): boolean {
    const r = this.running.get(callId);
    if (!r) return false;
    if (!r.controller.signal.aborted) r.controller.abort(reason);
    return true;
  }

  /** Waits for every running call; after `graceMs` the rest are stopped with reason `shutdown`. */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: unknown;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve('timeout'), graceMs);
    });
    const r = await Promise.race([all().then(() => 'done' as const), grace]);
    this.o.clock.clearTimeout(timer);
    if (r === 'timeout') {
      for (const id of this.running.keys()) this.stop(id, 'shutdown');
      await all();
    }
  }

  private async run(
    call: Call,
    from: RateCandidate,
    maxDurationMs: number,
    controller: AbortController,
    beforePlace?: (signal: AbortSignal) => Promise<void>,
  ) {
    const { clock, logger } = this.o;
    const signal = controller.signal;
    let renewTimer: unknown;
    const renew = () => {
      renewTimer = clock.setTimeout(async () => {
        try {
          const ok = await renewLease(
            this.o.db,
            call.id,
            this.o.holder,
            new Date(clock.now() + this.o.leaseTtlMs),
          );
          if (!ok) controller.abort('lease-lost');
        } catch (err) {
          logger.warn({ err, callId: call.id }, 'lease renewal failed; retrying');
        }
        if (!signal.aborted) renew();
      }, this.o.leaseTtlMs / 3);
    };
    renew();
    const maxTimer = clock.setTimeout(() => controller.abort('max-duration'), maxDurationMs);
    let graceTimer: unknown;
    const stopped = new Promise<CallEnd>((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          const reason = (signal.reason as StopReason) ?? 'cancelled';
          graceTimer = clock.setTimeout(
            () => resolve(END_ON_STOP[reason] ?? END_ON_STOP.cancelled),
            this.o.abortGraceMs,
          );
        },
        { once: true },
      );
    });
    const place = async (): Promise<CallEnd> => {
      if (beforePlace) {
        try {
          await beforePlace(signal);
        } catch (err) {
          // Without its grant the call cannot go out within the rate.
          logger.warn({ err, callId: call.id }, 'could not pace the call; not placing it');
          return {
            outcome: 'failed',
            endedReason: 'failed',
            error: 'the dialer could not schedule the call',
          };
        }
        if (signal.aborted) {
          const reason = (signal.reason as StopReason) ?? 'cancelled';
          return reason === 'cancelled' ? END_ON_STOP.cancelled : NOT_PLACED;
        }
      }
      return this.o.placer
        .place(
          {
            callId: call.id,
            workspaceId: call.workspaceId,
            agentId: call.agentId ?? '',
            to: call.toNumber,
            from: from.number,
            variables: call.variables,
            connector: from.connector,
          },
          signal,
        )
        .then(
          (r: PlaceResult): CallEnd => ({
            outcome: r.outcome,
            endedReason: r.endedReason,
            answered: r.answered,
            ...(r.error ? { error: r.error } : {}),
          }),
          (err: unknown): CallEnd => {
            logger.warn({ err, callId: call.id }, 'placing the call failed');
            return {
              outcome: 'failed',
              endedReason: 'connector-error',
              error: 'the carrier connection failed',
            };
          },
        );
    };
    const placed = place();
    const end = await Promise.race([placed, stopped]);
    clock.clearTimeout(renewTimer);
    clock.clearTimeout(maxTimer);
    clock.clearTimeout(graceTimer);
    if (!signal.aborted) controller.abort('cancelled');
    await this.finish(call, end);
  }

  private async finish(call: Call, end: CallEnd): Promise<void> {
    const at = new Date(this.o.clock.now());
    for (let attempt = 0; ; attempt++) {
      try {
        const r = this.o.finish
          ? await this.o.finish({ callId: call.id, end, at })
          : await finishCall(this.o.db, call.id, end, at);
        // A session that ran publishes its own call.ended; every other end (busy, no answer, a
        // machine, a failed dial, a crash) is published here, so receivers hear of every call.
        if (r.wrote && r.call && end.answered !== true) this.publishEnded(r.call);
        return;
      } catch (err) {
        // A deadlock or a dropped connection: the lease would expire and the sweeper would end the
        // call, but retrying here frees the slot sooner.
        if (attempt >= 4) {
          this.o.logger.error(
            { err, callId: call.id },
            'could not record the end of a call; its lease will expire',
          );
          return;
        }
        await sleep(this.o.clock, 100 * 2 ** attempt);
      }
    }
  }

  private publishEnded(call: Call): void {
    this.o.bus?.publish({
      type: 'call.ended',
      callId: call.id,
      workspaceId: call.workspaceId,
      at: call.endedAt?.getTime() ?? this.o.clock.now(),
      data: {
        outcome: (call.outcome ?? 'failed') as 'failed',
        endedReason: (call.endedReason ?? 'failed') as 'failed',
        durationMs: call.durationMs ?? 0,
        transcript: [],
        latencies: [],
      },
    });
  }
}
