/**
 * Webhook delivery, measured: events per second and latency from the outbox commit to the local
 * receiver; then the same with the receiver failing half the time (0 lost is the requirement).
 * Usage: node --import tsx bench/webhooks.ts [calls=200]   (DATABASE_URL adds a PostgreSQL run)
 */
import { CallEventBus, silentLogger } from '../packages/core/src/index.js';
import { DeliveryWorker } from '../packages/events/src/delivery-worker.js';
import { publishCall, seedWorkspace } from '../packages/events/src/fixtures.js';
import { createCallRecorder } from '../packages/events/src/recorder.js';
import { DeliveriesRepo } from '../packages/events/src/repos/deliveries.js';
import { WebhooksRepo } from '../packages/events/src/repos/webhooks.js';
import { startReceiver } from '../packages/events/src/testing.js';
import type { Store } from '../packages/store/src/store.js';
import { type Backend, openTestStore, testBackends } from '../packages/store/src/testing.js';
import { printTable, summarize } from './stats.js';

const CALLS = Number(process.argv[2] ?? 200);
const EVENTS_PER_CALL = 8;
const rows: Record<string, string | number>[] = [];

async function run(store: Store, backend: Backend, failRate: number): Promise<void> {
  const rx = await startReceiver();
  const { workspaceId, agentId } = await seedWorkspace(store);
  await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
    url: rx.url,
    eventTypes: ['call.started', 'call.answered', 'transcript.final', 'dtmf.received', 'call.ended'],
  });
  const latencies: number[] = [];
  const seen = new Set<string>();
  let requests = 0;
  rx.respond = (r) => {
    requests++;
    if (Math.random() < failRate) return 503;
    if (!seen.has(r.eventId)) {
      seen.add(r.eventId);
      latencies.push(Date.now() - Date.parse((r.json as { createdAt: string }).createdAt));
    }
    return 200;
  };
  const worker = new DeliveryWorker({
    store,
    logger: silentLogger(),
    batchSize: 100,
    pollIntervalMs: 100,
    // Short delays so the failing run finishes in seconds; the schedule's shape is the same.
    schedule: { firstDelayMs: 20, maxDelayMs: 500 },
  });
  await worker.start();
  const bus = new CallEventBus();
  const rec = createCallRecorder({ store, bus, logger: silentLogger() });
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) publishCall(bus, { workspaceId, agentId });
  await rec.stop();
  const writeSeconds = (performance.now() - t0) / 1000;
  const total = CALLS * EVENTS_PER_CALL;
  const repo = new DeliveriesRepo(store.database.db);
  while (seen.size < total) {
    await new Promise((r) => setTimeout(r, 20));
    if ((await repo.counts()).pending === 0) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  await rx.close();
  const dead = (await repo.list(workspaceId, { status: 'dead' })).data.length;
  const s = summarize(latencies);
  rows.push({
    backend,
    receiver: failRate ? `fails ${Math.round(failRate * 100)}%` : 'healthy',
    events: total,
    delivered: seen.size,
    lost: total - seen.size,
    dead,
    requests,
    'written/s': Math.round(total / writeSeconds),
    'delivered/s': Math.round(seen.size / seconds),
    'p50 ms': s.p50,
    'p99 ms': s.p99,
    'max ms': s.max,
  });
}

for (const backend of testBackends()) {
  const store = await openTestStore(backend);
  try {
    await run(store, backend, 0);
    await run(store, backend, 0.5);
  } finally {
    await store.close();
  }
}
printTable(
  `Webhook delivery: ${CALLS} calls x ${EVENTS_PER_CALL} events published at once, one worker, local receiver. ` +
    'Latency is outbox commit to receipt, so it includes queueing behind the burst.',
  rows,
);
const lost = rows.reduce((n, r) => n + Number(r.lost), 0);
if (lost > 0) {
  process.stderr.write(`LOST ${lost} events\n`);
  process.exit(1);
}
