import { hostname } from 'node:os';
import { type CallEventBus, type Logger, newId } from '@switchboard/core';
import type { Database, Store } from '@switchboard/store';
import type { Job } from 'pg-boss';
import { DbGate, GroupCommit, yieldToLoop } from './batching.js';
import { claimCalls, DEFAULT_PLAN_AHEAD_MS, type LimitDefaults } from './claim.js';
import { type CallEnding, finishCalls, putBack, SLOTS_CHANNEL } from './finish.js';
import { DEFAULT_LIMITS } from './limits.js';
import { CANCEL_CHANNEL, OutboundCalls } from './outbound-calls.js';
import { awaitPlacementTime, type ClaimedCall } from './pacing.js';
import { acquireDialQueue, type DialJob, type DialQueue, type DialQueueOptions } from './queue.js';
import { markPlacing } from './repos/calls.js';
import { type Retake, retakeGrants } from './repos/slots.js';
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
  /** The dialer's own transactions at once; defaults to 1 on PGlite (one connection) and 8. */
  dbConcurrency?: number;
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
    maxConcurrentCallsPerWorkspace:
      o.limits?.maxConcurrentCallsPerWorkspace ?? DEFAULT_LIMITS.maxConcurrentCallsPerWorkspace,
    callsPerSecondPerNumber: o.limits?.callsPerSecondPerNumber ?? DEFAULT_LIMITS.callsPerSecondPerNumber,
    rateMarginMs: o.limits?.rateMarginMs ?? 20,
    placeDelayMs: o.limits?.placeDelayMs ?? 250,
    planAheadMs: o.limits?.planAheadMs ?? DEFAULT_PLAN_AHEAD_MS,
  };
  const rateRecheckMs = Math.max(1, Math.floor((defaults.planAheadMs ?? DEFAULT_PLAN_AHEAD_MS) / 5));
  let latePlacements = 0;
  const leaseTtlMs = o.leaseTtlMs ?? 30_000;
  const tickMs = o.tickMs ?? 1000;
  const { queue, release } = acquireDialQueue(database, { ...o.queue, logger });
  // Put a waiting job back well before pg-boss would think its worker died.
  const maxSlotWaitMs = o.maxSlotWaitMs ?? (queue.expireInSeconds * 1000) / 2;
  const calls = new OutboundCalls(o.store, queue, clock);
  const gate = new DbGate(o.dbConcurrency ?? (database.kind === 'pglite' ? 1 : 8));
  // PGlite runs queries on this thread: let placement timers fire between a transaction's statements.
  const pause = database.kind === 'pglite' ? yieldToLoop : undefined;
  // Call ends and late grants are written in batches; 25 ends keep one batch from holding up
  // placement timers for long on PGlite.
  const endings = new GroupCommit(async (items: CallEnding[]) => {
    const done = await gate.run(() => finishCalls(db, items, pause));
    return items.map((i) => done.get(i.callId) ?? { call: undefined, wrote: false });
  }, 25);
  const retakes = new GroupCommit(
    (items: Retake[]) => gate.run(() => retakeGrants(db, items, () => new Date(clock.now()), leaseTtlMs)),
    50,
  );
  // Calls about to go to the carrier are marked in batches too (see `markPlacing`).
  const marks = new GroupCommit(async (callIds: string[]) => {
    const marked = await gate.run(() => markPlacing(db, callIds, holder, new Date(clock.now())));
    return callIds.map((id) => marked.has(id));
  }, 50);
  // The numbers each running call's job offered, for giving it back to the queue unplaced.
  const offered = new Map<string, DialJob['callerIds']>();
  const runner = new CallRunner({
    finish: (ending) => endings.add(ending),
    requeue: (call, otherwise) =>
      gate.run(() =>
        putBack(
          db,
          queue,
          { callId: call.id, callerIds: offered.get(call.id) },
          holder,
          new Date(clock.now()),
          otherwise,
        ),
      ),
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

  const launch = async (r: ClaimedCall, callerIds: DialJob['callerIds']): Promise<void> => {
    const maxMs = await maxDurationFor(r.call.agentId);
    offered.set(r.call.id, callerIds);
    runner.start(
      r.call,
      r.from,
      maxMs,
      // A finished campaign call may make its contact's next attempt, or the next contact, due.
      () => {
        offered.delete(r.call.id);
        if (r.call.campaignId) kick();
      },
      async (signal) => {
        const { retakes: retaken, placeable } = await awaitPlacementTime({
          clock,
          placeDelayMs: defaults.placeDelayMs,
          // The rate window's margin over one second absorbs the lateness: half of it before
          // this check, half between the check and the placer starting the call.
          toleranceMs: defaults.rateMarginMs / 2,
          claimed: r,
          retake: (grant) => retakes.add({ callId: r.call.id, holder, grant, limits: r.rate }),
          mark: () => marks.add(r.call.id),
          signal,
        });
        if (retaken > 0) {
          latePlacements += retaken;
          logger.warn(
            { callId: r.call.id, retakes: retaken },
            'call fell behind its rate grant; took a new one',
          );
        }
        return placeable;
      },
    );
  };

  // Round-robin over a job's caller IDs: when several numbers have room at the same time, calls
  // take them in turn instead of all starting on the first.
  let turn = 0;
  const handleBatch = async (jobs: Job<DialJob>[]): Promise<void> => {
    const started = clock.now();
    let waiting = [...new Map(jobs.map((j) => [j.data.callId, j.data])).values()];
    for (;;) {
      // Thrown, so pg-boss retries the jobs later here or in another process.
      if (stopping) throw new Error('dialer is stopping');
      const inputs = waiting.map((d) => ({ callId: d.callId, candidates: rotate(d.callerIds, turn++) }));
      const results = await gate.run(() =>
        claimCalls(db, inputs, { holder, now: () => new Date(clock.now()), leaseTtlMs, defaults, pause }),
      );
      const left: DialJob[] = [];
      let rateWaitMs = Number.POSITIVE_INFINITY;
      let full = false;
      for (const d of waiting) {
        const r = results.get(d.callId);
        if (r?.kind === 'claimed') await launch(r, d.callerIds);
        else if (r?.kind === 'rate') {
          left.push(d);
          rateWaitMs = Math.min(rateWaitMs, r.waitMs);
        } else if (r?.kind === 'full') {
          left.push(d);
          full = true;
        }
      }
      if (left.length === 0) return;
      waiting = left;
      if (clock.now() - started > maxSlotWaitMs) {
        for (const d of waiting) await queue.sendLater(d, new Date(clock.now() + 1000));
        return;
      }
      // A rate wait lasts until a good share of the plan-ahead time has room, so each claim
      // plans several calls; a freed slot (NOTIFY) ends a wait for one early.
      const rateWait = Math.max(rateWaitMs, rateRecheckMs);
      if (full) await waitForSlot(Math.min(rateWait, 250));
      else await sleep(clock, rateWait, stopSignal.signal);
    }
  };

  // Ticks run one after another; one asked for during a run starts after it, with a fresh clock.
  let chain: Promise<void> = Promise.resolve();
  const runTick = async (): Promise<void> => {
    try {
      await gate.run(async () => {
        // Read once the gate is ours: a window check on a stale time could queue calls late.
        const now = new Date(clock.now());
        await sweepExpiredLeases(db, queue, now, logger, (callId) => runner.has(callId));
        if (!stopping) await fillCampaigns(db, queue, now, logger);
      });
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
      // PGlite has one process at a time: leases left by another holder are a dead process's.
      // Its calls are settled now (queued again when never placed) rather than on lease expiry.
      if (database.kind === 'pglite') {
        await gate
          .run(() =>
            sweepExpiredLeases(db, queue, new Date(clock.now()), logger, (id) => runner.has(id), holder),
          )
          .catch((err: unknown) => logger.warn({ err }, 'could not settle leases left by a stopped process'));
      }
      // Calls whose jobs the process this one replaces was holding go out now, not on expiry.
      const reclaimed = await queue.reclaimOrphaned().catch((err: unknown) => {
        logger.warn({ err }, 'could not hand back dispatch jobs left by a stopped process');
        return 0;
      });
      if (reclaimed > 0) logger.info({ jobs: reclaimed }, 'dispatching calls a stopped process had taken');
      workId = await queue.work(o.dispatchConcurrency ?? 10, handleBatch);
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

const rotate = <T>(xs: T[], turn: number): T[] => {
  const k = xs.length > 0 ? turn % xs.length : 0;
  return [...xs.slice(k), ...xs.slice(0, k)];
};
