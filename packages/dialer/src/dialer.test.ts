import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';

for (const backend of testBackends()) {
  describe(`dialer on ${backend}`, () => {
    let store: Store;
    let w: TestWorkspace;
    let carrier: FakeCarrier;
    let dialer: Dialer;

    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store);
      carrier = new FakeCarrier();
      dialer = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        limits: { callsPerSecondPerNumber: 50 },
      });
      await dialer.start();
    });
    after(async () => {
      await dialer.stop();
      await store.close();
    });

    test('a queued call is placed once and ends with the carrier outcome', async () => {
      const { call, created } = await dialer.calls.create(w.workspaceId, {
        agentId: w.agentId,
        to: '+14155550123',
        from: w.numbers[0]!,
        variables: { name: 'Ada' },
      });
      assert.equal(created, true);
      assert.equal(call.status, 'queued');
      await eventually(async () => (await store.calls.get(w.workspaceId, call.id)).status === 'ended');
      const ended = await store.calls.get(w.workspaceId, call.id);
      assert.equal(ended.outcome, 'completed');
      assert.deepEqual(
        ended.statusProgression.map((s) => s.status),
        ['queued', 'ringing', 'ended'],
      );
      assert.equal(carrier.placements.filter((p) => p.callId === call.id).length, 1);
      assert.deepEqual(carrier.placements.at(-1)?.variables, { name: 'Ada' });
    });

    test('a missing variable is a 400 naming it; one with a default is not needed', async () => {
      await assert.rejects(
        dialer.calls.create(w.workspaceId, {
          agentId: w.agentId,
          to: '+14155550123',
          from: w.numbers[0]!,
          variables: {},
        }),
        (e: Error & { details?: { path: string }[] }) => e.details?.[0]?.path === 'body.variables.name',
      );
    });

    test('a number the workspace does not own is refused', async () => {
      await assert.rejects(
        dialer.calls.create(w.workspaceId, {
          agentId: w.agentId,
          to: '+14155550123',
          from: '+14155550999',
          variables: { name: 'A' },
        }),
        /workspace owns/,
      );
    });
  });
}
