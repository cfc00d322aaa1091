/**
 * Dialer throughput: 10,000 queued calls against a fake carrier that answers instantly. Prints the
 * dispatch rate, the largest number of calls any one number started in a one-second window against
 * the configured rate, and duplicates (must be 0). PostgreSQL when DATABASE_URL is set, else PGlite.
 * Env: BENCH_CALLS (10000), BENCH_RATE per number per second (60), BENCH_NUMBERS (4),
 * BENCH_MARGIN_MS (the dialer's rate margin, 20).
 */
import { silentLogger } from '@switchboard/core';
import {
  createDialer,
  FakeCarrier,
  insertQueuedCallsForBench,
} from '../packages/dialer/src/bench-support.js';
import { seedWorkspace } from '../packages/dialer/src/fixtures/workspace.js';
import { createStore, openDatabase, SecretBox } from '../packages/store/src/index.js';
import {
  createTestPostgresDatabase,
  openTestStore,
  TEST_MASTER_KEY,
  testPostgresUrl,
} from '../packages/store/src/testing.js';
import { printTable } from './stats.js';

const total = Number(process.env.BENCH_CALLS ?? 10_000);
const rate = Number(process.env.BENCH_RATE ?? 60);
const numberCount = Number(process.env.BENCH_NUMBERS ?? 4);
const marginMs = Number(process.env.BENCH_MARGIN_MS ?? 20);
const backend = testPostgresUrl() ? 'postgres' : 'pglite';

// A pool wide enough for the dispatch concurrency; PGlite is one connection whatever we ask.
const pg = backend === 'postgres' ? await createTestPostgresDatabase() : undefined;
const database = pg ? await openDatabase({ url: pg.url, poolSize: 30 }) : undefined;
if (database) await database.migrate();
const store = database
  ? createStore(database, new SecretBox(TEST_MASTER_KEY))
  : await openTestStore('pglite');
const numbers = Array.from({ length: numberCount }, (_, i) => `+1415555${String(100 + i).padStart(4, '0')}`);
const w = await seedWorkspace(store, numbers);
const carrier = new FakeCarrier({ kind: 'answer' });
const dialer = createDialer({
  store,
  placer: carrier,
  logger: silentLogger(),
  dispatchConcurrency: 50,
  limits: { maxConcurrentCallsPerWorkspace: 500, callsPerSecondPerNumber: rate, rateMarginMs: marginMs },
});

const t0 = performance.now();
await insertQueuedCallsForBench(store, dialer.queue, {
  workspaceId: w.workspaceId,
  agentId: w.agentId,
  callerIds: numbers.map((number) => ({ number, connector: 'sip' })),
  count: total,
});
const enqueueMs = performance.now() - t0;

const t1 = performance.now();
await dialer.start();
while (carrier.placements.length < total || carrier.inFlight > 0) await new Promise((r) => setTimeout(r, 50));
const dialMs = performance.now() - t1;
const late = dialer.latePlacements;
await dialer.stop();

const worstWindow = (times: number[]) => {
  const s = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
};
const perNumber = numbers.map((n) =>
  worstWindow(carrier.placements.filter((p) => p.from === n).map((p) => p.at)),
);
const ended = await store.database.db.query.calls.findMany({ columns: { status: true } });
printTable(`dialer on ${backend}: ${total} calls, ${numberCount} numbers × ${rate}/s`, [
  {
    metric: 'enqueue (rows + jobs in one transaction per 500)',
    value: `${(total / (enqueueMs / 1000)).toFixed(0)} calls/s`,
  },
  { metric: 'dispatch rate (placed / wall time)', value: `${(total / (dialMs / 1000)).toFixed(1)} calls/s` },
  { metric: 'configured ceiling (numbers × rate)', value: `${numberCount * rate} calls/s` },
  { metric: 'largest 1 s burst on one number', value: `${Math.max(...perNumber)} (limit ${rate})` },
  { metric: 'largest 1 s burst, all numbers', value: `${worstWindow(carrier.placements.map((p) => p.at))}` },
  { metric: 'duplicates', value: `${carrier.duplicates().length}` },
  { metric: 'calls ended', value: `${ended.filter((c) => c.status === 'ended').length}/${total}` },
  { metric: 'peak carrier concurrency', value: `${carrier.maxActive}` },
  { metric: 'grants re-taken (call fell behind its grant)', value: `${late}` },
]);
await store.close();
await pg?.drop();
if (Math.max(...perNumber) > rate || carrier.duplicates().length > 0) process.exit(1);
