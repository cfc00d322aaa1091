import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CallEvent, CallEventBus, isAppError, silentLogger } from '@switchboard/core';
import type { CallSession } from '@switchboard/engine';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';
import { CallControl } from './call-control.js';
import type { CallRunner } from './call-runner.js';
import { LiveFeed } from './live-feed.js';

const ev = (type: CallEvent['type'], callId: string, data: unknown = {}, workspaceId = 'ws-1') =>
  ({ type, callId, workspaceId, at: Date.now(), data }) as CallEvent;

describe('the live feed', () => {
  test('a late follower gets what was said so far (no partials), then each event, until the end', () => {
    const bus = new CallEventBus();
    const feed = new LiveFeed(bus);
    bus.publish(ev('call.started', 'c1'));
    bus.publish(ev('transcript.partial', 'c1', { role: 'caller', text: 'hel' }));
    bus.publish(ev('transcript.final', 'c1', { role: 'caller', text: 'hello', startMs: 0 }));
    const got: string[] = [];
    const f = feed.follow('c1', 'ws-1', (e) => got.push(e.type));
    assert.equal(f.live, true);
    assert.deepEqual(got, ['call.started', 'transcript.final']);
    bus.publish(ev('transcript.partial', 'c1', { role: 'caller', text: 'by' }));
    bus.publish(ev('call.ended', 'c1'));
    assert.deepEqual(got.slice(2), ['transcript.partial', 'call.ended']);
    assert.equal(feed.runs('c1', 'ws-1'), false, 'forgotten once ended');
    feed.close();
    assert.equal(bus.size, 0);
  });

  test("another workspace's call is never told, and a call that starts later is followed from its start", () => {
    const bus = new CallEventBus();
    const feed = new LiveFeed(bus);
    bus.publish(ev('call.started', 'c2', {}, 'ws-other'));
    const stranger: string[] = [];
    const s = feed.follow('c2', 'ws-1', (e) => stranger.push(e.type));
    assert.equal(s.live, false);
    bus.publish(ev('call.ended', 'c2', {}, 'ws-other'));
    assert.deepEqual(stranger, []);
    s.stop();

    const early: string[] = [];
    const w = feed.follow('c3', 'ws-1', (e) => early.push(e.type));
    assert.equal(w.live, false);
    bus.publish(ev('call.ringing', 'c3'));
    bus.publish(ev('call.started', 'c3'));
    assert.deepEqual(early, ['call.ringing', 'call.started']);
    w.stop();
    bus.publish(ev('call.answered', 'c3'));
    assert.equal(early.length, 2, 'stopped');
    feed.close();
  });
});

for (const backend of testBackends()) {
  describe(`call control across processes (${backend})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(() => store.close());

    test('a command for a call another process runs reaches that process, and only it', async () => {
      const ws = await store.accounts.createWorkspace('Control');
      const call = await store.calls.create({
        workspaceId: ws.id,
        direction: 'inbound',
        connector: 'sip',
        fromNumber: '+15550001',
        toNumber: '+15550002',
        status: 'in-progress',
        owner: 'process-b',
      });
      const ended: string[] = [];
      const said: string[] = [];
      const session = {
        end: (reason: string) => ended.push(reason),
        controls: { say: (text: string) => said.push(text) },
      } as unknown as CallSession;
      const runnerB = {
        session: (id: string, workspaceId: string) =>
          id === call.id && workspaceId === ws.id ? session : undefined,
      } as unknown as CallRunner;
      const a = new CallControl({ store, logger: silentLogger() });
      const b = new CallControl({ store, logger: silentLogger(), runner: runnerB });
      await a.start();
      await b.start();
      try {
        const r = await a.apply(ws.id, call.id, { action: 'say', text: 'Hold on.', interrupt: false });
        assert.equal(r.result, 'forwarded');
        const h = await a.apply(ws.id, call.id, { action: 'hangup' });
        assert.equal(h.result, 'forwarded');
        for (let i = 0; i < 200 && ended.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(said, ['Hold on.']);
        assert.deepEqual(ended, ['api-hangup']);
        // Here, the same call is controlled directly.
        assert.equal((await b.apply(ws.id, call.id, { action: 'hangup' })).result, 'applied');
        const other = await store.accounts.createWorkspace('Other');
        await assert.rejects(
          a.apply(other.id, call.id, { action: 'hangup' }),
          (e) => isAppError(e) && e.status === 404,
        );
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    test('an inbound call not answered or already ended is refused with 409', async () => {
      const ws = await store.accounts.createWorkspace('Refusals');
      const base = {
        workspaceId: ws.id,
        direction: 'inbound' as const,
        connector: 'sip',
        fromNumber: '1',
        toNumber: '2',
      };
      const ended = await store.calls.create({ ...base, status: 'ended', outcome: 'completed' });
      const ringing = await store.calls.create({ ...base, status: 'ringing' });
      const c = new CallControl({ store, logger: silentLogger() });
      for (const id of [ended.id, ringing.id]) {
        await assert.rejects(
          c.apply(ws.id, id, { action: 'inject', text: 'x' }),
          (e) => isAppError(e) && e.status === 409,
        );
      }
    });
  });
}

describe('call control routes', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('a viewer may follow but not control; bad bodies are named; unknown calls are 404', async () => {
    const { key } = await t.store.apiKeys.create(t.workspaceId, { name: 'viewer', role: 'viewer' });
    const id = '00000000-0000-4000-8000-000000000001';
    for (const path of ['hangup', 'inject', 'recording/pause']) {
      const r = await t.app.inject({ method: 'POST', url: `/v1/calls/${id}/${path}`, headers: bearer(key) });
      assert.equal(r.statusCode, 403, path);
    }
    const bad = await t.app.inject({
      method: 'POST',
      url: `/v1/calls/${id}/say`,
      headers: bearer(t.adminKey),
      payload: { text: 'x'.repeat(2001), interrupt: 'yes' },
    });
    assert.equal(bad.statusCode, 400);
    const paths = (bad.json().error.details as { path: string }[]).map((d) => d.path).sort();
    assert.deepEqual(paths, ['body.interrupt', 'body.text']);
    const missing = await t.app.inject({
      method: 'POST',
      url: `/v1/calls/${id}/hangup`,
      headers: bearer(t.adminKey),
    });
    assert.equal(missing.statusCode, 404);
    const live = await t.app.inject({ method: 'GET', url: `/v1/calls/${id}/live`, headers: bearer(key) });
    assert.equal(live.statusCode, 404);
  });

  test('a call run by another process is followed from the database until it ends', async () => {
    const { key } = await t.store.apiKeys.create(t.workspaceId, { name: 'wall', role: 'viewer' });
    const call = await t.store.calls.create({
      workspaceId: t.workspaceId,
      direction: 'inbound',
      connector: 'twilio',
      fromNumber: '+15550003',
      toNumber: '+15550004',
      status: 'in-progress',
      owner: 'another-process',
    });
    await t.store.calls.appendEvent(call.id, 1, 'transcript.final', new Date(), {
      role: 'caller',
      text: 'hello',
      startMs: 0,
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/v1/calls/${call.id}/live`, { headers: bearer(key) });
    assert.equal(res.status, 200);
    const body = res.text();
    // Later, the other process records a digit and the end.
    await new Promise((r) => setTimeout(r, 300));
    await t.store.calls.appendEvent(call.id, 2, 'dtmf.received', new Date(), { digit: '5' });
    await t.store.calls.setStatus(call.id, 'ended', { outcome: 'completed', endedReason: 'caller-hangup' });
    const events = [...(await body).matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(events, ['state', 'transcript.final', 'dtmf.received', 'state', 'end']);
    assert.match(await Promise.resolve(body), /"endedReason":"caller-hangup"/);
  });
});
