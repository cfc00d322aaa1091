import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CallEventBus, OutboundGuard, silentLogger } from '@switchboard/core';
import {
  FakeAsr,
  FakeCallLeg,
  FakeLlm,
  FakeProviderFactory,
  FakeTts,
  fakeVadFactory,
} from '@switchboard/engine';
import type { Store } from '@switchboard/store';
import { openTestStore } from '@switchboard/store/testing';
import { CallRefusedError, CallRunner, SHUTDOWN_LINE } from './call-runner.js';
import { CallSlots } from './call-slots.js';

test('CallSlots: refuses past the cap and counts it; a release counts once; forced slots go past it', () => {
  const slots = new CallSlots(2);
  const a = slots.take();
  const b = slots.take();
  assert.ok(typeof a === 'object' && typeof b === 'object');
  assert.equal(slots.full, true);
  assert.equal(slots.take(), 'capacity');
  const forced = slots.take({ force: true });
  assert.equal(slots.stats.inUse, 3);
  a.release();
  a.release();
  assert.equal(slots.stats.inUse, 2, 'a second release of the same slot changes nothing');
  assert.equal(slots.full, true);
  if (typeof forced === 'object') forced.release();
  assert.equal(slots.full, false);
  assert.deepEqual(slots.stats.refused, { capacity: 1, draining: 0 });
  const unlimited = new CallSlots(0);
  for (let i = 0; i < 100; i++) assert.notEqual(unlimited.take(), 'capacity');
  assert.throws(() => new CallSlots(-1), RangeError);
});

describe('CallRunner with MAX_CONCURRENT_CALLS', () => {
  let store: Store;
  let dataDir: string;
  let outbound: OutboundGuard;
  let workspaceId: string;
  let agentId: string;
  let brokenAgentId: string;
  const runnerWith = (max: number) =>
    new CallRunner({
      store,
      bus: new CallEventBus(),
      providers: new FakeProviderFactory({
        asr: { 'local:soundswallower': new FakeAsr({ utterances: [] }) },
        llm: { 'local:answerer': new FakeLlm({ replies: () => 'Yes.' }) },
        tts: { 'local:espeak': new FakeTts() },
      }),
      logger: silentLogger(),
      dataDir,
      configUrlTimeoutMs: 200,
      outbound,
      vadFactory: fakeVadFactory,
      maxConcurrentCalls: max,
    });

  before(async () => {
    store = await openTestStore();
    dataDir = mkdtempSync(join(tmpdir(), 'sb-slots-'));
    outbound = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] });
    workspaceId = (await store.accounts.createWorkspace('Slots')).id;
    agentId = (await store.agents.create(workspaceId, { name: 'Desk', publish: true, config: {} })).id;
    // Its synthesiser is not installed here: the call fails as it starts (an abnormal end).
    brokenAgentId = (
      await store.agents.create(workspaceId, {
        name: 'Broken',
        publish: true,
        config: {
          providers: { asr: ['local:soundswallower'], llm: ['local:answerer'], tts: ['local:flite'] },
        },
      })
    ).id;
  });
  after(async () => {
    await store.close();
    await outbound.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('an inbound call past the cap is hung up as busy; outbound calls are never refused', async () => {
    const runner = runnerWith(1);
    const route = { agentId, workspaceId };
    const first = await runner.start(new FakeCallLeg({ id: 'a' }), { route });
    assert.equal(runner.admission(), 'capacity');
    const second = new FakeCallLeg({ id: 'b' });
    await assert.rejects(
      runner.start(second, { route }),
      (e) => e instanceof CallRefusedError && e.reason === 'capacity',
    );
    assert.equal(second.hungUp?.reason, 'busy');
    const outboundLeg = new FakeCallLeg({ id: 'c', direction: 'outbound' });
    const third = await runner.start(outboundLeg, { route });
    assert.equal(runner.slots.stats.inUse, 2);
    runner.session(first.callId, workspaceId)?.end('api-hangup');
    outboundLeg.callerHangup('callee-hangup');
    await Promise.all([first.done, third.done]);
    assert.equal(runner.slots.stats.inUse, 0);
    assert.equal(runner.admission(), undefined);
    assert.deepEqual(runner.slots.stats.refused, { capacity: 1, draining: 0 });
  });

  test('no slot leaks, however a call ends or fails to start', async () => {
    const runner = runnerWith(3);
    const route = { agentId, workspaceId };
    // Nothing answers the route: refused before a session exists.
    await assert.rejects(runner.start(new FakeCallLeg(), { route: { agentId: 'missing', workspaceId } }));
    assert.equal(runner.slots.stats.inUse, 0, 'a call no agent answers gives its slot back');
    // A slot taken at the intake (as SIP does before answering), then the start fails.
    const admitted = runner.admit();
    assert.ok(typeof admitted === 'object');
    await assert.rejects(
      runner.start(new FakeCallLeg(), { route: { agentId: 'missing', workspaceId }, slot: admitted }),
    );
    assert.equal(runner.slots.stats.inUse, 0, "the intake's slot is given back");
    // The provider cannot start: the call ends as failed.
    const failed = await runner.start(new FakeCallLeg(), { route: { agentId: brokenAgentId, workspaceId } });
    assert.equal((await failed.done).outcome, 'failed');
    // The caller drops at once; the call is ended over the API; the connector's audio breaks.
    const dropped = new FakeCallLeg();
    const droppedCall = await runner.start(dropped, { route });
    dropped.callerHangup();
    const ended = await runner.start(new FakeCallLeg(), { route });
    runner.session(ended.callId, workspaceId)?.end('api-hangup');
    const broken = new FakeCallLeg();
    const brokenCall = await runner.start(broken, { route });
    broken.emit('hangup', 'connector-error');
    await Promise.all([droppedCall.done, ended.done, brokenCall.done]);
    assert.equal(runner.slots.stats.inUse, 0);
    assert.equal(runner.activeCalls, 0);
    // The cap is whole again: three calls fit, the fourth does not.
    const legs = [new FakeCallLeg(), new FakeCallLeg(), new FakeCallLeg()];
    const calls = await Promise.all(legs.map((leg) => runner.start(leg, { route })));
    assert.equal(runner.admit(), 'capacity');
    for (const leg of legs) leg.callerHangup();
    await Promise.all(calls.map((c) => c.done));
    assert.equal(runner.slots.stats.inUse, 0);
  });

  test('draining: new calls are refused as draining; calls still live at the deadline hear a goodbye and end as shutdown', async () => {
    const runner = runnerWith(0);
    const leg = new FakeCallLeg();
    const call = await runner.start(leg, { route: { agentId, workspaceId } });
    runner.stopTaking();
    assert.equal(runner.admit(), 'draining');
    const late = new FakeCallLeg();
    await assert.rejects(runner.start(late, { route: { agentId, workspaceId } }), /shutting down/);
    assert.equal(late.hungUp?.reason, 'shutdown');
    // Once the call is up, the grace is over at once.
    await new Promise((r) => setTimeout(r, 300));
    await runner.drain(Date.now(), 5000);
    const result = await call.done;
    assert.equal(result.endedReason, 'shutdown');
    const agentLines = result.transcript.filter((e) => e.role === 'agent').map((e) => e.text);
    assert.equal(agentLines.at(-1), SHUTDOWN_LINE, 'the caller is told before the line closes');
    const hangupAt = leg.actions.findIndex((a) => a.type === 'hangup');
    assert.ok(
      leg.actions.slice(0, hangupAt).some((a) => a.type === 'play'),
      'audio played before the hang-up',
    );
    assert.equal(leg.hungUp?.reason, 'shutdown');
    assert.equal(runner.slots.stats.inUse, 0);
    assert.deepEqual(runner.slots.stats.refused, { capacity: 0, draining: 2 });
  });
});
