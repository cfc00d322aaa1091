import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CallEventBus, OutboundGuard, silentLogger } from '@switchboard/core';
import {
  type ChatMessage,
  FakeAsr,
  FakeCallLeg,
  FakeLlm,
  FakeProviderFactory,
  FakeTts,
  fakeVadFactory,
} from '@switchboard/engine';
import { openTestStore } from '@switchboard/store/testing';
import { CallRunner } from './call-runner.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a call's model gets passages from the agent's knowledge bases for what the caller said", async () => {
  const store = await openTestStore();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-kb-call-'));
  const outbound = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] });
  try {
    const ws = (await store.accounts.createWorkspace('Clinic')).id;
    const kb = await store.knowledge.createBase(ws, { name: 'Handbook' });
    const doc = await store.knowledge.createDocument(ws, kb.id, {
      sourceName: 'handbook.md',
      sourceType: 'md',
      sizeBytes: 80,
    });
    await store.knowledge.completeDocument(doc.id, [
      {
        headingPath: ['Parking'],
        content: 'Patients park for free in the garage behind the building.',
        tokenCount: 15,
      },
    ]);
    const agent = await store.agents.create(ws, {
      name: 'Front desk',
      publish: true,
      config: {
        turnTaking: { endOfTurnSilenceMs: 200 },
        knowledge: { knowledgeBaseIds: [kb.id] },
      },
    });
    const seen: ChatMessage[][] = [];
    const llm = new FakeLlm({
      replies: (messages) => {
        seen.push([...messages]);
        return 'In the garage.';
      },
    });
    const bus = new CallEventBus();
    let answered = false;
    bus.subscribe(() => {
      answered = true;
    }, ['call.answered']);
    const runner = new CallRunner({
      store,
      bus,
      providers: new FakeProviderFactory({
        asr: { 'local:soundswallower': new FakeAsr({ utterances: ['where do patients park'] }) },
        llm: { 'local:answerer': llm },
        tts: { 'local:espeak': new FakeTts() },
      }),
      logger: silentLogger(),
      dataDir,
      configUrlTimeoutMs: 500,
      outbound,
      vadFactory: fakeVadFactory,
    });
    const leg = new FakeCallLeg();
    const call = await runner.start(leg, { route: { agentId: agent.id, workspaceId: ws } });
    // Audio sent while the providers connect is dropped, as on a real line: speak once answered.
    for (let i = 0; i < 500 && !answered; i++) await pause(10);
    for (let i = 0; i < 15; i++) {
      leg.pushSpeech(20);
      await pause(20);
    }
    for (let i = 0; i < 200 && seen.length === 0; i++) {
      leg.pushSilence(20);
      await pause(20);
    }
    leg.callerHangup();
    await call.done;
    const context = seen[0]?.find((m, i) => m.role === 'system' && i > 0);
    assert.ok(context, 'a context message reached the model');
    assert.match(context.content, /\[1\] handbook\.md › Parking\nPatients park for free in the garage/);
  } finally {
    await store.close();
    await outbound.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
