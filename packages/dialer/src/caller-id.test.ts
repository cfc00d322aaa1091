import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { CallerIdPools } from './caller-id.js';
import { CampaignService } from './campaign-service.js';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';

const numbers = ['+14155550100', '+14155550101', '+14155550102'];

for (const backend of testBackends()) {
  describe(`caller-ID pools (${backend})`, () => {
    let store: Store;
    let w: TestWorkspace;
    let carrier: FakeCarrier;
    let dialer: Dialer;
    let pools: CallerIdPools;

    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store, numbers);
      carrier = new FakeCarrier();
      dialer = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        limits: { callsPerSecondPerNumber: 50 },
      });
      await dialer.start();
      pools = new CallerIdPools(store.database.db);
    });
    after(async () => {
      await dialer.stop();
      await store.close();
    });

    test("a pool's id as `from` sends calls out on its numbers in turn", async () => {
      const pool = await pools.create(w.workspaceId, { name: 'sales', numbers });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { call } = await dialer.calls.create(w.workspaceId, {
          agentId: w.agentId,
          to: `+1415555${4000 + i}`,
          from: pool.id,
          variables: { name: `n${i}` },
        });
        ids.push(call.id);
      }
      await eventually(() => ids.every((id) => carrier.placements.some((p) => p.callId === id)));
      const uses = numbers.map(
        (n) => carrier.placements.filter((p) => ids.includes(p.callId) && p.from === n).length,
      );
      assert.deepEqual(uses, [2, 2, 2], `calls per number: ${uses}`);
      // The name works as well as the id.
      const { call } = await dialer.calls.create(w.workspaceId, {
        agentId: w.agentId,
        to: '+14155554100',
        from: 'sales',
        variables: { name: 'x' },
      });
      assert.ok(numbers.includes(call.fromNumber ?? ''));
    });

    test('a campaign follows a rename of its pool; a pool in use cannot be deleted', async () => {
      const pool = await pools.create(w.workspaceId, { name: 'support', numbers: numbers.slice(1) });
      const campaigns = new CampaignService(store);
      const campaign = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'pool-user',
        callerId: 'support',
      });
      await campaigns.repo.pause(w.workspaceId, campaign.id, 'held for the test', new Date());
      await pools.update(w.workspaceId, pool.id, { name: 'support-east' });
      assert.equal((await campaigns.repo.get(w.workspaceId, campaign.id)).callerId, 'support-east');
      await assert.rejects(pools.delete(w.workspaceId, pool.id), /campaigns: pool-user/);
      await campaigns.repo.cancel(w.workspaceId, campaign.id, new Date());
      await pools.delete(w.workspaceId, pool.id);
      await assert.rejects(pools.get(w.workspaceId, pool.id), /not found/);
    });

    test("another workspace's pool is not found, and is no caller ID here", async () => {
      const other = await seedWorkspace(store, ['+14155550170']);
      const theirs = await pools.create(other.workspaceId, { name: 'theirs', numbers: ['+14155550170'] });
      await assert.rejects(pools.get(w.workspaceId, theirs.id), /not found/);
      await assert.rejects(
        dialer.calls.create(w.workspaceId, {
          agentId: w.agentId,
          to: '+14155554200',
          from: theirs.id,
          variables: { name: 'x' },
        }),
        (e: Error & { details?: { path: string }[] }) => e.details?.[0]?.path === 'body.from',
      );
    });
  });
}
