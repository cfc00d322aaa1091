import { type ControlSource, conflict } from '@switchboard/core';
import type { CallLeg } from '../call-leg.js';
import type { CallRecorder } from './recorder.js';
import type { EndRequest, Pipeline } from './session-core.js';
import type { SessionEvents } from './session-events.js';
import type { WarmTransferRequest, WarmTransferResult } from './warm-transfer.js';

export interface LiveControlsDeps {
  leg: CallLeg;
  pipeline: Pipeline;
  recorder: CallRecorder | undefined;
  events: SessionEvents;
  /** Milliseconds since the call started. */
  since(): number;
  /** True once the call is ending (a goodbye may be playing): nothing more is said. */
  ending(): boolean;
  end(request: EndRequest): void;
  warmTransfer(request: WarmTransferRequest): Promise<WarmTransferResult>;
  /** Reports a cold transfer the carrier accepted. */
  transferred(target: string, by: ControlSource): void;
}

export interface TransferOptions {
  /** Said to the caller first. */
  message?: string;
  mode?: 'cold' | 'warm';
  /** Warm: what the person hears before the bridge (the agent's model writes one when absent). */
  summary?: string;
  hold?: 'music' | 'silence';
  /** Warm: ring time before the agent takes the caller back. */
  timeoutMs?: number;
}

/** Ring time of a warm transfer asked for over the API without one. */
const WARM_TIMEOUT_MS = 30_000;

export type RecordingState = 'recording' | 'paused';

/**
 * What may be done to a call while it runs, from outside it (the API) or by the agent's own
 * built-in tools: speak a line, add context for the model, pause and resume the recording. Each
 * change is reported on the call's event stream.
 */
export class LiveControls {
  readonly #d: LiveControlsDeps;
  #pausedAtMs: number | undefined;
  #warm: Promise<WarmTransferResult> | undefined;

  constructor(deps: LiveControlsDeps) {
    this.#d = deps;
  }

  /** Speaks `text` now (`interrupt`) or after what the agent is saying. */
  say(text: string, interrupt: boolean): void {
    this.#live();
    this.#d.pipeline.say(text, interrupt);
  }

  /** A system message the model reads on its next turn. */
  inject(text: string): void {
    this.#live();
    this.#d.pipeline.addContext(text);
    this.#d.events.send('context.injected', { message: text, atMs: Math.round(this.#d.since()) });
  }

  /**
   * Hands the caller to `target` (E.164 number or SIP URI), after `message` has played. Cold: the
   * connector hands the caller over and the call ends. Warm: starts the transfer and returns once
   * it is under way (its progress follows as `transfer.status`). A connector that cannot transfer
   * this way, or a carrier that refuses, is a conflict naming the connector; the call goes on.
   */
  async transfer(target: string, o: TransferOptions = {}): Promise<void> {
    this.#live();
    const { leg, pipeline } = this.#d;
    if (o.mode === 'warm') {
      if (!leg.consult) {
        throw conflict(
          `the ${leg.connector} connector cannot make a warm transfer (it has no way to call the ` +
            'person while the caller holds); use mode cold',
        );
      }
      if (this.#warm) throw conflict('a warm transfer is already under way');
    }
    if (o.message) {
      pipeline.stopSpeaking();
      await pipeline.sayFinal(o.message, 15_000);
    }
    if (o.mode === 'warm') {
      const running = this.#d.warmTransfer({
        target,
        ...(o.summary ? { summary: o.summary } : {}),
        hold: o.hold ?? 'music',
        timeoutMs: o.timeoutMs ?? WARM_TIMEOUT_MS,
        by: 'api',
      });
      this.#warm = running;
      void running
        .catch(() => {})
        .finally(() => {
          this.#warm = undefined;
        });
      return;
    }
    try {
      await leg.transfer(target);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw conflict(`the ${leg.connector} connector could not transfer the call: ${why}`);
    }
    this.#d.transferred(target, 'api');
    this.#d.end({ reason: 'transfer', hangup: false });
  }

  get recording(): RecordingState | undefined {
    const r = this.#d.recorder;
    if (!r) return undefined;
    return r.paused ? 'paused' : 'recording';
  }

  /** Records silence from now on; pausing a paused recording changes nothing. */
  pauseRecording(by: ControlSource): RecordingState {
    const r = this.#recorder();
    if (r.paused) return 'paused';
    r.pause();
    this.#pausedAtMs = Math.round(this.#d.since());
    this.#d.events.send('recording.paused', { by, atMs: this.#pausedAtMs, recordingMs: r.positionMs });
    return 'paused';
  }

  resumeRecording(by: ControlSource): RecordingState {
    const r = this.#recorder();
    if (!r.paused) return 'recording';
    r.resume();
    const atMs = Math.round(this.#d.since());
    this.#d.events.send('recording.resumed', {
      by,
      atMs,
      recordingMs: r.positionMs,
      pausedMs: atMs - (this.#pausedAtMs ?? atMs),
    });
    this.#pausedAtMs = undefined;
    return 'recording';
  }

  #recorder(): CallRecorder {
    this.#live();
    const r = this.#d.recorder;
    if (!r) throw conflict('this call is not being recorded');
    return r;
  }

  #live(): void {
    if (this.#d.ending()) throw conflict('the call is ending');
  }
}
