import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { claimCalls, type LimitDefaults } from './claim.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import { OutboundCalls } from './outbound-calls.js';
import { acquireDialQueue } from './queue.js';
import { KeySchedule } from './repos/slots.js';

/** The most grants any window of `windowMs` (closed at both ends) holds. */
function busiestWindow(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! > windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

describe('rate schedule', () => {
  test('planned grants never put more than the rate in any window, and are spaced evenly', () => {
    const rate = { perNumberRate: 7, rateWindowMs: 1020 };
    const s = new KeySchedule([], rate);
    const times: number[] = [];
    let now = 1_000_000;
    for (let i = 0; i < 500; i++) {
      // Claims come at irregular times, sometimes bursts, sometimes gaps.
      now += i % 50 === 0 ? 3000 : Math.floor((i * 37) % 11);
      const t = s.next(now);
      assert.ok(t >= now);
      s.add(t);
      times.push(t);
    }
    assert.equal(busiestWindow(times, rate.rateWindowMs), rate.perNumberRate);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= Math.floor(1020 / 7));
  });
});

for (const backend of testBackends()) {
  describe(`batch claims hold the rate across claimers (${backend})`, () => {
    let store: Store;
    let w: TestWorkspace;
    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store);
    });
    after(() => store.close());

    test('two holders claiming in batches at once plan grants within the rate', async () => {
      const { queue, release } = acquireDialQueue(store.database);
      const calls = new OutboundCalls(store, queue);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const { call } = await calls.create(w.workspaceId, {
          agentId: w.agentId,
          to: `+1415555${5000 + i}`,
          from: w.numbers[0]!,
          variables: { name: 'x' },
          // Keep any running dialer off these: the test claims them itself.
          scheduledAt: new Date(Date.now() + 3_600_000),
        });
        ids.push(call.id);
      }
      await release();
      const defaults: LimitDefaults = {
        maxConcurrentCallsPerWorkspace: 1000,
        callsPerSecondPerNumber: 5,
        rateMarginMs: 20,
        placeDelayMs: 250,
        planAheadMs: 60_000,
      };
      const candidates = [{ number: w.numbers[0]!, connector: 'sip' }];
      const grants: number[] = [];
      const claim = async (holder: string, batch: string[]) => {
        const r = await claimCalls(
          store.database.db,
          batch.map((callId) => ({ callId, candidates })),
          { holder, now: () => new Date(), leaseTtlMs: 60_000, defaults },
        );
        for (const c of r.values()) if (c.kind === 'claimed') grants.push(c.grantedAt);
      };
      await Promise.all([
        claim('a', ids.slice(0, 10)),
        claim('b', ids.slice(10, 20)),
        claim('a', ids.slice(20, 30)),
        claim('b', ids.slice(30, 40)),
      ]);
      await eventually(() => grants.length === 40, 5_000, 'all claimed');
      assert.equal(busiestWindow(grants, 1020), 5);
      // Claiming them again finds nothing left to claim.
      const again = await claimCalls(
        store.database.db,
        ids.map((callId) => ({ callId, candidates })),
        { holder: 'c', now: () => new Date(), leaseTtlMs: 60_000, defaults },
      );
      assert.ok([...again.values()].every((r) => r.kind === 'gone'));
    });
  });
}
