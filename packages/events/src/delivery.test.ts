import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallEventBus, silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { asc, eq } from 'drizzle-orm';
import { DeliveryWorker } from './delivery-worker.js';
import { publishCall, seedWorkspace } from './fixtures.js';
import { createCallRecorder } from './recorder.js';
import { DeliveriesRepo } from './repos/deliveries.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { verifySignature } from './signature.js';
import { deliveries, outbox } from './tables.js';
import { manualClock, type Received, startReceiver, type TestReceiver } from './testing.js';

const HOUR = 3600_000;

/** Seeds a workspace with a webhook for every event and `calls` finished calls. */
async function seedCalls(store: Store, url: string, calls: number) {
  const { workspaceId, agentId } = await seedWorkspace(store);
  const hooks = new WebhooksRepo(store.database.db, store.credentials);
  const { webhook, secret } = await hooks.create(workspaceId, {
    url,
    eventTypes: ['call.started', 'call.answered', 'transcript.final', 'dtmf.received', 'call.ended'],
  });
  const bus = new CallEventBus();
  const rec = createCallRecorder({ store, bus, logger: silentLogger() });
  const callIds = Array.from({ length: calls }, () => publishCall(bus, { workspaceId, agentId }));
  await rec.stop();
  return { workspaceId, webhook, secret, callIds };
}

/** Every received event once per id, each call's events in outbox order. */
async function assertCompleteAndOrdered(store: Store, received: Received[], callIds: string[]) {
  const events = await store.database.db.select().from(outbox).orderBy(asc(outbox.seq));
  const mine = events.filter((e) => callIds.includes(e.callId));
  const byId = new Map(mine.map((e) => [e.id, e]));
  const ids = received.map((r) => r.eventId);
  assert.equal(new Set(ids).size, mine.length, 'every event arrived');
  for (const id of ids) assert.ok(byId.has(id), `unknown event id ${id}`);
  for (const callId of callIds) {
    const seqs = received
      .filter((r) => byId.get(r.eventId)?.callId === callId)
      .map((r) => byId.get(r.eventId)!.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      `events of call ${callId} arrived in order`,
    );
  }
}

for (const backend of testBackends()) {
  describe(`webhook delivery (${backend})`, () => {
    let store: Store;
    let rx: TestReceiver;
    before(async () => {
      store = await openTestStore(backend);
      rx = await startReceiver();
    });
    after(async () => {
      await rx.close();
      await store.close();
    });

    test('receiver down for hours, then back: every event arrives once, in order per call, signed', async () => {
      rx.received.length = 0;
      const { secret, callIds } = await seedCalls(store, rx.url, 3);
      const clock = manualClock();
      const worker = new DeliveryWorker({ store, logger: silentLogger(), now: clock.now, random: () => 0.5 });
      rx.failWith = 503;
      for (let i = 0; i < 10; i++) {
        await worker.tick();
        clock.advance(HOUR);
      }
      assert.equal(rx.received.length, 0);
      rx.failWith = null;
      for (let i = 0; i < 40 && (await new DeliveriesRepo(store.database.db).counts()).pending > 0; i++) {
        while ((await worker.tick()) > 0) {}
        clock.advance(HOUR);
      }
      await assertCompleteAndOrdered(store, rx.received, callIds);
      for (const r of rx.received) {
        const sig = verifySignature(secret, r.headers['x-switchboard-signature'] as string, r.body, 300);
        assert.ok(sig.ok, 'signature verifies');
        const env = r.json as {
          id: string;
          type: string;
          workspaceId: string;
          data: Record<string, unknown>;
        };
        assert.equal(env.id, r.eventId);
        assert.equal(r.headers['x-switchboard-event-type'], env.type);
      }
    });

    test('a worker that dies mid-delivery loses nothing: the lease expires and another delivers', async () => {
      rx.received.length = 0;
      const { callIds } = await seedCalls(store, rx.url, 1);
      const clock = manualClock();
      const repo = new DeliveriesRepo(store.database.db);
      // The dead worker's claim: taken, never finished.
      const taken = await repo.claim('worker-that-died', new Date(clock.now()), 60_000, 100);
      assert.equal(taken.length, 1, 'only the first event of the call is claimable');
      const worker = new DeliveryWorker({ store, logger: silentLogger(), now: clock.now, leaseMs: 60_000 });
      assert.equal(await worker.tick(), 0, 'the lease still holds; later events wait behind it');
      clock.advance(60_001);
      while ((await worker.tick()) > 0) {}
      await assertCompleteAndOrdered(store, rx.received, callIds);
      const [row] = await store.database.db.select().from(deliveries).where(eq(deliveries.id, taken[0]!.id));
      assert.equal(row?.status, 'delivered');
      assert.equal(row?.attempts, 2, 'the lost attempt counts');
    });

    test('retried for at least 24 hours, then dead-lettered; replay delivers it', async () => {
      rx.received.length = 0;
      const { workspaceId, webhook } = await seedWorkspaceWithOneEvent(store, rx.url);
      const clock = manualClock();
      const attempts: number[] = [];
      rx.respond = () => {
        attempts.push(clock.now());
        return 500;
      };
      const worker = new DeliveryWorker({ store, logger: silentLogger(), now: clock.now });
      const repo = new DeliveriesRepo(store.database.db);
      for (let i = 0; i < 500; i++) {
        await worker.tick();
        const [d] = (await repo.list(workspaceId, { webhookId: webhook.id })).data;
        if (d?.status === 'dead') break;
        clock.set(Math.max(clock.now() + 1, d!.nextAttemptAt.getTime()));
      }
      const [dead] = (await repo.list(workspaceId, { status: 'dead' })).data;
      assert.ok(dead, 'dead-lettered');
      assert.ok(attempts.at(-1)! - attempts[0]! >= 24 * HOUR, 'retried for 24 hours');
      assert.ok(attempts.length >= 20 && attempts.length < 60, `attempts ${attempts.length} back off`);
      for (let i = 2; i < 10; i++)
        assert.ok(attempts[i]! - attempts[i - 1]! > attempts[i - 1]! - attempts[i - 2]!);
      assert.equal(dead.lastStatus, 500);

      rx.respond = undefined;
      assert.equal(await repo.replay(workspaceId, { webhookId: webhook.id }, new Date(clock.now())), 1);
      await worker.tick();
      assert.equal(rx.received.length, 1);
      assert.equal(rx.received[0]?.eventId, dead.eventId, 'the replay carries the same event id');
      assert.equal((await repo.get(workspaceId, dead.id)).status, 'delivered');
    });

    test('a 4xx other than 408/429 is dead-lettered at once', async () => {
      rx.received.length = 0;
      const { workspaceId } = await seedWorkspaceWithOneEvent(store, rx.url);
      rx.failWith = 410;
      const worker = new DeliveryWorker({ store, logger: silentLogger() });
      await worker.tick();
      rx.failWith = null;
      const [d] = (await new DeliveriesRepo(store.database.db).list(workspaceId, {})).data;
      assert.equal(d?.status, 'dead');
      assert.equal(d?.attempts, 1);
    });
  });
}

/** One call.started event for one webhook. */
async function seedWorkspaceWithOneEvent(store: Store, url: string) {
  const { workspaceId, agentId } = await seedWorkspace(store);
  const hooks = new WebhooksRepo(store.database.db, store.credentials);
  const { webhook } = await hooks.create(workspaceId, { url, eventTypes: ['call.started'] });
  const bus = new CallEventBus();
  const rec = createCallRecorder({ store, bus, logger: silentLogger() });
  publishCall(bus, { workspaceId, agentId });
  await rec.stop();
  return { workspaceId, webhook };
}
