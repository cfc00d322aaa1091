import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CallEventBus, silentLogger } from '@switchboard/core';
import { createStore, openDatabase, SecretBox, type Store } from '@switchboard/store';
import { createTestPostgresDatabase, TEST_MASTER_KEY, testPostgresUrl } from '@switchboard/store/testing';
import { DeliveryWorker } from './delivery-worker.js';
import { publishCall, seedWorkspace } from './fixtures.js';
import { createCallRecorder } from './recorder.js';
import { DeliveriesRepo } from './repos/deliveries.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { startReceiver, type TestReceiver } from './testing.js';

const ORDER = [
  'call.started',
  'call.answered',
  ...Array(4).fill('transcript.final'),
  'dtmf.received',
  'call.ended',
];
const skip = testPostgresUrl() ? false : 'needs PostgreSQL (DATABASE_URL or TEST_DATABASE_URL)';

async function waitFor(cond: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
}

describe('delivery across processes (postgres)', { skip }, () => {
  let url: string;
  let drop: () => Promise<void>;
  let a: Store;
  let b: Store;
  let rx: TestReceiver;
  before(async () => {
    ({ url, drop } = await createTestPostgresDatabase());
    const open = async () =>
      createStore(await openDatabase({ url, poolSize: 4 }), new SecretBox(TEST_MASTER_KEY));
    a = await open();
    await a.database.migrate();
    b = await open();
    rx = await startReceiver();
  });
  after(async () => {
    await rx.close();
    await a?.close();
    await b?.close();
    await drop?.();
  });

  async function seed(calls: number) {
    const { workspaceId, agentId } = await seedWorkspace(a);
    await new WebhooksRepo(a.database.db, a.credentials).create(workspaceId, {
      url: rx.url,
      eventTypes: ['call.started', 'call.answered', 'transcript.final', 'dtmf.received', 'call.ended'],
    });
    const bus = new CallEventBus();
    const rec = createCallRecorder({ store: a, bus, logger: silentLogger() });
    const callIds = Array.from({ length: calls }, () => publishCall(bus, { workspaceId, agentId }));
    await rec.stop();
    return { workspaceId, callIds };
  }

  test('two workers on two connections share the deliveries without duplicates, in order per call', async () => {
    rx.received.length = 0;
    const { callIds } = await seed(20);
    const total = 20 * 8;
    const w1 = new DeliveryWorker({
      store: a,
      logger: silentLogger(),
      pollIntervalMs: 50,
      batchSize: 5,
      id: 'one',
    });
    const w2 = new DeliveryWorker({
      store: b,
      logger: silentLogger(),
      pollIntervalMs: 50,
      batchSize: 5,
      id: 'two',
    });
    await Promise.all([w1.start(), w2.start()]);
    await waitFor(() => rx.received.length >= total);
    await Promise.all([w1.stop(), w2.stop()]);
    const ids = rx.received.map((r) => r.eventId);
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total, 'no event delivered twice');
    // Order per call: the call id is in every switchboard payload.
    for (const callId of callIds) {
      const types = rx.received
        .map((r) => r.json as { type: string; data: { callId: string } })
        .filter((j) => j.data.callId === callId)
        .map((j) => j.type);
      assert.deepEqual(types, ORDER);
    }
    assert.equal(w1.stats.delivered + w2.stats.delivered, total);
    assert.ok(w1.stats.delivered > 0 && w2.stats.delivered > 0, 'both workers took part');
  });

  test('a worker process killed with SIGKILL mid-delivery: after its lease, the event is delivered', async () => {
    rx.received.length = 0;
    // The child's request is held open: it is killed while waiting for the answer.
    let release: (() => void) | undefined;
    const { workspaceId, callIds } = await seed(1);
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen = new Promise<void>((resolve) => {
      rx.onRequest = async () => {
        resolve();
        await hold;
      };
    });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url)),
        url,
        '2000',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await seen;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rx.onRequest = undefined;
    release?.();
    const repo = new DeliveriesRepo(b.database.db);
    const claimed = (await repo.list(workspaceId, { status: 'pending' })).data.filter(
      (d) => d.leaseOwner === 'child',
    );
    // The child leases the call's chain of events at once and was sending the first.
    assert.ok(claimed.length >= 1, 'the child held leases when it died');
    const worker = new DeliveryWorker({ store: b, logger: silentLogger(), pollIntervalMs: 50 });
    await worker.start();
    await waitFor(async () => (await repo.counts()).pending === 0);
    await worker.stop();
    const ids = new Set(rx.received.map((r) => r.eventId));
    assert.equal(ids.size, 8, 'every event of the call arrived');
    assert.equal((await repo.list(workspaceId, { status: 'delivered' })).data.length, 8);
    assert.equal(callIds.length, 1);
  });
});
