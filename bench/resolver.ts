/**
 * Agents as data, measured:
 *  - publish → visible to a resolver in a second process (PostgreSQL, LISTEN/NOTIFY), and
 *    publish → visible in process on PGlite;
 *  - a cached resolveAgent call.
 * Usage: node --import tsx bench/resolver.ts [publishes=1000]   (DATABASE_URL for the PostgreSQL part)
 */

import { openDatabase } from '../packages/store/src/database.js';
import { startResolverChild } from '../packages/store/src/fixtures/child.js';
import { SecretBox } from '../packages/store/src/secrets.js';
import { createStore, type Store } from '../packages/store/src/store.js';
import {
  createTestPostgresDatabase,
  openTestStore,
  TEST_MASTER_KEY,
  testPostgresUrl,
} from '../packages/store/src/testing.js';
import { printTable, summarize } from './stats.js';

const N = Number(process.argv[2] ?? 1000);
const rows: Record<string, string | number>[] = [];

async function inProcess(store: Store, label: string): Promise<void> {
  const ws = (await store.accounts.createWorkspace('bench')).id;
  const a = await store.agents.create(ws, { name: 'bench', publish: true });
  const lat: number[] = [];
  for (let i = 0; i < Math.min(N, 300); i++) {
    const seen = new Promise<number>((resolve) => {
      const off = store.resolver.onInvalidate((id) => {
        if (id === a.id) {
          off();
          resolve(performance.now());
        }
      });
    });
    const t0 = performance.now();
    await store.agents.publish(ws, a.id);
    lat.push((await seen) - t0);
  }
  const s = summarize(lat);
  rows.push({
    measure: `publish → visible, same process (${label})`,
    n: s.n,
    'p50 ms': s.p50,
    'p99 ms': s.p99,
    'max ms': s.max,
  });

  await store.resolver.resolveAgent({ agentId: a.id });
  const cached: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const t0 = performance.now();
    await store.resolver.resolveAgent({ agentId: a.id });
    cached.push(performance.now() - t0);
  }
  const c = summarize(cached);
  rows.push({
    measure: `cached resolveAgent (${label})`,
    n: c.n,
    'p50 ms': c.p50,
    'p99 ms': c.p99,
    'max ms': c.max,
  });
}

async function crossProcess(): Promise<void> {
  const db = await createTestPostgresDatabase();
  const database = await openDatabase({ url: db.url, poolSize: 3 });
  await database.migrate();
  const store = createStore(database, new SecretBox(TEST_MASTER_KEY));
  const child = await startResolverChild(db.url);
  try {
    const ws = (await store.accounts.createWorkspace('bench')).id;
    const a = await store.agents.create(ws, { name: 'bench', publish: true });
    const lat: number[] = [];
    for (let i = 0; i < N; i++) {
      // Timed on this process's clock up to the child's report arriving: an upper bound that
      // includes the pipe back, so no cross-process clock skew enters the number.
      const seen = child
        .next((m) => m.type === 'invalidated' && m.agentId === a.id)
        .then(() => performance.now());
      const t0 = performance.now();
      await store.agents.publish(ws, a.id);
      lat.push((await seen) - t0);
    }
    const s = summarize(lat);
    rows.push({
      measure: 'publish → visible, second process (PostgreSQL)',
      n: s.n,
      'p50 ms': s.p50,
      'p99 ms': s.p99,
      'max ms': s.max,
    });
  } finally {
    await child.stop();
    await store.close();
    await db.drop();
  }
}

const pglite = await openTestStore('pglite');
await inProcess(pglite, 'PGlite');
await pglite.close();
if (testPostgresUrl()) {
  const pg = await openTestStore('postgres');
  await inProcess(pg, 'PostgreSQL');
  await pg.close();
  await crossProcess();
} else {
  rows.push({
    measure: 'publish → visible, second process',
    n: 0,
    'p50 ms': 'set DATABASE_URL',
    'p99 ms': '',
    'max ms': '',
  });
}
printTable(`Agent resolution (targets: cross-process p99 ≤ 100 ms, cached p99 ≤ 2 ms)`, rows);
