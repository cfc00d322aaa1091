import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CallAnalysis, CallEventBus, silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { and, eq } from 'drizzle-orm';
import { type AnalysisJob, AnalysisWorker } from './analysis-worker.js';
import { publishCall, seedWorkspace } from './fixtures.js';
import { createCallRecorder } from './recorder.js';
import { AnalysesRepo } from './repos/analyses.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { callAnalyses, deliveries, outbox } from './tables.js';
import { manualClock } from './testing.js';

const ANALYSED = {
  analysis: {
    summary: true,
    fields: [{ name: 'resolved', type: 'boolean', description: 'The question was answered.' }],
    llm: ['local:analyst'],
  },
};

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

for (const backend of testBackends()) {
  describe(`post-call analysis queue (${backend})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(() => store.close());

    /** A recorded call of an agent with `config`, with a webhook for call.analyzed. */
    async function endedCall(config: Record<string, unknown> = ANALYSED) {
      const { workspaceId, agentId } = await seedWorkspace(store, config);
      await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
        url: 'https://crm.example.com/hook',
        eventTypes: ['call.analyzed'],
      });
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store, bus, logger: silentLogger() });
      const callId = publishCall(bus, { workspaceId, agentId });
      await rec.stop();
      return { workspaceId, agentId, callId };
    }
    const analysisRow = async (callId: string) =>
      (await store.database.db.select().from(callAnalyses).where(eq(callAnalyses.callId, callId)))[0];
    const analyzedEvents = (callId: string) =>
      store.database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.callId, callId), eq(outbox.type, 'call.analyzed')));

    test('call.ended queues analysis; the result is stored, told as call.analyzed and delivered', async () => {
      const { workspaceId, agentId, callId } = await endedCall();
      assert.equal((await analysisRow(callId))?.status, 'pending');
      const jobs: AnalysisJob[] = [];
      const worker = new AnalysisWorker({
        store,
        logger: silentLogger(),
        analyze: async (job) => {
          jobs.push(job);
          return {
            summary: 'Two questions, both answered.',
            fields: { resolved: true },
            provider: 'local:analyst',
          };
        },
      });
      assert.equal(await worker.tick(), 1);
      assert.equal(await worker.tick(), 0, 'done analyses are not claimed again');

      const job = jobs[0]!;
      assert.equal(job.agentId, agentId);
      assert.equal(job.agentVersion, 1);
      assert.deepEqual(job.config.analysis.llm, ['local:analyst']);
      assert.deepEqual(
        job.transcript.map((t) => `${t.role}: ${t.text}`),
        ['caller: question 0', 'agent: answer 0', 'caller: question 1', 'agent: answer 1'],
      );

      const row = await analysisRow(callId);
      assert.equal(row?.status, 'done');
      assert.equal(row?.summary, 'Two questions, both answered.');
      assert.deepEqual(row?.fields, { resolved: true });
      assert.equal(row?.provider, 'local:analyst');

      const story = await store.calls.events(workspaceId, callId);
      const analyzed = story.filter((e) => e.type === 'call.analyzed');
      assert.equal(analyzed.length, 1);
      assert.deepEqual(analyzed[0]?.data, {
        summary: 'Two questions, both answered.',
        fields: { resolved: true },
        provider: 'local:analyst',
      });
      const [event] = await analyzedEvents(callId);
      assert.equal(event?.payload.summary, 'Two questions, both answered.');
      const queued = await store.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.eventId, event!.id));
      assert.equal(queued.length, 1, 'the webhook subscribed to call.analyzed gets a delivery');
      assert.equal(queued[0]?.status, 'pending');
    });

    test('agents that ask for no analysis queue none', async () => {
      const { callId } = await endedCall({});
      assert.equal(await analysisRow(callId), undefined);
    });

    test('a failed attempt is retried later; after the last one call.analyzed reports the error', async () => {
      const { callId } = await endedCall();
      const clock = manualClock();
      let calls = 0;
      const worker = new AnalysisWorker({
        store,
        logger: silentLogger(),
        now: clock.now,
        random: () => 0.5,
        maxAttempts: 3,
        schedule: { firstDelayMs: 30_000, factor: 4, jitter: 0 },
        analyze: async () => {
          calls++;
          throw new Error(`model unavailable (${calls})`);
        },
      });
      // The first attempt is due when the call ended (Date.now() then); run the clock past it.
      clock.advance(1000);
      assert.equal(await worker.tick(), 1);
      let row = await analysisRow(callId);
      assert.equal(row?.status, 'pending');
      assert.equal(row?.attempts, 1);
      assert.equal(row?.lastError, 'model unavailable (1)');
      assert.equal(row?.nextAttemptAt.getTime(), clock.now() + 30_000);
      assert.equal(await worker.tick(), 0, 'not before its retry time');

      clock.advance(30_000);
      assert.equal(await worker.tick(), 1);
      row = await analysisRow(callId);
      assert.equal(row?.nextAttemptAt.getTime(), clock.now() + 120_000, 'the delay grows');
      assert.equal((await analyzedEvents(callId)).length, 0, 'nothing reported while retries remain');

      clock.advance(120_000);
      assert.equal(await worker.tick(), 1);
      row = await analysisRow(callId);
      assert.equal(row?.status, 'failed');
      assert.equal(calls, 3);
      const events = await analyzedEvents(callId);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.payload.fields, {});
      assert.equal(events[0]?.payload.error, 'model unavailable (3)');
    });

    test('a worker that dies mid-analysis loses its lease; the call is reported analysed once', async () => {
      const { callId } = await endedCall();
      const clock = manualClock();
      clock.advance(1000);
      const stuck = deferred<CallAnalysis>();
      const dying = new AnalysisWorker({
        store,
        logger: silentLogger(),
        now: clock.now,
        timeoutMs: 60_000,
        id: 'dying',
        analyze: () => stuck.promise,
      });
      const survivor = new AnalysisWorker({
        store,
        logger: silentLogger(),
        now: clock.now,
        id: 'survivor',
        analyze: async () => ({ summary: 'From the survivor.', fields: { resolved: false } }),
      });
      const first = dying.tick();
      for (let i = 0; i < 200 && (await analysisRow(callId))?.leaseOwner !== 'dying'; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(await survivor.tick(), 0, 'leased rows are not claimed');
      clock.advance(120_001);
      assert.equal(await survivor.tick(), 1, 'an expired lease is claimed by another worker');
      // The first worker comes back late with its own answer: it no longer holds the lease.
      stuck.resolve({ summary: 'Too late.', fields: { resolved: true } });
      await first;
      const events = await analyzedEvents(callId);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.payload.summary, 'From the survivor.');
      assert.equal((await analysisRow(callId))?.summary, 'From the survivor.');
    });

    test('concurrent workers never analyse the same call twice', async () => {
      const ids = await Promise.all([endedCall(), endedCall(), endedCall(), endedCall()]);
      let runs = 0;
      const make = () =>
        new AnalysisWorker({
          store,
          logger: silentLogger(),
          concurrency: 3,
          analyze: async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 10));
            return { fields: { resolved: true }, summary: 'ok' };
          },
        });
      const workers = [make(), make(), make()];
      for (let round = 0; round < 3; round++) await Promise.all(workers.map((w) => w.tick()));
      for (const { callId } of ids) {
        assert.equal((await analyzedEvents(callId)).length, 1);
        assert.equal((await analysisRow(callId))?.status, 'done');
      }
      assert.ok(runs >= 4, `every call analysed (${runs})`);
    });

    test('a re-requested analysis runs again and is reported again with a new event id', async () => {
      const { workspaceId, callId } = await endedCall();
      let n = 0;
      const worker = new AnalysisWorker({
        store,
        logger: silentLogger(),
        analyze: async () => ({ summary: `take ${++n}`, fields: { resolved: true } }),
      });
      await worker.tick();
      await new AnalysesRepo(store.database.db).request(workspaceId, callId, new Date());
      assert.equal((await analysisRow(callId))?.status, 'pending');
      await worker.tick();
      const events = await analyzedEvents(callId);
      assert.deepEqual(events.map((e) => e.payload.summary).sort(), ['take 1', 'take 2']);
      assert.notEqual(events[0]?.id, events[1]?.id);
      assert.equal((await analysisRow(callId))?.summary, 'take 2');
    });
  });
}
