import { conflict } from '@switchboard/core';
import type { AudioFrame } from '@switchboard/media';
import { ProviderError } from '../providers/provider-error.js';
import type { StsEvent, StsSession, ToolCall } from '../providers/types.js';
import { toolResultText } from '../tools/tool-runner.js';
import { BargeIn, type InterruptibleTurn, type Interruption, interruptTurn } from './barge-in.js';
import { runEffect } from './effects.js';
import { IdleMonitor } from './idle-monitor.js';
import { keypadText } from './keypad.js';
import type { Segment } from './output-player.js';
import type { Pipeline, SessionCore } from './session-core.js';

/** One provider response: its text as the provider transcribes it and the segment it plays in. */
class StsResponse implements InterruptibleTurn {
  readonly controller = new AbortController();
  text = '';
  segment: Segment | undefined;
  interruption: Interruption | undefined;
  done = false;
  readonly startedAtMs: number;
  readonly turn: number;

  constructor(startedAtMs: number, turn: number) {
    this.startedAtMs = startedAtMs;
    this.turn = turn;
  }

  fullText(): string {
    return this.text.trim();
  }

  markInterrupted(i: Interruption): void {
    this.interruption = i;
  }
}

/**
 * Speech to speech: caller audio goes to the provider, its audio comes back through the session's
 * player. The provider decides turns; the session still owns barge-in (what was heard, the
 * carrier's clear), tools, idle re-prompts and the transcript.
 */
export class StsPipeline implements Pipeline {
  readonly #core: SessionCore;
  readonly #sts: StsSession;
  readonly #greeting: string | undefined;
  readonly #bargeIn: BargeIn;
  readonly #idle: IdleMonitor;
  #response: StsResponse | undefined;
  /** After a barge-in, audio still in flight from the cut response is dropped. */
  #discarding = false;
  #ending = false;
  /** Resolves a pending `sayFinal`. */
  #wake: (() => void) | undefined;

  constructor(core: SessionCore, sts: StsSession, greeting?: string) {
    this.#core = core;
    this.#sts = sts;
    this.#greeting = greeting;
    // The provider has already decided the caller took the turn; only the protocol runs here.
    const turnTaking = { ...core.config.turnTaking, minInterruptionMs: 0, minInterruptionWords: 0 };
    this.#bargeIn = new BargeIn({
      turnTaking,
      timers: core.timers,
      target: {
        agentSpeaking: () => !!this.#response && !this.#ending,
        pause: () => {},
        resume: () => {},
        interrupt: () => this.#interrupt(),
      },
    });
    this.#idle = new IdleMonitor({
      idle: core.config.idle,
      timers: core.timers,
      onReprompt: (message) => this.#sts.say(message),
      onGiveUp: (message) => {
        void this.sayFinal(message, 15_000).then(() => core.end({ reason: 'silence-timeout', hangup: true }));
      },
    });
  }

  start(): void {
    void this.#listen();
    if (this.#greeting) this.#sts.say(this.#greeting);
    else this.#idle.arm();
  }

  callerAudio(frame: AudioFrame): void {
    this.#sts.push(frame);
  }

  /** The provider's own turn detection is used; the session runs no VAD in this mode. */
  callerSpeech(): void {}

  callerKeys(digits: string): void {
    const text = keypadText(digits);
    const at = Math.round(this.#core.since());
    this.#core.transcript.add({ role: 'caller', text, startMs: at, endMs: at });
    if (!this.#sts.sendText) {
      this.#core.logger.info('this speech-to-speech provider takes no text input; keypad entry not sent');
      return;
    }
    this.#idle.callerTurn();
    if (this.#response && !this.#ending) this.#interrupt();
    this.#sts.sendText(text);
  }

  say(text: string, interrupt: boolean): void {
    if (this.#ending) return;
    if (interrupt && this.#response) this.#interrupt();
    if (!this.#response) {
      this.#sts.say(text);
      return;
    }
    // Queued: spoken once the response in progress has played.
    const signal = this.#core.signal;
    void this.#core.player.waitIdle(signal).then(
      () => {
        if (!signal.aborted && !this.#ending) this.#sts.say(text);
      },
      () => {},
    );
  }

  addContext(text: string): void {
    if (!this.#sts.addContext) {
      throw conflict("this call's speech-to-speech provider cannot take a message mid-call");
    }
    this.#sts.addContext(text);
  }

  stopSpeaking(): void {
    this.#response?.controller.abort(new Error('stopped'));
    this.#core.player.interrupt();
    this.#discarding = true;
  }

  async sayFinal(text: string, capMs: number): Promise<void> {
    if (!text || this.#core.signal.aborted) return;
    this.#ending = true;
    // The last line: no "are you still there?" may cut into it.
    this.#idle.disarm();
    this.#sts.say(text);
    const cancel = this.#core.timers.timeout(() => this.#wake?.(), capMs);
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    cancel();
  }

  async close(): Promise<void> {
    this.#response?.controller.abort(new Error('call ended'));
    this.#bargeIn.reset();
    this.#idle.disarm();
    this.#wake?.();
    await this.#sts.close();
  }

  async #listen(): Promise<void> {
    try {
      for await (const ev of this.#sts.events) this.#onEvent(ev);
    } catch (e) {
      if (!this.#core.signal.aborted) this.#core.providerFailed(ProviderError.from(e));
    }
  }

  #onEvent(ev: StsEvent): void {
    const core = this.#core;
    switch (ev.type) {
      case 'speech-start':
        this.#idle.disarm();
        core.latency.callerResumed();
        this.#bargeIn.callerSpeechStart();
        return;
      case 'speech-end':
        this.#bargeIn.callerSpeechEnd();
        core.latency.callerStopped(core.since());
        return;
      case 'transcript':
        if (ev.role === 'caller') {
          if (!ev.final) core.events.send('transcript.partial', { role: 'caller', text: ev.text });
          else {
            const at = Math.round(core.since());
            core.transcript.add({ role: 'caller', text: ev.text, startMs: at, endMs: at });
            this.#idle.callerTurn();
          }
          return;
        }
        if (this.#discarding) return;
        this.#respond().text = ev.final ? ev.text : this.#respond().text + ev.text;
        if (this.#response?.segment) this.#response.segment.text = this.#response.text;
        return;
      case 'audio':
        this.#audio(ev.frame);
        return;
      case 'response-start':
        this.#discarding = false;
        this.#respond();
        return;
      case 'response-done':
        if (this.#response && !this.#discarding) void this.#complete(this.#response);
        return;
      case 'tool-call':
        void this.#tool(ev.call);
        return;
    }
  }

  #respond(): StsResponse {
    if (this.#response) return this.#response;
    const n = this.#core.latency.beginTurn();
    this.#core.setActiveTurn(n);
    this.#core.player.resetUtterance();
    this.#response = new StsResponse(this.#core.since(), n);
    return this.#response;
  }

  #audio(frame: AudioFrame): void {
    if (this.#discarding) return;
    const r = this.#respond();
    this.#core.latency.mark(r.turn, 'ttsFirstAudioMs', this.#core.since());
    r.segment ??= this.#core.player.begin(r.text);
    this.#core.player.push(r.segment, frame);
  }

  async #complete(r: StsResponse): Promise<void> {
    r.done = true;
    if (r.segment) r.segment.complete = true;
    await this.#core.player.waitIdle(r.controller.signal);
    if (r.interruption || this.#response !== r) return;
    this.#response = undefined;
    this.#bargeIn.reset();
    this.#record(r, r.fullText());
    if (this.#ending) this.#wake?.();
    else this.#idle.arm();
  }

  #interrupt(): void {
    const r = this.#response;
    if (!r) return;
    this.#discarding = true;
    this.#response = undefined;
    interruptTurn(r, {
      dropAudio: () => this.#core.player.interrupt(),
      clearCarrier: () => this.#core.leg.clear(),
      notifyProvider: (ms) => this.#sts.interrupt(ms),
      report: (i) =>
        this.#core.events.send('agent.interrupted', { heardText: i.heardText, droppedText: i.droppedText }),
    });
    this.#record(r, r.interruption?.heardText ?? '');
  }

  #record(r: StsResponse, text: string): void {
    if (!text) return;
    this.#core.transcript.add({
      role: 'agent',
      text,
      startMs: Math.round(r.startedAtMs),
      endMs: Math.round(this.#core.since()),
      ...(r.interruption ? { interrupted: true } : {}),
    });
  }

  async #tool(call: ToolCall): Promise<void> {
    const outcome = await this.#core.tools.run(call, this.#core.signal);
    this.#core.recordTool(outcome);
    if (!outcome.effect) {
      this.#sts.sendToolResult(call.id, toolResultText(outcome));
      return;
    }
    // Let the response in progress (the goodbye) finish before acting.
    await this.#core.player.waitIdle(this.#core.signal);
    const spoke = this.#core.transcript.entries.at(-2)?.role === 'agent';
    await runEffect(outcome.effect, { core: this.#core, sayFinal: (t) => this.sayFinal(t, 15_000), spoke });
  }
}
