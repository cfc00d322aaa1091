import { hostname } from 'node:os';
import { type CallEventBus, type Logger, newId } from '@switchboard/core';
import type { Database, Store } from '@switchboard/store';
import type { Job } from 'pg-boss';
import { type ClaimResult, claimCall, type LimitDefaults } from './claim.js';
import { SLOTS_CHANNEL } from './finish.js';
import { CANCEL_CHANNEL, OutboundCalls } from './outbound-calls.js';
import { awaitPlacementTime } from './pacing.js';
import { acquireDialQueue, type DialJob, type DialQueue, type DialQueueOptions } from './queue.js';
import { CallRunner } from './runner.js';
import { fillCampaigns, sweepExpiredLeases } from './scheduler.js';
import { type CallPlacer, type Clock, sleep, systemClock } from './types.js';

export interface DialerOptions {
  store: Store;
  /** Defaults to the store's database. */
  database?: Database;
  placer: CallPlacer;
  logger: Logger;
  bus?: CallEventBus;
  clock?: Clock;
  /** Names this process on its leases; defaults to host, pid and a random suffix. */
  holder?: string;
  limits?: Partial<LimitDefaults>;
  /** Jobs this process works on at once (each either claims quickly or waits for a slot). */
  dispatchConcurrency?: number;
  leaseTtlMs?: number;
  /** Backstop over the agent's own maximum; the carrier may never answer (silence). */
  maxCallDurationMs?: number;
  abortGraceMs?: number;
  /** How long `stop()` lets calls in progress finish before ending them. */
  drainGraceMs?: number;
  /** Campaign filling and lease sweeping interval. */
  tickMs?: number;
  /** A job waiting this long for a slot is put back with a short delay instead. */
  maxSlotWaitMs?: number;
  queue?: DialQueueOptions;
}

export interface Dialer {
  readonly calls: OutboundCalls;
  readonly queue: DialQueue;
  start(): Promise<void>;
  /** No new dispatch; calls in progress keep their slots until they end or the grace passes. */
  stop(): Promise<void>;
  /** Runs one campaign fill and lease sweep now (tests, and after a change that frees work). */
  tick(): Promise<void>;
  readonly inFlight: number;
  /** Rate grants re-taken because their call fell more than the rate margin behind its placement time. */
  readonly latePlacements: number;
}

export function createDialer(o: DialerOptions): Dialer {
  const database = o.database ?? o.store.database;
  const db = database.db;
  const clock = o.clock ?? systemClock;
  const logger = o.logger.child({ component: 'dialer' });
  const holder = o.holder ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  const defaults: LimitDefaults = {
    maxConcurrentCallsPerWorkspace: o.limits?.maxConcurrentCallsPerWorkspace ?? 10,
    callsPerSecondPerNumber: o.limits?.callsPerSecondPerNumber ?? 1,
    rateMarginMs: o.limits?.rateMarginMs ?? 20,
    placeDelayMs: o.limits?.placeDelayMs ?? 250,
  };
  let latePlacements = 0;
  const leaseTtlMs = o.leaseTtlMs ?? 30_000;
  const tickMs = o.tickMs ?? 1000;
  const { queue, release } = acquireDialQueue(database, { ...o.queue, logger });
  // Put a waiting job back well before pg-boss would think its worker died.
  const maxSlotWaitMs = o.maxSlotWaitMs ?? (queue.expireInSeconds * 1000) / 2;
  const calls = new OutboundCalls(o.store, queue, clock);
  const runner = new CallRunner({
    db,
    placer: o.placer,
    clock,
    logger,
    bus: o.bus,
    holder,
    leaseTtlMs,
    abortGraceMs: o.abortGraceMs ?? 10_000,
  });

  let workId: string | undefined;
  let stopping = false;
  const stopSignal = new AbortController();
  let tickTimer: unknown;
  const unlisten: (() => Promise<void>)[] = [];
  // Jobs waiting for a slot wake when any process frees one (NOTIFY), or after a short poll.
  const slotWaiters = new Set<() => void>();
  const wakeWaiters = () => {
    for (const w of slotWaiters) w();
    slotWaiters.clear();
  };
  const waitForSlot = (ms: number) =>
    new Promise<void>((resolve) => {
      const h = clock.setTimeout(done, ms);
      function done() {
        clock.clearTimeout(h);
        slotWaiters.delete(done);
        resolve();
      }
      slotWaiters.add(done);
    });

  const maxDurationFor = async (agentId: string | null): Promise<number> => {
    if (o.maxCallDurationMs) return o.maxCallDurationMs;
    const snap = agentId
      ? await o.store.resolver.resolveAgent({ agentId }).catch(() => undefined)
      : undefined;
    return ((snap?.config.maxDurationSeconds ?? 900) + 60) * 1000;
  };

  const handle = async (job: Job<DialJob>): Promise<void> => {
    const started = clock.now();
    for (;;) {
      // Thrown, so pg-boss retries the job later here or in another process.
      if (stopping) throw new Error('dialer is stopping');
      const r: ClaimResult = await claimCall(db, {
        callId: job.data.callId,
        // Start at a random number of the pool so concurrent claims spread instead of all
        // probing the first, full one.
        candidates: rotate(job.data.callerIds, Math.floor(Math.random() * job.data.callerIds.length)),
        holder,
        now: () => new Date(clock.now()),
        leaseTtlMs,
        defaults,
      });
      if (r.kind === 'gone') return;
      if (r.kind === 'claimed') {
        const maxMs = await maxDurationFor(r.call.agentId);
        const retakes = await awaitPlacementTime({
          db,
          clock,
          holder,
          leaseTtlMs,
          placeDelayMs: defaults.placeDelayMs,
          // The rate window's margin over one second absorbs this much lateness.
          toleranceMs: defaults.rateMarginMs,
          claimed: r,
        });
        if (retakes > 0) {
          latePlacements += retakes;
          logger.warn({ callId: r.call.id, retakes }, 'call fell behind its rate grant; took a new one');
        }
        runner.start(r.call, r.from, maxMs, () => kick());
        return;
      }
      if (clock.now() - started > maxSlotWaitMs) {
        await queue.sendLater(job.data, new Date(clock.now() + 1000));
        return;
      }
      if (r.kind === 'rate') await sleep(clock, r.waitMs, stopSignal.signal);
      else await waitForSlot(250);
    }
  };

  // Ticks run one after another; one asked for during a run starts after it, with a fresh clock.
  let chain: Promise<void> = Promise.resolve();
  const runTick = async (): Promise<void> => {
    try {
      const now = new Date(clock.now());
      await sweepExpiredLeases(db, now, logger, (callId) => runner.has(callId));
      if (!stopping) await fillCampaigns(db, queue, now, logger);
    } catch (err) {
      logger.warn({ err }, 'dialer tick failed');
    }
  };
  const tick = (): Promise<void> => {
    chain = chain.then(runTick);
    return chain;
  };
  // A finished campaign call may make its next contact due: fill again soon, once.
  let kickPending = false;
  const kick = () => {
    if (kickPending || stopping) return;
    kickPending = true;
    queueMicrotask(() => {
      kickPending = false;
      void tick();
    });
  };
  const schedule = () => {
    tickTimer = clock.setTimeout(async () => {
      await tick();
      if (!stopping) schedule();
    }, tickMs);
  };

  return {
    calls,
    queue,
    get inFlight() {
      return runner.size;
    },
    get latePlacements() {
      return latePlacements;
    },
    tick,
    async start() {
      await queue.start();
      unlisten.push(await database.listen(SLOTS_CHANNEL, wakeWaiters));
      unlisten.push(
        await database.listen(CANCEL_CHANNEL, (callId) => {
          if (runner.stop(callId, 'cancelled')) logger.info({ callId }, 'cancelling a call in progress');
        }),
      );
      workId = await queue.work(o.dispatchConcurrency ?? 10, handle);
      schedule();
      logger.info({ holder, backend: database.kind }, 'dialer started');
    },
    async stop() {
      stopping = true;
      stopSignal.abort();
      clock.clearTimeout(tickTimer);
      wakeWaiters();
      if (workId) await queue.offWork(workId);
      await chain;
      await runner.drain(o.drainGraceMs ?? 30_000);
      for (const u of unlisten.splice(0)) await u().catch(() => {});
      await release();
    },
  };
}

const rotate = <T>(xs: T[], k: number): T[] => [...xs.slice(k), ...xs.slice(0, k)];
