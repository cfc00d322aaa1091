import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { claimCall } from './claim.js';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier, type Script } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import { getCall, markPlacing } from './repos/calls.js';
import { liveLeases } from './repos/slots.js';
import { ManualClock } from './testing.js';

const MAX_CALL_MS = 60_000;
const GRACE_MS = 5_000;
const LEASE_MS = 30_000;

interface Case {
  name: string;
  script: Script;
  /** What the test does once the call holds its slot. */
  act?: (ctx: { dialer: Dialer; clock: ManualClock; callId: string; w: TestWorkspace }) => Promise<void>;
  outcome: string;
  endedReason: string;
}

const cases: Case[] = [
  {
    name: 'answered and ended',
    script: { kind: 'answer' },
    outcome: 'completed',
    endedReason: 'agent-ended',
  },
  { name: 'busy', script: { kind: 'busy' }, outcome: 'busy', endedReason: 'busy' },
  { name: 'no answer', script: { kind: 'no-answer' }, outcome: 'no-answer', endedReason: 'no-answer' },
  { name: 'failed', script: { kind: 'failed' }, outcome: 'failed', endedReason: 'connector-error' },
  { name: 'placer throws', script: { kind: 'throw' }, outcome: 'failed', endedReason: 'connector-error' },
  {
    name: 'cancelled in progress',
    script: { kind: 'hang', honourAbort: true },
    act: async ({ dialer, w, callId }) => {
      await dialer.calls.cancel(w.workspaceId, callId);
    },
    outcome: 'cancelled',
    endedReason: 'cancelled',
  },
  {
    name: 'carrier silence (never resolves, ignores abort)',
    script: { kind: 'hang' },
    act: async ({ clock }) => {
      await clock.advance(MAX_CALL_MS);
      await clock.advance(GRACE_MS);
    },
    outcome: 'failed',
    endedReason: 'max-duration',
  },
];

for (const backend of testBackends()) {
  describe(`slots are released on every terminal outcome (${backend})`, () => {
    let store: Store;
    let w: TestWorkspace;
    let carrier: FakeCarrier;
    let clock: ManualClock;
    let dialer: Dialer;

    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store);
      clock = new ManualClock();
      carrier = new FakeCarrier({ kind: 'answer' }, clock);
      dialer = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        clock,
        maxCallDurationMs: MAX_CALL_MS,
        abortGraceMs: GRACE_MS,
        leaseTtlMs: LEASE_MS,
        // Placement pacing sleeps on the clock; these cases move time only where they mean to.
        limits: { maxConcurrentCallsPerWorkspace: 1, callsPerSecondPerNumber: 1000, placeDelayMs: 0 },
      });
      await dialer.start();
    });
    after(async () => {
      await dialer.stop();
      await store.close();
    });

    const now = () => new Date(clock.now());
    let n = 0;

    for (const c of cases) {
      test(c.name, async () => {
        const to = `+1415555${String(200 + n++).padStart(4, '0')}`;
        carrier.script(to, c.script);
        const { call } = await dialer.calls.create(w.workspaceId, {
          agentId: w.agentId,
          to,
          from: w.numbers[0]!,
          variables: { name: 'X' },
        });
        await eventually(() => carrier.placements.some((p) => p.callId === call.id), 20_000, 'placement');
        if (c.act) {
          assert.equal(await liveLeases(store.database.db, now(), { workspaceId: w.workspaceId }), 1);
          await c.act({ dialer, clock, callId: call.id, w });
        }
        await eventually(
          async () => (await getCall(store.database.db, call.id))?.status === 'ended',
          20_000,
          'end',
        );
        const ended = await getCall(store.database.db, call.id);
        assert.equal(ended?.outcome, c.outcome);
        assert.equal(ended?.endedReason, c.endedReason);
        await eventually(
          async () => (await liveLeases(store.database.db, now(), { workspaceId: w.workspaceId })) === 0,
        );
        const all = await store.database.db.query.dialerLeases.findMany();
        assert.equal(all.length, 0, 'no lease row left behind');
      });
    }

    const deadWorkerClaims = async (to: string) => {
      const { call } = await dialer.calls.create(w.workspaceId, {
        agentId: w.agentId,
        to,
        from: w.numbers[0]!,
        variables: { name: 'X' },
        // Keep the live dialer off it: a "dead worker" claims it below.
        scheduledAt: new Date(Date.now() + 3600_000),
      });
      const claim = (holder: string) =>
        claimCall(store.database.db, {
          callId: call.id,
          candidates: [{ number: w.numbers[0]!, connector: 'sip' }],
          holder,
          now,
          leaseTtlMs: LEASE_MS,
          defaults: {
            maxConcurrentCallsPerWorkspace: 1,
            callsPerSecondPerNumber: 1000,
            rateMarginMs: 20,
            placeDelayMs: 0,
          },
        });
      assert.equal((await claim('worker-that-died')).kind, 'claimed');
      assert.equal(await liveLeases(store.database.db, now(), { workspaceId: w.workspaceId }), 1);
      // The slot is full: the workspace allows one call.
      assert.equal((await claim('other')).kind, 'gone', 'a claimed call is never claimed twice');
      return call;
    };

    test('worker crash before placing: the sweeper queues the call again and it is placed, once', async () => {
      // Regression: the crash used the call up (ended failed), so a campaign contact without
      // retryFailed was never called.
      const call = await deadWorkerClaims('+14155550299');
      await clock.advance(LEASE_MS + 1000);
      await dialer.tick();
      await eventually(
        async () => (await getCall(store.database.db, call.id))?.status === 'ended',
        20_000,
        'the call placed again and ended',
      );
      const ended = await getCall(store.database.db, call.id);
      assert.equal(ended?.outcome, 'completed');
      assert.equal(carrier.placements.filter((p) => p.callId === call.id).length, 1);
      assert.deepEqual(
        ended?.statusProgression.map((s) => s.status),
        ['queued', 'queued', 'ringing', 'ended'],
      );
      await eventually(async () => (await store.database.db.query.dialerLeases.findMany()).length === 0);
    });

    test('worker crash after handing the call over: the sweeper ends it failed and it is never placed again', async () => {
      const call = await deadWorkerClaims('+14155550298');
      assert.deepEqual(
        [...(await markPlacing(store.database.db, [call.id], 'worker-that-died', now()))],
        [call.id],
      );
      await clock.advance(LEASE_MS + 1000);
      await dialer.tick();
      const ended = await getCall(store.database.db, call.id);
      assert.equal(ended?.status, 'ended');
      assert.equal(ended?.outcome, 'failed');
      assert.equal(ended?.error, 'the worker running the call stopped');
      assert.equal(await liveLeases(store.database.db, now(), { workspaceId: w.workspaceId }), 0);
      assert.equal((await store.database.db.query.dialerLeases.findMany()).length, 0);
      assert.equal(carrier.placements.filter((p) => p.callId === call.id).length, 0);
    });
  });
}
