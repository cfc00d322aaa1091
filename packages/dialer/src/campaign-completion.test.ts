import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import { type Store, schema } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { eq } from 'drizzle-orm';
import { CampaignService } from './campaign-service.js';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import { listContacts } from './repos/contacts.js';
import { ManualClock } from './testing.js';

/**
 * Regression: a campaign created with its contacts never dialled them. The dialer's fill saw the
 * campaign before its rows were imported (or with `contacts: []`), found nothing pending and
 * marked it completed for good; the rows then stayed pending forever.
 */

const isValidPhone = (v: string) => /^\+\d{8,15}$/.test(v);

for (const backend of testBackends()) {
  describe(`campaign completion follows its contacts (${backend})`, () => {
    let store: Store;
    let w: TestWorkspace;
    let dialer: Dialer;
    let campaigns: CampaignService;
    let carrier: FakeCarrier;

    before(async () => {
      store = await openTestStore(backend);
      w = await seedWorkspace(store);
      const clock = new ManualClock();
      carrier = new FakeCarrier({ kind: 'answer' }, clock);
      dialer = createDialer({
        store,
        placer: carrier,
        logger: silentLogger(),
        clock,
        maxCallDurationMs: 3_600_000,
        leaseTtlMs: 24 * 3_600_000,
        maxSlotWaitMs: 24 * 3_600_000,
        limits: { maxConcurrentCallsPerWorkspace: 50, callsPerSecondPerNumber: 1000, placeDelayMs: 0 },
      });
      await dialer.start();
      campaigns = new CampaignService(store, clock);
    });
    after(async () => {
      await dialer.stop();
      await store.close();
    });

    const contacts = (id: string) =>
      listContacts(store.database.db, w.workspaceId, id, { limit: 200 }).then((p) => p.data);
    const statusOf = async (id: string) => (await campaigns.repo.get(w.workspaceId, id)).status;
    const rows = (phones: string[]) => phones.map((phone) => ({ phone, variables: { name: 'X' } }));
    /** Ticks until every contact of the campaign has been called and none is waiting. */
    const allCalled = (id: string, n: number) =>
      eventually(
        async () => {
          await dialer.tick();
          const cs = await contacts(id);
          return cs.length === n && cs.every((c) => c.status === 'done');
        },
        20_000,
        'every contact called',
      );

    test('a campaign created without contacts stays active, and contacts added later are dialled', async () => {
      const c = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'empty-at-first',
        callerId: w.numbers[0]!,
      });
      await dialer.tick();
      await dialer.tick();
      assert.equal(await statusOf(c.id), 'active', 'a campaign with no contacts yet is not complete');
      const phones = ['+14155556001', '+14155556002'];
      const imp = await campaigns.importContacts(w.workspaceId, c.id, rows(phones), { isValidPhone });
      assert.equal(imp.added, 2);
      await allCalled(c.id, 2);
      for (const p of phones) assert.equal(carrier.placements.filter((x) => x.to === p).length, 1);
      await dialer.tick();
      assert.equal(await statusOf(c.id), 'completed');
    });

    test('contacts added to a completed campaign reopen it and are dialled', async () => {
      const c = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'second-list',
        callerId: w.numbers[0]!,
      });
      await campaigns.importContacts(w.workspaceId, c.id, rows(['+14155556101']), { isValidPhone });
      await allCalled(c.id, 1);
      await dialer.tick();
      assert.equal(await statusOf(c.id), 'completed');
      const imp = await campaigns.importContacts(w.workspaceId, c.id, rows(['+14155556102']), {
        firstRow: 2,
        isValidPhone,
      });
      assert.equal(imp.added, 1);
      assert.equal(await statusOf(c.id), 'active', 'new contacts reopen a completed campaign');
      await allCalled(c.id, 2);
      await dialer.tick();
      assert.equal(await statusOf(c.id), 'completed');
    });

    test('imports racing the fill never leave a completed campaign with contacts to call', async () => {
      const c = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'racing',
        callerId: w.numbers[0]!,
      });
      const phones = Array.from({ length: 12 }, (_, i) => `+1415555${6200 + i}`);
      for (const [i, phone] of phones.entries()) {
        await Promise.all([
          campaigns.importContacts(w.workspaceId, c.id, rows([phone]), { firstRow: i + 1, isValidPhone }),
          dialer.tick(),
        ]);
        const status = await statusOf(c.id);
        const open = (await contacts(c.id)).filter((x) => x.status === 'pending' || x.status === 'queued');
        assert.ok(status !== 'completed' || open.length === 0, `completed with ${open.length} contacts open`);
      }
      await allCalled(c.id, phones.length);
    });

    test('resume reopens a campaign wrongly completed while contacts were still pending', async () => {
      const c = await campaigns.create(w.workspaceId, {
        agentId: w.agentId,
        name: 'healed',
        callerId: w.numbers[0]!,
      });
      await campaigns.importContacts(w.workspaceId, c.id, rows(['+14155556301']), { isValidPhone });
      // A row left by the old code: completed, its contact never called.
      await store.database.db
        .update(schema.campaigns)
        .set({ status: 'completed' })
        .where(eq(schema.campaigns.id, c.id));
      const resumed = await campaigns.repo.resume(w.workspaceId, c.id, new Date());
      assert.equal(resumed.status, 'active');
      await allCalled(c.id, 1);
    });
  });
}
