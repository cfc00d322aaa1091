import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { CampaignService } from './campaign-service.js';
import { createDialer, type Dialer } from './dialer.js';
import { FakeCarrier } from './fake-carrier.js';
import { eventually, seedWorkspace, type TestWorkspace } from './fixtures/workspace.js';
import type { Campaign, CampaignContact } from './model.js';
import { getCall } from './repos/calls.js';
import { listContacts } from './repos/contacts.js';
import { ManualClock } from './testing.js';

/**
 * Campaign behaviour on a hand-moved clock: calling windows, retries per outcome, the circuit
 * breaker. The fake carrier answers at once; only the clock decides when contacts are due.
 */

const isValidPhone = (v: string) => /^\+\d{8,15}$/.test(v);

interface Ctx {
  store: Store;
  w: TestWorkspace;
  clock: ManualClock;
  carrier: FakeCarrier;
  dialer: Dialer;
  campaigns: CampaignService;
}

async function setUp(backend: 'pglite' | 'postgres', start?: number): Promise<Ctx> {
  const store = await openTestStore(backend);
  const w = await seedWorkspace(store);
  const clock = new ManualClock(start);
  const carrier = new FakeCarrier({ kind: 'answer' }, clock);
  const dialer = createDialer({
    store,
    placer: carrier,
    logger: silentLogger(),
    clock,
    maxCallDurationMs: 3_600_000,
    // Leases outlast the jumps of the hand-moved clock (renewal runs on real I/O), and a job
    // waiting for a slot is not handed back to the queue (whose delays run on real time).
    leaseTtlMs: 24 * 3_600_000,
    maxSlotWaitMs: 24 * 3_600_000,
    // Placement pacing sleeps on the clock; these tests move time only where they mean to.
    limits: { maxConcurrentCallsPerWorkspace: 20, callsPerSecondPerNumber: 1000, placeDelayMs: 0 },
  });
  await dialer.start();
  return { store, w, clock, carrier, dialer, campaigns: new CampaignService(store, clock) };
}

async function contactsOf(ctx: Ctx, campaignId: string): Promise<Map<string, CampaignContact>> {
  const page = await listContacts(ctx.store.database.db, ctx.w.workspaceId, campaignId, { limit: 200 });
  return new Map(page.data.map((c) => [c.phone, c]));
}

/** Waits until no contact of the campaign has a call in progress. */
const settled = (ctx: Ctx, campaignId: string) =>
  eventually(
    async () => [...(await contactsOf(ctx, campaignId)).values()].every((c) => c.status !== 'queued'),
    20_000,
    'campaign calls to end',
  );

/**
 * Like `eventually`, moving the clock a little on each poll: a job waiting for a slot re-checks
 * on a timer of the hand-moved clock when it missed the notification of the slot being freed.
 */
const whileTimePasses = (ctx: Ctx, check: () => Promise<boolean>, what: string) =>
  eventually(
    async () => {
      await ctx.clock.advance(250);
      return check();
    },
    20_000,
    what,
  );

const placed = (ctx: Ctx, to: string) => ctx.carrier.placements.filter((p) => p.to === to);

async function newCampaign(
  ctx: Ctx,
  settings: Partial<Parameters<CampaignService['create']>[1]>,
  phones: string[],
): Promise<Campaign> {
  const campaign = await ctx.campaigns.create(ctx.w.workspaceId, {
    agentId: ctx.w.agentId,
    name: `c-${Math.random().toString(36).slice(2, 8)}`,
    callerId: ctx.w.numbers[0]!,
    ...settings,
  });
  const imp = await ctx.campaigns.importContacts(
    ctx.w.workspaceId,
    campaign.id,
    phones.map((phone) => ({ phone, variables: { name: 'X' } })),
    { isValidPhone },
  );
  assert.equal(imp.added, phones.length);
  return campaign;
}

for (const backend of testBackends()) {
  describe(`calling windows (${backend})`, () => {
    let ctx: Ctx;
    // Monday 2030-01-07 16:59:30 in New York (EST).
    const start = Date.parse('2030-01-07T21:59:30Z');
    const window = { timeZone: 'America/New_York', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };
    let first: Campaign;

    before(async () => {
      ctx = await setUp(backend, start);
    });
    after(async () => {
      await ctx.dialer.stop();
      await ctx.store.close();
    });

    test('a call still queued when the window closes is withdrawn, not placed', async () => {
      // One slot: whichever call goes first holds it while the window closes; the other waits.
      const phones = ['+14155551001', '+14155551002'];
      for (const p of phones) ctx.carrier.script(p, { kind: 'answer', durationMs: 120_000 });
      first = await newCampaign(ctx, { callingWindow: window, maxConcurrency: 1 }, phones);
      await ctx.dialer.tick();
      await eventually(() => ctx.carrier.placements.length === 1, 20_000, 'first call');
      const [went, waited] = placed(ctx, phones[0]!).length === 1 ? phones : [...phones].reverse();
      // 17:01:30: the first call ends, freeing the slot after the window closed. (The waiting job
      // re-checks on a timer of the hand-moved clock, so time keeps moving a little.)
      await ctx.clock.advance(120_000);
      await whileTimePasses(
        ctx,
        async () => {
          const c = await contactsOf(ctx, first.id);
          return c.get(waited!)?.status === 'pending' && c.get(went!)?.status === 'done';
        },
        'the waiting call to be withdrawn',
      );
      const contacts = await contactsOf(ctx, first.id);
      assert.equal(contacts.get(went!)?.status, 'done');
      const waiting = contacts.get(waited!)!;
      assert.equal(waiting.status, 'pending');
      assert.equal(waiting.attempts, 0, 'a withdrawn call does not use up an attempt');
      const withdrawn = await getCall(ctx.store.database.db, waiting.lastCallId!);
      assert.equal(withdrawn?.outcome, 'cancelled');
      assert.equal(withdrawn?.error, 'outside the calling window');
      assert.equal(ctx.carrier.placements.length, 1);
      for (const p of phones) ctx.carrier.script(p, { kind: 'answer' });
    });

    test('a contact due outside the window is deferred to the next opening', async () => {
      const second = await newCampaign(ctx, { callingWindow: window }, ['+14155551003']);
      const opening = Date.parse('2030-01-08T14:00:00Z');
      assert.equal(ctx.campaigns.windowOpensAt(second)?.getTime(), opening);
      await ctx.dialer.tick();
      // Tuesday 08:59 local: still closed.
      await ctx.clock.advance(opening - 60_000 - ctx.clock.now());
      await ctx.dialer.tick();
      assert.equal((await contactsOf(ctx, second.id)).get('+14155551003')?.status, 'pending');
      assert.equal(ctx.carrier.placements.length, 1, 'nothing placed while the window is closed');
      // 09:00: both campaigns' waiting contacts go out.
      await ctx.clock.advance(60_000);
      assert.equal(ctx.campaigns.windowOpensAt(second), null);
      await ctx.dialer.tick();
      await whileTimePasses(ctx, async () => ctx.carrier.placements.length === 3, 'calls at the opening');
      for (const p of ctx.carrier.placements.slice(1)) assert.ok(p.at >= opening);
      await settled(ctx, second.id);
      await settled(ctx, first.id);
      await ctx.dialer.tick();
      assert.equal((await ctx.campaigns.repo.get(ctx.w.workspaceId, second.id)).status, 'completed');
      assert.equal((await ctx.campaigns.repo.get(ctx.w.workspaceId, first.id)).status, 'completed');
    });
  });

  describe(`per-contact agent overrides (${backend})`, () => {
    let ctx: Ctx;
    before(async () => {
      ctx = await setUp(backend);
    });
    after(async () => {
      await ctx.dialer.stop();
      await ctx.store.close();
    });

    test("a contact's agentOverrides travel with its call to the placer; others have none", async () => {
      const campaign = await ctx.campaigns.create(ctx.w.workspaceId, {
        agentId: ctx.w.agentId,
        name: 'overrides',
        callerId: ctx.w.numbers[0]!,
      });
      const overrides = { greeting: 'Hello {{name}}, about your renewal.' };
      const imp = await ctx.campaigns.importContacts(
        ctx.w.workspaceId,
        campaign.id,
        [
          { phone: '+14155553001', variables: { name: 'A' }, agentOverrides: overrides },
          { phone: '+14155553002', variables: { name: 'B' } },
        ],
        { isValidPhone },
      );
      assert.equal(imp.added, 2);
      await ctx.dialer.tick();
      await eventually(() => ctx.carrier.placements.length === 2, 20_000, 'both calls');
      assert.deepEqual(placed(ctx, '+14155553001')[0]?.agentOverrides, overrides);
      assert.equal(placed(ctx, '+14155553002')[0]?.agentOverrides, undefined);
      const row = await getCall(ctx.store.database.db, placed(ctx, '+14155553001')[0]!.callId);
      assert.deepEqual(row?.agentOverrides, overrides);
    });
  });

  describe(`retries by outcome (${backend})`, () => {
    let ctx: Ctx;
    before(async () => {
      ctx = await setUp(backend);
    });
    after(async () => {
      await ctx.dialer.stop();
      await ctx.store.close();
    });

    test('busy and no-answer are retried after their delays up to maxAttempts; completed, voicemail and failed are not', async () => {
      const numbers = {
        busy: '+14155552001',
        noAnswer: '+14155552002',
        completed: '+14155552003',
        voicemail: '+14155552004',
        failed: '+14155552005',
      };
      ctx.carrier
        .script(numbers.busy, { kind: 'busy' })
        .script(numbers.noAnswer, { kind: 'no-answer' })
        .script(numbers.voicemail, { kind: 'voicemail' })
        .script(numbers.failed, { kind: 'failed' });
      const campaign = await newCampaign(
        ctx,
        {
          retry: { maxAttempts: 3, busyDelaySeconds: 300, noAnswerDelaySeconds: 1800, retryFailed: false },
          breaker: { window: 100 },
        },
        Object.values(numbers),
      );
      const t0 = ctx.clock.now();
      const attempts = () =>
        Object.fromEntries(Object.entries(numbers).map(([k, n]) => [k, placed(ctx, n).length]));
      const step = async (ms: number) => {
        await ctx.clock.advance(ms);
        await ctx.dialer.tick();
        await settled(ctx, campaign.id);
      };

      await step(0);
      assert.deepEqual(attempts(), { busy: 1, noAnswer: 1, completed: 1, voicemail: 1, failed: 1 });
      let c = await contactsOf(ctx, campaign.id);
      assert.deepEqual(
        [c.get(numbers.busy)?.status, c.get(numbers.busy)?.nextAttemptAt.getTime()],
        ['pending', t0 + 300_000],
      );
      assert.deepEqual(
        [c.get(numbers.noAnswer)?.status, c.get(numbers.noAnswer)?.nextAttemptAt.getTime()],
        ['pending', t0 + 1_800_000],
      );
      for (const k of ['completed', 'voicemail', 'failed'] as const) {
        assert.equal(c.get(numbers[k])?.status, 'done', k);
      }
      assert.equal(c.get(numbers.failed)?.lastOutcome, 'failed');

      await step(299_000);
      assert.equal(attempts().busy, 1, 'not before the busy delay');
      await step(1_000);
      assert.equal(attempts().busy, 2);
      await step(300_000);
      assert.equal(attempts().busy, 3);
      c = await contactsOf(ctx, campaign.id);
      assert.deepEqual([c.get(numbers.busy)?.status, c.get(numbers.busy)?.attempts], ['done', 3]);
      assert.equal(c.get(numbers.busy)?.lastOutcome, 'busy');

      await step(t0 + 1_800_000 - ctx.clock.now() - 1_000);
      assert.equal(attempts().noAnswer, 1, 'not before the no-answer delay');
      await step(1_000);
      assert.equal(attempts().noAnswer, 2);
      await step(1_800_000);
      assert.equal(attempts().noAnswer, 3);
      await step(24 * 3_600_000);
      assert.deepEqual(attempts(), { busy: 3, noAnswer: 3, completed: 1, voicemail: 1, failed: 1 });
      const stats = await ctx.campaigns.repo.stats(ctx.w.workspaceId, campaign.id);
      assert.equal(stats.attempts, 9);
      assert.deepEqual(stats.outcomes, { busy: 1, 'no-answer': 1, completed: 1, voicemail: 1, failed: 1 });
      await ctx.dialer.tick();
      assert.equal((await ctx.campaigns.repo.get(ctx.w.workspaceId, campaign.id)).status, 'completed');
    });

    test('failed calls are retried after their delay only when the policy says so', async () => {
      const to = '+14155552101';
      ctx.carrier.script(to, [{ kind: 'failed' }, { kind: 'answer' }]);
      const campaign = await newCampaign(
        ctx,
        { retry: { maxAttempts: 2, retryFailed: true, failedDelaySeconds: 600 }, breaker: { window: 100 } },
        [to],
      );
      await ctx.dialer.tick();
      await settled(ctx, campaign.id);
      assert.equal(placed(ctx, to).length, 1);
      await ctx.clock.advance(599_000);
      await ctx.dialer.tick();
      assert.equal(placed(ctx, to).length, 1);
      await ctx.clock.advance(1_000);
      await ctx.dialer.tick();
      await settled(ctx, campaign.id);
      assert.equal(placed(ctx, to).length, 2);
      const c = (await contactsOf(ctx, campaign.id)).get(to);
      assert.deepEqual([c?.status, c?.lastOutcome, c?.attempts], ['done', 'completed', 2]);
    });
  });

  describe(`circuit breaker (${backend})`, () => {
    let ctx: Ctx;
    before(async () => {
      ctx = await setUp(backend);
    });
    after(async () => {
      await ctx.dialer.stop();
      await ctx.store.close();
    });

    test('a campaign whose recent calls mostly fail is paused with the reason; resume starts the count afresh', async () => {
      ctx.carrier.setDefault({ kind: 'failed' });
      const phones = Array.from({ length: 8 }, (_, i) => `+1415555${3001 + i}`);
      // After the pause, half of the remaining calls are answered.
      ctx.carrier.script(phones[5]!, { kind: 'answer' }).script(phones[7]!, { kind: 'answer' });
      const campaign = await newCampaign(
        ctx,
        { maxConcurrency: 1, breaker: { window: 4, failureRatio: 0.75 }, retry: { retryFailed: false } },
        phones,
      );
      await ctx.dialer.tick();
      await whileTimePasses(
        ctx,
        async () => (await ctx.campaigns.repo.get(ctx.w.workspaceId, campaign.id)).status === 'paused',
        'the breaker to trip',
      );
      const paused = await ctx.campaigns.repo.get(ctx.w.workspaceId, campaign.id);
      assert.equal(paused.pausedReason, 'circuit breaker: 4 of the last 4 calls failed');
      // A next call queued while the breaker tripped is withdrawn when its job runs: its contact
      // goes back to pending without using up an attempt.
      await whileTimePasses(
        ctx,
        async () => [...(await contactsOf(ctx, campaign.id)).values()].every((c) => c.status !== 'queued'),
        'a call queued as the breaker tripped to be withdrawn',
      );
      assert.equal(ctx.carrier.placements.length, 4, 'no call after the one that tripped it');
      const stats = await ctx.campaigns.repo.stats(ctx.w.workspaceId, campaign.id);
      assert.deepEqual(stats.contacts, { total: 8, pending: 4, queued: 0, done: 4, cancelled: 0 });
      for (const c of (await contactsOf(ctx, campaign.id)).values())
        if (c.status === 'pending') assert.equal(c.attempts, 0, 'a withdrawn call uses up no attempt');

      // Resuming clears the reason. The four failures before it no longer count: the first
      // failure after it does not re-trip the breaker.
      await ctx.clock.advance(1_000);
      const resumed = await ctx.campaigns.repo.resume(
        ctx.w.workspaceId,
        campaign.id,
        new Date(ctx.clock.now()),
      );
      assert.equal(resumed.status, 'active');
      assert.equal(resumed.pausedReason, null);
      await ctx.dialer.tick();
      await whileTimePasses(
        ctx,
        async () => (await ctx.campaigns.repo.get(ctx.w.workspaceId, campaign.id)).status !== 'active',
        'the campaign to finish',
      );
      const done = await ctx.campaigns.repo.get(ctx.w.workspaceId, campaign.id);
      assert.equal(done.status, 'completed', done.pausedReason ?? '');
      assert.equal(ctx.carrier.placements.length, 8);
    });
  });
}
