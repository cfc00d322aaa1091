import { type AudioFormat, type AudioFrame, frameDurationMs } from '@switchboard/media';
import type { ProviderBaseOptions } from '../providers/provider-base.js';
import type { ProviderError } from '../providers/provider-error.js';
import { StsBase } from '../providers/sts-base.js';
import type { StsEvent, StsOptions, StsSession } from '../providers/types.js';
import { Channel } from '../util/channel.js';
import { type Clock, sleep } from '../util/clock.js';
import { isSilentFrame, speechFrame } from './fake-audio.js';

/** A spoken reply, or a tool call followed (once its result is sent) by `thenSay`. */
export type FakeStsReply = string | { toolCall: { name: string; args: unknown }; thenSay?: string };

export interface FakeStsOptions extends ProviderBaseOptions {
  name?: string;
  supportedFormats?: AudioFormat[];
  /** What the provider hears the caller say, one per utterance. */
  callerTranscripts?: string[];
  /** The agent's answer to each caller utterance, in order; the last repeats. */
  replies?: FakeStsReply[];
  msPerWord?: number;
  /** Delay before a response starts. */
  latencyMs?: number;
  failConnect?: ProviderError;
}

/** One open speech-to-speech session; tests can inspect it and inject events. */
export class FakeStsSession implements StsSession {
  readonly events = new Channel<StsEvent>();
  readonly options: StsOptions;
  readonly said: string[] = [];
  /** Caller messages sent as text (keypad entries). */
  readonly texts: string[] = [];
  readonly toolResults: { callId: string; output: string }[] = [];
  readonly interrupts: number[] = [];
  receivedMs = 0;
  closed = false;
  readonly #opts: FakeStsOptions;
  readonly #clock: Clock;
  #inSpeech = false;
  #turn = 0;
  #response: AbortController | undefined;
  #pendingThen: string | undefined;

  constructor(options: StsOptions, opts: FakeStsOptions, clock: Clock) {
    this.options = options;
    this.#opts = opts;
    this.#clock = clock;
  }

  push(frame: AudioFrame): void {
    if (this.closed) return;
    this.receivedMs += frameDurationMs(frame);
    const silent = isSilentFrame(frame);
    if (!silent && !this.#inSpeech) {
      this.#inSpeech = true;
      this.events.push({ type: 'speech-start' });
    } else if (silent && this.#inSpeech) {
      this.#inSpeech = false;
      this.events.push({ type: 'speech-end' });
      const i = this.#turn++;
      const heard = this.#opts.callerTranscripts?.[i];
      if (heard) this.events.push({ type: 'transcript', role: 'caller', text: heard, final: true });
      this.#answer(i);
    }
  }

  /** A caller message as text: answered like an utterance (the next reply in order). */
  sendText(text: string): void {
    if (this.closed) return;
    this.texts.push(text);
    this.#answer(this.#turn++);
  }

  #answer(i: number): void {
    const replies = this.#opts.replies ?? ['Okay.'];
    const reply = replies[Math.min(i, replies.length - 1)] ?? 'Okay.';
    if (typeof reply === 'string') {
      void this.respond(reply);
      return;
    }
    this.#pendingThen = reply.thenSay;
    this.events.push({
      type: 'tool-call',
      call: {
        id: `sts_call_${i}`,
        name: reply.toolCall.name,
        arguments: JSON.stringify(reply.toolCall.args),
      },
    });
  }

  /** Streams a spoken response: transcript first, then audio faster than real time. */
  async respond(text: string): Promise<void> {
    this.#response?.abort();
    const ctrl = new AbortController();
    this.#response = ctrl;
    try {
      await sleep(this.#clock, this.#opts.latencyMs ?? 0, ctrl.signal);
    } catch {
      return;
    }
    if (ctrl.signal.aborted || this.closed) return;
    this.events.push({ type: 'response-start' });
    this.events.push({ type: 'transcript', role: 'agent', text, final: true });
    const words = text.split(/\s+/).filter(Boolean).length;
    const frames = Math.max(1, Math.round((words * (this.#opts.msPerWord ?? 300)) / 20));
    for (let i = 0; i < frames && !ctrl.signal.aborted; i++) {
      this.events.push({ type: 'audio', frame: speechFrame(this.options.outputFormat, 20) });
    }
    if (!ctrl.signal.aborted) this.events.push({ type: 'response-done' });
  }

  say(text: string): void {
    this.said.push(text);
    void this.respond(text);
  }

  sendToolResult(callId: string, output: string): void {
    this.toolResults.push({ callId, output });
    const then = this.#pendingThen;
    this.#pendingThen = undefined;
    if (then) void this.respond(then);
  }

  interrupt(heardMs: number): void {
    this.interrupts.push(heardMs);
    this.#response?.abort();
  }

  emit(event: StsEvent): void {
    this.events.push(event);
  }

  fail(error: ProviderError): void {
    this.events.fail(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.#response?.abort();
    this.events.close();
  }
}

/** A scripted speech-to-speech provider on the real base class. */
export class FakeSts extends StsBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[];
  readonly sessions: FakeStsSession[] = [];
  readonly #opts: FakeStsOptions;

  constructor(opts: FakeStsOptions = {}) {
    super({ retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...opts });
    this.name = opts.name ?? 'fake-sts';
    this.supportedFormats = opts.supportedFormats ?? [];
    this.#opts = opts;
  }

  get session(): FakeStsSession | undefined {
    return this.sessions.at(-1);
  }

  protected async openSession(opts: StsOptions): Promise<StsSession> {
    if (this.#opts.failConnect) throw this.#opts.failConnect;
    const s = new FakeStsSession(opts, this.#opts, this.clock);
    this.sessions.push(s);
    return s;
  }
}
