import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { asc, eq } from 'drizzle-orm';
import { externalUpdatesBody } from './external-schema.js';
import { ExternalUpdates } from './external-updates.js';
import { seedWorkspace } from './fixtures.js';
import { formatBody } from './formats.js';
import { OutboxWriter } from './outbox-writer.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { outbox } from './tables.js';

const batch = [
  {
    call_id: 'pipecat-1',
    phone_number: '+14155550123',
    status: 'in-progress',
    campaign_id: 'spring',
    start_time: '2026-01-01T10:00:00Z',
  },
  {
    call_id: 'pipecat-1',
    status: 'completed',
    duration_seconds: 42,
    end_time: '2026-01-01T10:00:42Z',
    transcript: [
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Hi' },
    ],
    variables: { name: 'Ada' },
    queue_job_id: 'job-9',
    data_source: 'pipecat',
  },
];

for (const backend of testBackends()) {
  describe(`external updates (${backend})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(() => store.close());

    test('an unknown call id becomes an external call; repeating the batch changes nothing', async () => {
      const { workspaceId } = await seedWorkspace(store);
      await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
        url: 'http://127.0.0.1:9/x',
        eventTypes: ['call.started', 'call.ended'],
        format: 'external-updates',
      });
      const ext = new ExternalUpdates(store.database.db, new OutboxWriter());
      const items = externalUpdatesBody.parse(batch);
      const first = await ext.apply(workspaceId, items);
      assert.deepEqual(
        first.map((r) => [r.index, r.status, r.applied]),
        [
          [0, 'in-progress', true],
          [1, 'ended', true],
        ],
      );
      const callId = first[0]!.callId;
      assert.equal(first[1]!.callId, callId);
      const again = await ext.apply(workspaceId, items);
      assert.deepEqual(
        again.map((r) => r.applied),
        [false, false],
      );

      const call = await store.calls.get(workspaceId, callId);
      assert.equal(call.connector, 'external');
      assert.equal(call.externalId, 'pipecat-1');
      assert.equal(call.outcome, 'completed');
      assert.equal(call.durationMs, 42_000);
      assert.deepEqual(
        call.statusProgression.map((s) => s.status),
        ['queued', 'in-progress', 'ended'],
      );
      assert.deepEqual(call.variables, { name: 'Ada' });

      const events = await store.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.callId, callId))
        .orderBy(asc(outbox.seq));
      assert.deepEqual(
        events.map((e) => e.type),
        ['call.started', 'call.ended'],
      );
      // Round trip: what we send in that format is what the runtime sent us.
      const ended = events[1]!;
      const body = JSON.parse(
        formatBody('external-updates', { ...ended, eventId: ended.id }, undefined) ?? 'null',
      ) as Record<string, unknown>[];
      assert.equal(body.length, 1);
      assert.deepEqual(
        { ...body[0], status_progression: undefined },
        {
          call_id: 'pipecat-1',
          campaign_id: null,
          phone_number: '+14155550123',
          status: 'ended',
          call_outcome: 'completed',
          duration_seconds: 42,
          start_time: '2026-01-01T10:00:00.000Z',
          end_time: '2026-01-01T10:00:42.000Z',
          recording_url: null,
          recording_status: 'none',
          transcript: [
            { role: 'agent', text: 'Hello' },
            { role: 'caller', text: 'Hi' },
          ],
          variables: { name: 'Ada' },
          agent_name: null,
          data_source: 'pipecat',
          queue_job_id: 'job-9',
          status_progression: undefined,
          error: null,
        },
      );
    });

    test('validation errors name the item and field', () => {
      const r = externalUpdatesBody.safeParse([
        { call_id: 'x', status: 'in-progress' },
        { call_id: '', status: 'nope' },
      ]);
      assert.equal(r.success, false);
      const paths = r.error!.issues.map((i) => i.path.join('.'));
      assert.deepEqual(paths.sort(), ['1.call_id', '1.status']);
    });
  });
}
