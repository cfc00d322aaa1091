import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CallEvent, CallEventBus, OutboundGuard, silentLogger } from '@switchboard/core';
import {
  FakeAsr,
  FakeCallLeg,
  FakeLlm,
  FakeProviderFactory,
  FakeTts,
  fakeVadFactory,
} from '@switchboard/engine';
import { HomeAssistant, homeToolsFor } from '@switchboard/integrations';
import { FakeHome } from '@switchboard/integrations/testing';
import { openTestStore } from '@switchboard/store/testing';
import { CallRunner } from './call-runner.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a phone call's agent turns off the kitchen lights, and the action is one of the call's events", async () => {
  const store = await openTestStore();
  const home = await FakeHome.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-home-call-'));
  const outbound = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] });
  const ha = new HomeAssistant({
    repo: store.home,
    logger: silentLogger(),
    guard: outbound,
    pruneEveryMs: 0,
  });
  try {
    const ws = (await store.accounts.createWorkspace('House')).id;
    await store.home.saveConnection(ws, { url: home.url, token: home.token });
    await ha.connect(ws);
    for (let i = 0; i < 250 && ha.connection(ws)?.status !== 'connected'; i++) await pause(20);
    const agent = await store.agents.create(ws, {
      name: 'House',
      publish: true,
      config: { turnTaking: { endOfTurnSilenceMs: 200 }, home: { enabled: true, domains: ['light'] } },
    });
    let round = 0;
    const llm = new FakeLlm({
      replies: () =>
        round++ === 0
          ? {
              toolCalls: [
                { name: 'home_call_service', args: { entity: 'kitchen lights', service: 'turn_off' } },
              ],
            }
          : 'The kitchen lights are off.',
    });
    const bus = new CallEventBus();
    const events: CallEvent[] = [];
    bus.subscribe((e) => {
      events.push(e);
    });
    const runner = new CallRunner({
      store,
      bus,
      providers: new FakeProviderFactory({
        asr: { 'local:soundswallower': new FakeAsr({ utterances: ['turn off the kitchen lights'] }) },
        llm: { 'local:answerer': llm },
        tts: { 'local:espeak': new FakeTts() },
      }),
      logger: silentLogger(),
      dataDir,
      configUrlTimeoutMs: 500,
      outbound,
      vadFactory: fakeVadFactory,
      platformTools: homeToolsFor(store.home, ha),
    });
    const leg = new FakeCallLeg();
    const call = await runner.start(leg, { route: { agentId: agent.id, workspaceId: ws } });
    for (let i = 0; i < 500 && !events.some((e) => e.type === 'call.answered'); i++) await pause(10);
    for (let i = 0; i < 15; i++) {
      leg.pushSpeech(20);
      await pause(20);
    }
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'tool.called'); i++) {
      leg.pushSilence(20);
      await pause(20);
    }
    leg.callerHangup();
    await call.done;
    const tool = events.find((e) => e.type === 'tool.called');
    assert.ok(tool && tool.type === 'tool.called', 'the action is a tool.called event of the call');
    assert.equal(tool.callId, call.callId);
    assert.equal(tool.data.name, 'home_call_service');
    assert.equal(tool.data.ok, true);
    assert.deepEqual(tool.data.args, { entity: 'kitchen lights', service: 'turn_off' });
    assert.deepEqual(home.serviceCalls.at(-1), {
      via: 'websocket',
      domain: 'light',
      service: 'turn_off',
      data: {},
      target: { entity_id: 'light.kitchen' },
    });
  } finally {
    await ha.stop();
    await home.close();
    await store.close();
    await outbound.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
