import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { CampaignService } from './campaign-service.js';
import { claimCall } from './claim.js';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import { OutboundCalls } from './outbound-calls.js';
import { acquireDialQueue, DIAL_QUEUE } from './queue.js';
import { markPlacing } from './repos/calls.js';
import { listContacts } from './repos/contacts.js';
import { fillCampaigns } from './scheduler.js';
import { ManualClock } from './testing.js';

/**
 * What a dialer finds after its process died, on a restart.
 *
 * Regressions: six queued calls whose dispatch jobs the dead process had fetched waited ~100 s
 * (pg-boss hands an active job to another worker only once it expires, 90 s, at its next monitor
 * pass, up to 10 s later); and a campaign call the dead process had claimed but never placed used
 * up its contact's attempt, so with `retryFailed: false` the contact was never called.
 */
for (const backend of testBackends()) {
  describe(`a restarted dialer (${backend})`, () => {
    let store: Store;
    let w: TestWorkspace;
    let carrier: FakeCarrier;
    let dialer: Dialer | undefined;

    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store);
      carrier = new FakeCarrier({ kind: 'answer' });
    });
    after(async () => {
      await dialer?.stop();
      await store.close();
    });

    test('dials the queued calls whose jobs the dead process had fetched, without waiting for their expiry', async () => {
      const { queue, release } = acquireDialQueue(store.database);
      try {
        const calls = new OutboundCalls(store, queue);
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          const { call } = await calls.create(w.workspaceId, {
            agentId: w.agentId,
            to: `+1415555${8000 + i}`,
            from: w.numbers,
            variables: { name: `n${i}` },
          });
          ids.push(call.id);
        }
        // The dead process: it fetched the six jobs (pg-boss marks them active) and never settled them.
        const fetched = await queue.boss.fetch(DIAL_QUEUE, { batchSize: 10 });
        assert.equal(fetched.length, 6);
        dialer = createDialer({
          store,
          placer: carrier,
          logger: silentLogger(),
          limits: { callsPerSecondPerNumber: 50 },
        });
        await dialer.start();
        // With the default expiry (90 s) the jobs would come back only after ~100 s; 20 s is a
        // sanity bound for a loaded machine, not a measurement.
        await eventually(
          () => ids.every((id) => carrier.placements.some((p) => p.callId === id)),
          20_000,
          'the six calls to be placed',
        );
        for (const id of ids) assert.equal(carrier.placements.filter((p) => p.callId === id).length, 1);
      } finally {
        await dialer?.stop();
        dialer = undefined;
        await release();
      }
    });

    test('a call the stopping dialer had claimed but not placed goes back to the queue, and is placed after restart', async () => {
      const clock = new ManualClock(Date.now());
      const stopping = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        clock,
        drainGraceMs: 0,
        // The claimed call waits a minute for its placement time: the dialer stops during it.
        limits: { callsPerSecondPerNumber: 50, placeDelayMs: 60_000 },
      });
      await stopping.start();
      const { call } = await stopping.calls.create(w.workspaceId, {
        agentId: w.agentId,
        to: '+14155558201',
        from: w.numbers[0]!,
        variables: { name: 'S' },
      });
      await eventually(
        async () => (await store.calls.get(w.workspaceId, call.id)).status === 'ringing',
        20_000,
        'the call to be claimed',
      );
      let stopped = false;
      const stop = stopping.stop().then(() => {
        stopped = true;
      });
      // The drain's grace runs on the hand-moved clock.
      while (!stopped) {
        await clock.advance(10);
        await new Promise((r) => setTimeout(r, 10));
      }
      await stop;
      const back = await store.calls.get(w.workspaceId, call.id);
      assert.equal(back.status, 'queued', `${back.status} ${back.error ?? ''}`);
      assert.equal((await store.database.db.query.dialerLeases.findMany()).length, 0);
      assert.equal(carrier.placements.filter((p) => p.callId === call.id).length, 0);

      dialer = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        limits: { callsPerSecondPerNumber: 50 },
      });
      try {
        await dialer.start();
        await eventually(
          async () => (await store.calls.get(w.workspaceId, call.id)).status === 'ended',
          20_000,
          'the call to be placed after restart',
        );
        assert.equal((await store.calls.get(w.workspaceId, call.id)).outcome, 'completed');
        assert.equal(carrier.placements.filter((p) => p.callId === call.id).length, 1);
      } finally {
        await dialer.stop();
        dialer = undefined;
      }
    });

    // Only PGlite is one process by construction; on PostgreSQL a live sibling may hold the leases.
    const pgliteOnly = backend === 'pglite' ? test : () => {};
    pgliteOnly(
      "on PGlite, settles the dead process's slot leases at start instead of on their expiry",
      async () => {
        const clock = new ManualClock(Date.now());
        const { queue, release } = acquireDialQueue(store.database);
        try {
          const calls = new OutboundCalls(store, queue, clock);
          const claimByDeadWorker = async (to: string) => {
            const { call } = await calls.create(w.workspaceId, {
              agentId: w.agentId,
              to,
              from: w.numbers[0]!,
              variables: { name: 'D' },
            });
            const [job] = await queue.boss.fetch<{ callId: string }>(DIAL_QUEUE, { batchSize: 1 });
            assert.equal(job?.data.callId, call.id);
            const claimed = await claimCall(store.database.db, {
              callId: call.id,
              candidates: [{ number: w.numbers[0]!, connector: 'sip' }],
              holder: 'worker-that-died',
              now: () => new Date(clock.now()),
              leaseTtlMs: 30_000,
              defaults: {
                maxConcurrentCallsPerWorkspace: 10,
                callsPerSecondPerNumber: 50,
                rateMarginMs: 20,
                placeDelayMs: 0,
              },
            });
            assert.equal(claimed.kind, 'claimed');
            await queue.boss.complete(DIAL_QUEUE, job!.id);
            return call.id;
          };
          const unplaced = await claimByDeadWorker('+14155558301');
          const handedOver = await claimByDeadWorker('+14155558302');
          await markPlacing(store.database.db, [handedOver], 'worker-that-died', new Date(clock.now()));
          // The clock stays where it is: the leases are far from expiring.
          dialer = createDialer({
            store,
            placer: carrier,
            logger: silentLogger(),
            clock,
            limits: { placeDelayMs: 0 },
          });
          await dialer.start();
          const started = clock.now();
          // Dispatch re-checks a busy number on the hand-moved clock: move it in small steps, never
          // near the 30 s after which the leases would have expired anyway.
          await eventually(
            async () => {
              if (clock.now() - started < 20_000) await clock.advance(10);
              return (await store.calls.get(w.workspaceId, unplaced)).status === 'ended';
            },
            20_000,
            'the unplaced call to be placed',
          );
          assert.ok(clock.now() - started < 30_000, 'settled before the leases expired');
          assert.equal((await store.calls.get(w.workspaceId, unplaced)).outcome, 'completed');
          const other = await store.calls.get(w.workspaceId, handedOver);
          assert.deepEqual([other.status, other.outcome], ['ended', 'failed']);
          assert.equal(carrier.placements.filter((p) => p.callId === handedOver).length, 0);
          assert.equal(carrier.placements.filter((p) => p.callId === unplaced).length, 1);
        } finally {
          await dialer?.stop();
          dialer = undefined;
          await release();
        }
      },
    );

    test('calls a campaign contact whose call the dead process claimed but never placed, without using an attempt', async () => {
      const clock = new ManualClock(Date.now());
      const campaigns = new CampaignService(store, clock);
      const campaign = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'crash',
        callerId: w.numbers[0]!,
        retry: { maxAttempts: 1, retryFailed: false },
      });
      await campaigns.importContacts(
        w.workspaceId,
        campaign.id,
        [{ phone: '+14155558101', variables: { name: 'A' } }],
        {
          isValidPhone: () => true,
        },
      );
      const leaseTtlMs = 30_000;
      const { queue, release } = acquireDialQueue(store.database);
      try {
        // The dead process filled the campaign and claimed its call, then died before placing it.
        await queue.start();
        await fillCampaigns(store.database.db, queue, new Date(clock.now()), silentLogger());
        const [job] = await queue.boss.fetch<{ callId: string }>(DIAL_QUEUE, { batchSize: 10 });
        assert.ok(job);
        const claimed = await claimCall(store.database.db, {
          callId: job.data.callId,
          candidates: [{ number: w.numbers[0]!, connector: 'sip' }],
          holder: 'worker-that-died',
          now: () => new Date(clock.now()),
          leaseTtlMs,
          defaults: {
            maxConcurrentCallsPerWorkspace: 10,
            callsPerSecondPerNumber: 50,
            rateMarginMs: 20,
            placeDelayMs: 0,
          },
        });
        assert.equal(claimed.kind, 'claimed');
        await queue.boss.complete(DIAL_QUEUE, job.id);

        dialer = createDialer({
          store,
          placer: carrier,
          logger: silentLogger(),
          clock,
          leaseTtlMs,
          limits: { callsPerSecondPerNumber: 50, placeDelayMs: 0 },
        });
        await dialer.start();
        await clock.advance(leaseTtlMs + 1000);
        await eventually(
          async () => {
            await clock.advance(250);
            const [c] = (await listContacts(store.database.db, w.workspaceId, campaign.id, { limit: 5 }))
              .data;
            return c?.status === 'done';
          },
          20_000,
          'the contact to be called',
        );
        const [contact] = (await listContacts(store.database.db, w.workspaceId, campaign.id, { limit: 5 }))
          .data;
        assert.equal(contact?.lastOutcome, 'completed');
        assert.equal(contact?.attempts, 1, 'the unplaced call used no attempt');
        assert.equal(carrier.placements.filter((p) => p.to === '+14155558101').length, 1);
      } finally {
        await dialer?.stop();
        dialer = undefined;
        await release();
      }
    });
  });
}
