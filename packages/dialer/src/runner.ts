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
  /**
   * Gives back a call stopped before it was handed to the carrier (`putBack`): it is queued
   * again, or ended with `otherwise` if it may have reached the carrier after all. Without it such
   * a call is ended with `otherwise`.
   */
  requeue?: (
    call: Call,
    otherwise: CallEnd,
  ) => Promise<{ requeued: boolean; finished?: Finished | undefined }>;
}

/** What a run comes to: an end to record, a call to give back, or a call no longer this runner's. */
type RunEnd = CallEnd | 'requeue' | 'not-ours';

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

/** For a call given back that may have reached the carrier after all (marked, then stopped). */
const NOT_PLACED: CallEnd = {
  outcome: 'failed',
  endedReason: 'shutdown',
  error: 'the dialer stopped while placing the call',
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
   * `beforePlace` runs first, while the lease is renewed (placement pacing and marking the call as
   * handed over); it resolves false when the call is no longer this runner's to place. A call
   * stopped before it is placed is given back to the queue (cancelled: ended cancelled).
   */
  start(
    call: Call,
    from: RateCandidate,
    maxDurationMs: number,
    onDone: () => void,
    beforePlace?: (signal: AbortSignal) => Promise<boolean>,
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
    beforePlace?: (signal: AbortSignal) => Promise<boolean>,
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
    const place = async (): Promise<RunEnd> => {
      if (beforePlace) {
        let placeable: boolean;
        try {
          placeable = await beforePlace(signal);
        } catch (err) {
          // Without its grant or its mark the call cannot go out: it waits in the queue again.
          logger.warn({ err, callId: call.id }, 'could not pace the call; queueing it again');
          return 'requeue';
        }
        if (signal.aborted) {
          const reason = (signal.reason as StopReason) ?? 'cancelled';
          if (reason === 'cancelled') return END_ON_STOP.cancelled;
          // A swept lease was settled by the process that took it.
          return reason === 'lease-lost' ? 'not-ours' : 'requeue';
        }
        if (!placeable) return 'not-ours';
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
            ...(call.agentOverrides ? { agentOverrides: call.agentOverrides } : {}),
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
    const end: RunEnd = await Promise.race([placed, stopped]);
    clock.clearTimeout(renewTimer);
    clock.clearTimeout(maxTimer);
    clock.clearTimeout(graceTimer);
    if (!signal.aborted) controller.abort('cancelled');
    if (end === 'not-ours') return;
    if (end === 'requeue') await this.giveBack(call);
    else await this.finish(call, end);
  }

  private async giveBack(call: Call): Promise<void> {
    if (!this.o.requeue) return this.finish(call, NOT_PLACED);
    try {
      const r = await this.o.requeue(call, NOT_PLACED);
      if (r.finished?.wrote && r.finished.call) this.publishEnded(r.finished.call);
    } catch (err) {
      // Its lease expires and the sweeper queues it again.
      this.o.logger.warn({ err, callId: call.id }, 'could not queue a call again; its lease will expire');
    }
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
