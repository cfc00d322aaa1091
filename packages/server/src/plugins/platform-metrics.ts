import type { CallEvent, CallEventBus } from '@switchboard/core';
import { AnalysesRepo, DeliveriesRepo } from '@switchboard/events';
import type { Store } from '@switchboard/store';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CallSlotStats } from '../calls/call-slots.js';

/** Counters a worker keeps (DeliveryWorker.stats, AnalysisWorker.stats). */
type Stats = Readonly<Record<string, number>>;

const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
const DURATION_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * The platform's own metrics on the `/metrics` registry: calls live and finished (by connector,
 * direction and outcome), call length, the time from the caller's last word to the agent's first
 * audio, and the results pipeline (outbox backlog, deliveries, dead letters, analyses). Call
 * metrics come from the event bus, so every connector is counted the same way.
 */
export function registerPlatformMetrics(o: {
  registry: Registry;
  bus: CallEventBus;
  store: Store;
  deliveries?: () => Stats;
  analyses?: () => Stats;
  /** Calls this process's sweep ended as lost (their process died). */
  lostCalls?: () => number;
  /** The per-process call cap: its size, the slots held and the calls refused. */
  callSlots?: () => CallSlotStats;
}): () => void {
  const registers = [o.registry];
  const active = new Gauge({
    name: 'switchboard_calls_active',
    help: 'Calls in progress in this process',
    labelNames: ['connector', 'direction'] as const,
    registers,
  });
  const ended = new Counter({
    name: 'switchboard_calls_total',
    help: 'Calls ended in this process, by outcome and ended reason',
    labelNames: ['connector', 'direction', 'outcome', 'reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'switchboard_call_duration_seconds',
    help: 'Length of ended calls',
    labelNames: ['connector'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const responseLatency = new Histogram({
    name: 'switchboard_turn_response_seconds',
    help: "From the caller's end of speech to the agent's first audio sent, per turn",
    labelNames: ['connector'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const interruptions = new Counter({
    name: 'switchboard_barge_ins_total',
    help: 'Times a caller interrupted the agent',
    registers,
  });
  fromStats(
    registers,
    'switchboard_webhook_deliveries_total',
    'Delivery attempts by this process',
    o.deliveries,
  );
  fromStats(
    registers,
    'switchboard_analyses_total',
    'Post-call analysis attempts by this process',
    o.analyses,
  );

  if (o.lostCalls) {
    const read = o.lostCalls;
    let seen = 0;
    new Counter({
      name: 'switchboard_calls_lost_total',
      help: 'Calls of a process that died (stale heartbeat), ended as lost by this process',
      registers,
      collect() {
        const n = read();
        if (n > seen) this.inc(n - seen);
        seen = n;
      },
    });
  }

  if (o.callSlots) registerSlotMetrics(registers, o.callSlots);

  const deliveryRepo = new DeliveriesRepo(o.store.database.db);
  const analysisRepo = new AnalysesRepo(o.store.database.db);
  new Gauge({
    name: 'switchboard_deliveries',
    help: 'Deliveries waiting (pending) or given up (dead), across all processes',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const counts = await deliveryRepo.backlog();
      this.set({ status: 'pending' }, counts.pending);
      this.set({ status: 'dead' }, counts.dead);
    },
  });
  new Gauge({
    name: 'switchboard_analyses_pending',
    help: 'Post-call analyses waiting to run, across all processes',
    registers,
    async collect() {
      this.set(await analysisRepo.pendingCount());
    },
  });

  const live = new Map<string, { connector: string; direction: string }>();
  return o.bus.subscribe((e: CallEvent) => {
    switch (e.type) {
      case 'call.started': {
        const labels = { connector: e.data.connector, direction: e.data.direction };
        live.set(e.callId, labels);
        active.inc(labels);
        return;
      }
      case 'agent.interrupted':
        interruptions.inc();
        return;
      case 'call.ended': {
        const labels = live.get(e.callId) ?? { connector: 'unknown', direction: 'unknown' };
        if (live.delete(e.callId)) active.dec(labels);
        ended.inc({ ...labels, outcome: e.data.outcome, reason: e.data.endedReason });
        duration.observe({ connector: labels.connector }, e.data.durationMs / 1000);
        for (const l of e.data.latencies) {
          if (l.callerStoppedMs !== undefined && l.firstAudioSentMs !== undefined) {
            const s = (l.firstAudioSentMs - l.callerStoppedMs) / 1000;
            if (s >= 0) responseLatency.observe({ connector: labels.connector }, s);
          }
        }
        return;
      }
      default:
        return;
    }
  });
}

function registerSlotMetrics(registers: Registry[], read: () => CallSlotStats): void {
  const seen = new Map<string, number>();
  new Counter({
    name: 'switchboard_calls_refused_total',
    help: 'New inbound calls this process refused, by reason (capacity: MAX_CONCURRENT_CALLS reached; draining: shutting down)',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      for (const [reason, n] of Object.entries(read().refused)) {
        // Both series exist from the first scrape, so rate() and alerts see a zero, not a gap.
        this.inc({ reason }, n - (seen.get(reason) ?? 0));
        seen.set(reason, n);
      }
    },
  });
  new Gauge({
    name: 'switchboard_calls_max_concurrent',
    help: 'MAX_CONCURRENT_CALLS of this process (0 = no cap)',
    registers,
    collect() {
      this.set(read().max);
    },
  });
  new Gauge({
    name: 'switchboard_call_slots_used',
    help: 'Calls holding a slot of the cap in this process: live, or admitted and starting',
    registers,
    collect() {
      this.set(read().inUse);
    },
  });
}

/** A counter fed from a worker's own tallies at scrape time, one series per result. */
function fromStats(registers: Registry[], name: string, help: string, read: (() => Stats) | undefined): void {
  if (!read) return;
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: ['result'] as const,
    registers,
    collect() {
      for (const [result, n] of Object.entries(read())) {
        const delta = n - (seen.get(result) ?? 0);
        if (delta > 0) this.inc({ result }, delta);
        seen.set(result, n);
      }
    },
  });
}
