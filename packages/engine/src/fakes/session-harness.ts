import {
  type AgentConfigInput,
  type AgentSnapshot,
  agentConfigSchema,
  type CallEvent,
  type CallEventOf,
  type CallEventType,
} from '@switchboard/core';
import { FakeClock, initMedia } from '@switchboard/media';
import { type CallResult, CallSession, type CallSessionOptions } from '../session/call-session.js';
import { FakeAsr, type FakeAsrOptions } from './fake-asr.js';
import { FakeCallLeg, type FakeCallLegOptions } from './fake-call-leg.js';
import { FakeLlm, type FakeLlmOptions } from './fake-llm.js';
import { FakeProviderFactory, type FakeProviders } from './fake-provider-factory.js';
import { FakeSts, type FakeStsOptions } from './fake-sts.js';
import { FakeTts, type FakeTtsOptions } from './fake-tts.js';
import { fakeVadFactory } from './fake-vad.js';

/** Lets promise chains settle (several rounds: streams hop through a few awaits per item). */
export async function flush(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export const snapshotOf = (config: AgentConfigInput, version = 1): AgentSnapshot => ({
  agentId: 'agent-1',
  workspaceId: 'ws-1',
  name: 'Test agent',
  version,
  config: agentConfigSchema.parse(config),
});

export interface HarnessOptions {
  config: AgentConfigInput;
  llm?: FakeLlmOptions;
  tts?: FakeTtsOptions;
  asr?: FakeAsrOptions;
  sts?: FakeStsOptions;
  /** Extra providers by reference, for fallback chains. */
  extra?: (clock: FakeClock) => FakeProviders;
  leg?: FakeCallLegOptions;
  session?: Partial<CallSessionOptions>;
}

/**
 * A CallSession on fake time with scripted providers and a scripted carrier: the caller speaks
 * in real-time steps, time moves only when the test says so.
 */
export class SessionHarness {
  readonly clock = new FakeClock();
  readonly leg: FakeCallLeg;
  readonly events: CallEvent[] = [];
  readonly llm: FakeLlm;
  readonly tts: FakeTts;
  readonly asr: FakeAsr;
  readonly sts: FakeSts;
  readonly factory: FakeProviderFactory;
  readonly session: CallSession;
  result: Promise<CallResult> | undefined;
  ended: CallResult | undefined;

  constructor(o: HarnessOptions) {
    this.leg = new FakeCallLeg(o.leg);
    this.llm = new FakeLlm({ clock: this.clock, ...o.llm });
    this.tts = new FakeTts({ clock: this.clock, ...o.tts });
    this.asr = new FakeAsr({ clock: this.clock, ...o.asr });
    this.sts = new FakeSts({ clock: this.clock, ...o.sts });
    const extra = o.extra?.(this.clock);
    this.factory = new FakeProviderFactory({
      sts: { 'local:sts': this.sts, ...extra?.sts },
      asr: { 'local:asr': this.asr, ...extra?.asr },
      llm: { 'local:llm': this.llm, ...extra?.llm },
      tts: { 'local:tts': this.tts, ...extra?.tts },
    });
    const config: AgentConfigInput = {
      providers: { asr: ['local:asr'], llm: ['local:llm'], tts: ['local:tts'], sts: ['local:sts'] },
      ...o.config,
    };
    this.session = new CallSession({
      leg: this.leg,
      snapshot: snapshotOf(config),
      providers: this.factory,
      emit: (e) => this.events.push(e),
      clock: this.clock,
      vadFactory: fakeVadFactory,
      ...o.session,
    });
  }

  /** Starts the call and waits (in real time, fake time standing still) until it is answered. */
  async start(): Promise<void> {
    await initMedia();
    this.result = this.session.start();
    void this.result.then((r) => {
      this.ended = r;
    });
    for (let i = 0; i < 1000 && !this.ended && !this.events.some((e) => e.type === 'call.answered'); i++) {
      await new Promise((r) => setTimeout(r, 1));
    }
    await flush();
  }

  /** Moves fake time in small steps, letting async work settle at each. */
  async advance(ms: number, stepMs = 5): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - t));
      await flush();
    }
  }

  /** The caller speaks for `ms` (audible frames, delivered in real time). */
  async speak(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) {
      this.leg.pushSpeech(20);
      await this.advance(20);
    }
  }

  /** The caller is silent for `ms`. */
  async silence(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) {
      this.leg.pushSilence(20);
      await this.advance(20);
    }
  }

  of<T extends CallEventType>(type: T): CallEventOf<T>[] {
    return this.events.filter((e): e is CallEventOf<T> => e.type === type);
  }

  /** Advances until `cond` holds (or `maxMs` passes); returns whether it held. */
  async until(cond: () => boolean, maxMs = 10_000, stepMs = 5): Promise<boolean> {
    for (let t = 0; t < maxMs && !cond(); t += stepMs) await this.advance(stepMs, stepMs);
    return cond();
  }

  /** Hangs up from the caller side and waits for the session to finish. */
  async hangup(): Promise<CallResult> {
    this.leg.callerHangup();
    return this.finish();
  }

  async finish(): Promise<CallResult> {
    for (let i = 0; i < 50 && !this.ended; i++) await this.advance(20);
    // Teardown may wait on real I/O (the recording's file stream), which a loaded machine delays
    // past any number of fake-clock turns: keep turning while real time passes, up to 20 s.
    const deadline = Date.now() + 20_000;
    while (!this.ended && Date.now() < deadline) {
      await this.advance(20);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!this.ended) throw new Error('session did not end');
    return this.ended;
  }
}
