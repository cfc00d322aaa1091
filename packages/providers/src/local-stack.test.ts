import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfigSchema, type CallEvent, OutboundGuard, silentLogger } from '@switchboard/core';
import { CallSession, FakeCallLeg } from '@switchboard/engine';
import { type AudioFrame, EnergyVad, initMedia, MULAW_8K, silence } from '@switchboard/media';
import { createProviderFactory } from './factory.js';
import { EspeakTts } from './local-espeak/espeak-tts.js';
import { needBinary } from './util/test-binaries.js';

/** These tests build local providers and stand-ins only; no connection is checked against a network. */
const outbound = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] });

async function speak(text: string): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  const tts = new EspeakTts();
  for await (const f of tts.synthesize({ text, format: MULAW_8K, signal: new AbortController().signal })) {
    frames.push(f);
  }
  return frames;
}

/** Caller audio in real time: queued utterances, silence in between, until stopped. */
class RealTimeCaller {
  readonly #queue: AudioFrame[] = [];
  #stopped = false;
  readonly done: Promise<void>;

  constructor(readonly leg: FakeCallLeg) {
    this.done = this.#run();
  }

  say(frames: AudioFrame[]): void {
    this.#queue.push(...frames);
  }

  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<void> {
    const pad = silence(MULAW_8K, 20);
    let next = performance.now();
    while (!this.#stopped && !this.leg.hungUp) {
      this.leg.pushAudio(this.#queue.shift() ?? pad);
      next += 20;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The demo receptionist's recognition set-up (packages/server/src/bootstrap.ts). */
const DEMO_PHRASES = [
  'what are your opening hours',
  'where are you located',
  'i would like to book a table',
  'can i speak to a manager',
  'goodbye',
];

describe('local stack in a call', () => {
  for (const asr of ['local:soundswallower', 'local:pocketsphinx']) {
    it(`answers a spoken FAQ question and hangs up on goodbye, offline (${asr})`, async (t) => {
      if (
        asr === 'local:pocketsphinx' &&
        !needBinary(t, 'pocketsphinx_continuous', 'pocketsphinx pocketsphinx-en-us')
      )
        return;
      await spokenCall(asr);
    });
  }
});

/** A real-time call: the caller asks the demo's first question, hears the answer, says goodbye. */
async function spokenCall(asr: string): Promise<void> {
  await initMedia();
  const config = agentConfigSchema.parse({
    providers: { asr: [asr], llm: ['local:answerer'], tts: ['local:espeak'] },
    expectedPhrases: DEMO_PHRASES,
    tools: [{ type: 'end_call' }],
    knowledge: {
      faq: [
        { question: 'What are your opening hours?', answer: 'We are open from nine to five.' },
        { question: 'Where are you located?', answer: 'At twelve Harbour Street.' },
      ],
    },
  });
  const leg = new FakeCallLeg({ inputFormat: MULAW_8K, outputFormat: MULAW_8K });
  const events: CallEvent[] = [];
  const session = new CallSession({
    leg,
    snapshot: { agentId: 'agent-1', workspaceId: 'ws-1', name: 'Demo', version: 1, config },
    providers: createProviderFactory({
      outbound,
      resolveProvider: async () => null,
      getAgentConfig: async () => config,
      logger: silentLogger(),
    }),
    emit: (e) => events.push(e),
    vadFactory: (sampleRate) => new EnergyVad({ sampleRate }),
  });
  const result = session.start();
  const caller = new RealTimeCaller(leg);
  try {
    const [question, goodbye] = await Promise.all([speak('What are your opening hours?'), speak('Goodbye.')]);
    const said = (role: string) =>
      events.flatMap((e) => (e.type === 'transcript.final' && e.data.role === role ? [e.data.text] : []));
    await until('the call to be answered', () => events.some((e) => e.type === 'call.answered'), 10_000);
    caller.say(question);
    await until('the agent to answer', () => said('agent').length > 0, 20_000);
    assert.deepEqual(said('caller'), ['what are your opening hours']);
    assert.deepEqual(said('agent'), ['We are open from nine to five.']);
    assert.ok(leg.playedMs > 1000, `agent played ${leg.playedMs} ms`);
    await until('the answer to finish playing', () => leg.actions.at(-1)?.type === 'play', 5000);
    await new Promise((r) => setTimeout(r, 2500));
    caller.say(goodbye);
    const ended = await result;
    assert.equal(ended.endedReason, 'agent-ended');
    assert.deepEqual(leg.hungUp, { reason: 'agent-ended' });
    assert.ok(events.some((e) => e.type === 'tool.called' && e.data.name === 'end_call'));
  } finally {
    caller.stop();
    await caller.done;
    leg.callerHangup();
    await result;
  }
}
