import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type CallEvent, CallEventBus, silentLogger } from '@switchboard/core';
import { createStore, openDatabase, SecretBox, type Store } from '@switchboard/store';
import {
  createTestPostgresDatabase,
  openTestStore,
  TEST_MASTER_KEY,
  testBackends,
} from '@switchboard/store/testing';
import { and, eq, sql } from 'drizzle-orm';
import { seedWorkspace } from './fixtures.js';
import { LostCallSweeper, sweepLostCalls } from './lost-calls.js';
import { OutboxWriter } from './outbox-writer.js';
import { createCallRecorder } from './recorder.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { calls, outbox } from './tables.js';

/** Two handles on one database: two connections on PostgreSQL, as two processes would have. */
async function twoStores(backend: 'pglite' | 'postgres'): Promise<[Store, Store, () => Promise<void>]> {
  if (backend === 'pglite') {
    const s = await openTestStore('pglite');
    return [s, s, () => s.close()];
  }
  const { url, drop } = await createTestPostgresDatabase();
  const open = async () =>
    createStore(await openDatabase({ url, poolSize: 4 }), new SecretBox(TEST_MASTER_KEY));
  const a = await open();
  await a.database.migrate();
  const b = await open();
  return [
    a,
    b,
    async () => {
      await a.close();
      await b.close();
      await drop();
    },
  ];
}

for (const backend of testBackends()) {
  describe(`calls of a dead process end as lost (${backend})`, () => {
    let a: Store;
    let b: Store;
    let close: () => Promise<void>;
    let workspaceId: string;
    let agentId: string;
    before(async () => {
      [a, b, close] = await twoStores(backend);
      ({ workspaceId, agentId } = await seedWorkspace(a));
      await new WebhooksRepo(a.database.db, a.credentials).create(workspaceId, {
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['call.ended'],
      });
    });
    after(() => close?.());

    /** Live calls started by a process `owner`, as its recorder writes them (no call.ended). */
    async function liveCalls(owner: string, n: number): Promise<string[]> {
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store: a, bus, logger: silentLogger(), instanceId: owner });
      const ids = Array.from({ length: n }, () => randomUUID());
      for (const callId of ids) {
        const base = { callId, workspaceId, at: Date.now() };
        bus.publish({
          ...base,
          type: 'call.started',
          data: {
            direction: 'inbound',
            from: '+1415',
            to: '+1416',
            agentId,
            agentVersion: 1,
            connector: 'sip',
          },
        } as CallEvent);
        bus.publish({ ...base, type: 'call.answered', data: {} } as CallEvent);
        bus.publish({
          ...base,
          type: 'transcript.final',
          data: { role: 'caller', text: 'hello?', startMs: 0 },
        } as CallEvent);
      }
      await rec.stop();
      return ids;
    }
    const ageHeartbeats = (ids: string[], ms: number) =>
      Promise.all(
        ids.map((id) =>
          a.database.db
            .update(calls)
            .set({ heartbeatAt: sql`now() - ${ms} * interval '1 millisecond'` })
            .where(eq(calls.id, id)),
        ),
      );
    const endedEvents = async (id: string) =>
      a.database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.callId, id), eq(outbox.type, 'call.ended')));

    test('regression: inbound calls stuck in progress after a crash — two sweepers racing end each once', async () => {
      const dead = await liveCalls('dead-process', 12);
      const alive = await liveCalls('live-process', 2);
      const queued = await a.calls.create({
        workspaceId,
        direction: 'outbound',
        connector: 'twilio',
        fromNumber: '+1415',
        toNumber: '+1416',
      });
      for (const id of dead) {
        assert.equal(
          (await a.calls.get(workspaceId, id)).owner,
          'dead-process',
          'the recorder marks the owner',
        );
      }
      await ageHeartbeats(dead, 60_000);
      // The live process marks its calls alive in one statement; its heartbeat is fresh.
      await ageHeartbeats(alive, 60_000);
      await a.calls.heartbeat('live-process', alive);

      const outboxA = new OutboxWriter();
      const outboxB = new OutboxWriter();
      const [x, y] = await Promise.all([
        sweepLostCalls(a, outboxA, { timeoutMs: 30_000, self: 'sweeper-a', batch: 5 }),
        sweepLostCalls(b, outboxB, { timeoutMs: 30_000, self: 'sweeper-b', batch: 5 }),
      ]);
      assert.deepEqual([...x, ...y].sort(), [...dead].sort(), 'every lost call reported by one sweeper');
      assert.equal(new Set([...x, ...y]).size, dead.length, 'none reported twice');

      for (const id of dead) {
        const row = await a.calls.get(workspaceId, id);
        assert.equal(row.status, 'ended');
        assert.equal(row.endedReason, 'lost');
        assert.equal(row.outcome, 'failed');
        assert.equal(row.owner, null);
        assert.ok(row.endedAt);
        assert.deepEqual(
          row.statusProgression.map((s) => s.status),
          ['in-progress', 'ended'],
        );
        const events = await endedEvents(id);
        assert.equal(events.length, 1, 'one call.ended in the outbox');
        const payload = events[0]!.payload as { endedReason: string; transcript: { text: string }[] };
        assert.equal(payload.endedReason, 'lost');
        assert.deepEqual(
          payload.transcript.map((t) => t.text),
          ['hello?'],
          'what was said before the loss is kept',
        );
      }
      for (const id of alive) {
        const row = await a.calls.get(workspaceId, id);
        assert.equal(row.status, 'in-progress', 'a call with a fresh heartbeat is left alone');
        assert.equal((await endedEvents(id)).length, 0);
      }
      assert.equal(
        (await a.calls.get(workspaceId, queued.id)).status,
        'queued',
        "the dialer's queue is its own",
      );

      // The dead process was only stalled: its late call.ended is not reported a second time.
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store: a, bus, logger: silentLogger(), instanceId: 'dead-process' });
      bus.publish({
        type: 'call.ended',
        callId: dead[0]!,
        workspaceId,
        at: Date.now(),
        data: {
          outcome: 'completed',
          endedReason: 'caller-hangup',
          durationMs: 10,
          transcript: [],
          latencies: [],
        },
      } as CallEvent);
      await rec.stop();
      assert.equal((await endedEvents(dead[0]!)).length, 1);
      assert.equal((await a.calls.get(workspaceId, dead[0]!)).endedReason, 'lost');

      // Sweeping again finds nothing: each call ends once.
      assert.deepEqual(await sweepLostCalls(b, outboxB, { timeoutMs: 30_000, self: 'sweeper-b' }), []);
    });

    test('a process never sweeps its own calls; at a sole start every foreign owner is lost', async () => {
      const mine = await liveCalls('me', 1);
      const theirs = await liveCalls('previous-run', 1);
      const sweeper = new LostCallSweeper({
        store: a,
        outbox: new OutboxWriter(),
        logger: silentLogger(),
        self: 'me',
        timeoutMs: 30_000,
      });
      // Fresh heartbeats: not stale yet under the timeout.
      assert.deepEqual(await sweeper.sweep(), []);
      // Timeout 0, as at the start of the only process on a data directory.
      await new Promise((r) => setTimeout(r, 5));
      const swept = await sweeper.sweep(0);
      assert.ok(swept.includes(theirs[0]!), "the previous run's call is lost");
      assert.ok(!swept.includes(mine[0]!), 'its own call is not');
      assert.equal(sweeper.swept, swept.length);
      assert.equal((await a.calls.get(workspaceId, mine[0]!)).status, 'in-progress');
    });

    test('a call that ends normally gives up its ownership, so it is never swept', async () => {
      const [id] = await liveCalls('p', 1);
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store: a, bus, logger: silentLogger(), instanceId: 'p' });
      bus.publish({
        type: 'call.ended',
        callId: id!,
        workspaceId,
        at: Date.now(),
        data: {
          outcome: 'completed',
          endedReason: 'caller-hangup',
          durationMs: 10,
          transcript: [],
          latencies: [],
        },
      } as CallEvent);
      await rec.stop();
      await ageHeartbeats([id!], 60_000);
      const swept = await sweepLostCalls(a, new OutboxWriter(), { timeoutMs: 1, self: 'q' });
      assert.ok(!swept.includes(id!));
      const row = await a.calls.get(workspaceId, id!);
      assert.equal(row.owner, null);
      assert.equal(row.endedReason, 'caller-hangup');
    });
  });
}
