import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RETENTION_SWEEP_LOCK } from '@switchboard/store';
import { testBackends } from '@switchboard/store/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';

const DAY_MS = 24 * 3600_000;

for (const backend of testBackends())
  describe(`retention settings, runs and erasing a call (${backend})`, () => {
    let t: TestApp;
    let dataDir: string;
    let keys: Record<'member' | 'viewer', string>;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'sb-retention-'));
      t = await createTestApp({ backend, env: { DATA_DIR: dataDir } });
      keys = {
        member: (await t.store.apiKeys.create(t.workspaceId, { name: 'm', role: 'member' })).key,
        viewer: (await t.store.apiKeys.create(t.workspaceId, { name: 'v', role: 'viewer' })).key,
      };
    });
    after(async () => {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const api = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: unknown, key = t.adminKey) =>
      t.app.inject({
        method,
        url,
        headers: bearer(key),
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });

    /** An ended call `ageDays` old with a recording on disk, transcript, events and latencies. */
    async function seedCall(ageDays: number, workspaceId = t.workspaceId) {
      const endedAt = new Date(Date.now() - ageDays * DAY_MS);
      const dir = join(dataDir, 'recordings', workspaceId);
      mkdirSync(dir, { recursive: true });
      const call = await t.store.calls.create({
        workspaceId,
        direction: 'inbound',
        connector: 'twilio',
        fromNumber: '+14155550187',
        toNumber: '+14155550123',
        status: 'ended',
        outcome: 'completed',
        variables: { patientName: 'Ana' },
        endedAt,
      });
      const recordingPath = join(dir, `${call.id}.wav`);
      writeFileSync(recordingPath, 'RIFF');
      await t.store.calls.setStatus(call.id, 'ended', { recordingPath });
      await t.store.calls.appendEvent(call.id, 1, 'call.started', endedAt, {});
      await t.store.calls.appendEvent(call.id, 2, 'transcript.final', endedAt, {
        role: 'caller',
        text: 'Hi',
      });
      await t.store.calls.appendEvent(call.id, 3, 'call.ended', endedAt, {
        transcript: [{ role: 'caller', text: 'Hi' }],
        outcome: 'completed',
      });
      await t.store.calls.saveLatencies(call.id, [{ turn: 1, callerStoppedMs: 100 }]);
      return { id: call.id, recordingPath };
    }

    test('only admins and owners read or change the settings; bad values are a 400 naming the field', async () => {
      for (const role of ['member', 'viewer'] as const) {
        assert.equal((await api('GET', '/v1/retention', undefined, keys[role])).statusCode, 403, role);
        assert.equal(
          (await api('PATCH', '/v1/retention', { recordingsDays: 1 }, keys[role])).statusCode,
          403,
          role,
        );
        assert.equal(
          (await api('POST', '/v1/retention/run', { dryRun: true }, keys[role])).statusCode,
          403,
          role,
        );
      }
      const initial = await api('GET', '/v1/retention');
      assert.equal(initial.statusCode, 200);
      assert.deepEqual(initial.json(), {
        recordingsDays: null,
        transcriptsDays: null,
        eventsDays: null,
        updatedAt: null,
      });
      for (const [body, field] of [
        [{ recordingsDays: 0 }, 'recordingsDays'],
        [{ transcriptsDays: 1.5 }, 'transcriptsDays'],
        [{ eventsDays: 'ten' }, 'eventsDays'],
        [{ keepForever: true }, 'keepForever'],
      ] as const) {
        const res = await api('PATCH', '/v1/retention', body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.match(res.body, new RegExp(field));
      }
      assert.equal((await api('PATCH', '/v1/retention', {})).statusCode, 400);
      const set = await api('PATCH', '/v1/retention', { recordingsDays: 30, transcriptsDays: 90 });
      assert.equal(set.statusCode, 200);
      assert.equal(set.json().recordingsDays, 30);
      const again = await api('PATCH', '/v1/retention', { transcriptsDays: null, eventsDays: 365 });
      assert.deepEqual(
        { ...(again.json() as Record<string, unknown>), updatedAt: undefined },
        { recordingsDays: 30, transcriptsDays: null, eventsDays: 365, updatedAt: undefined },
        'fields not given keep their value',
      );
    });

    test('a dry run counts without deleting; a run deletes older data and recording files, newer data stays', async () => {
      const old = await seedCall(40);
      const recent = await seedCall(5);
      // Another workspace keeps everything: its settings are its own.
      const other = (await t.store.accounts.createWorkspace('Other')).id;
      const foreign = await seedCall(400, other);
      await api('PATCH', '/v1/retention', { recordingsDays: 30, transcriptsDays: 10, eventsDays: 35 });

      const dry = await api('POST', '/v1/retention/run', { dryRun: true });
      assert.equal(dry.statusCode, 200, dry.body);
      assert.deepEqual(dry.json(), { dryRun: true, ran: true, recordings: 1, transcripts: 1, events: 1 });
      assert.ok(existsSync(old.recordingPath), 'a dry run deletes nothing');
      assert.equal((await t.store.calls.events(t.workspaceId, old.id)).length, 3);

      const run = await api('POST', '/v1/retention/run', { dryRun: false });
      assert.deepEqual(run.json(), { dryRun: false, ran: true, recordings: 1, transcripts: 1, events: 1 });
      assert.ok(!existsSync(old.recordingPath), 'the old recording file is gone');
      assert.equal((await api('GET', `/v1/calls/${old.id}`)).json().hasRecording, false);
      assert.deepEqual(await t.store.calls.events(t.workspaceId, old.id), []);
      assert.deepEqual(await t.store.calls.latencies(t.workspaceId, old.id), []);
      // The recent call is inside every period: all of it stays.
      assert.ok(existsSync(recent.recordingPath));
      assert.equal((await t.store.calls.events(t.workspaceId, recent.id)).length, 3);
      assert.ok(existsSync(foreign.recordingPath), "another workspace's data is untouched");

      // Transcripts only: a 3-day-old call loses its transcript, keeps its other events.
      await api('PATCH', '/v1/retention', { transcriptsDays: 1 });
      await api('POST', '/v1/retention/run', { dryRun: false });
      const kept = await t.store.calls.events(t.workspaceId, recent.id);
      assert.deepEqual(
        kept.map((e) => e.type),
        ['call.started', 'call.ended'],
      );
      assert.equal(kept[1]?.data.transcript, undefined, 'the transcript inside call.ended is gone too');
      assert.equal(kept[1]?.data.outcome, 'completed');
      const nothing = await api('POST', '/v1/retention/run', { dryRun: true });
      assert.deepEqual(nothing.json(), { dryRun: true, ran: true, recordings: 0, transcripts: 0, events: 0 });
    });

    test('erasing a call deletes its data and recording, keeps a tombstone; a live call is a 409', async () => {
      const call = await seedCall(1);
      assert.equal((await api('POST', `/v1/calls/${call.id}/erase`, undefined, keys.member)).statusCode, 403);
      const res = await api('POST', `/v1/calls/${call.id}/erase`);
      assert.equal(res.statusCode, 200, res.body);
      const tomb = res.json();
      assert.equal(tomb.id, call.id);
      assert.equal(tomb.status, 'ended');
      assert.equal(tomb.from, '');
      assert.equal(tomb.to, '');
      assert.deepEqual(tomb.variables, {});
      assert.equal(tomb.hasRecording, false);
      assert.ok(tomb.erasedAt && tomb.endedAt);
      assert.ok(!existsSync(call.recordingPath));
      assert.deepEqual((await api('GET', `/v1/calls/${call.id}/events`)).json().data, []);
      assert.deepEqual((await api('GET', `/v1/calls/${call.id}/latencies`)).json().data, []);
      const again = await api('POST', `/v1/calls/${call.id}/erase`);
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().erasedAt, tomb.erasedAt, 'erasing twice changes nothing');

      const live = await t.store.calls.create({
        workspaceId: t.workspaceId,
        direction: 'inbound',
        connector: 'sip',
        fromNumber: '+14155550187',
        toNumber: '+14155550123',
        status: 'in-progress',
      });
      const refused = await api('POST', `/v1/calls/${live.id}/erase`);
      assert.equal(refused.statusCode, 409);
      assert.match(refused.json().error.message, /in-progress/);
      assert.equal((await t.store.calls.get(t.workspaceId, live.id)).fromNumber, '+14155550187');
      assert.equal((await api('POST', `/v1/calls/${crypto.randomUUID()}/erase`)).statusCode, 404);
      assert.equal((await api('POST', '/v1/calls/not-a-uuid/erase')).statusCode, 400);
    });

    // Two processes share a database only on PostgreSQL (PGlite serves one process).
    if (backend === 'postgres')
      test('one process sweeps at a time: while another holds the sweep, a run does nothing', async () => {
        const pool = t.store.database.pool;
        assert.ok(pool, 'a PostgreSQL store has a pool');
        const other = await pool.connect();
        try {
          await other.query('begin');
          await other.query('select pg_advisory_xact_lock($1)', [RETENTION_SWEEP_LOCK]);
          const busy = await api('POST', '/v1/retention/run', { dryRun: false });
          assert.deepEqual(busy.json(), {
            dryRun: false,
            ran: false,
            recordings: 0,
            transcripts: 0,
            events: 0,
          });
          await other.query('commit');
        } finally {
          other.release();
        }
        assert.equal((await api('POST', '/v1/retention/run', { dryRun: true })).json().ran, true);
      });
  });
