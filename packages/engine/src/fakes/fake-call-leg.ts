import { EventEmitter } from 'node:events';
import type { CallDirection, EndedReason } from '@switchboard/core';
import { type AudioFormat, type AudioFrame, frameDurationMs, PCM16_8K } from '@switchboard/media';
import type { CallLeg, ConsultLeg, ConsultOptions, MachineVerdict } from '../call-leg.js';
import { Channel } from '../util/channel.js';
import { silentFrame, speechFrame } from './fake-audio.js';

export interface FakeCallLegOptions {
  id?: string;
  direction?: CallDirection;
  from?: string;
  to?: string;
  connector?: string;
  inputFormat?: AudioFormat;
  outputFormat?: AudioFormat;
  /** Makes `transfer` reject (a carrier that refuses the REFER). */
  failTransfer?: Error;
  /**
   * Gives the leg warm transfers: `answer` connects the person at once; an error (a
   * `ConsultFailed`) is how their call fails. Absent: the connector cannot make warm transfers.
   */
  consult?: 'answer' | Error;
  /** The carrier's answering-machine verdict (absent: the carrier has no detection). */
  machineVerdict?: Promise<MachineVerdict>;
}

/** The person a fake warm transfer called: what they heard, and whether they were bridged. */
export class FakeConsultLeg implements ConsultLeg {
  readonly outputFormat: AudioFormat;
  heardMs = 0;
  bridged = false;
  hungUp = false;
  readonly ended: Promise<EndedReason>;
  #end!: (r: EndedReason) => void;

  constructor(format: AudioFormat) {
    this.outputFormat = format;
    this.ended = new Promise((r) => {
      this.#end = r;
    });
  }

  play(frame: AudioFrame): void {
    this.heardMs += frameDurationMs(frame);
  }

  async bridge(): Promise<void> {
    if (this.hungUp) throw new Error('the person hung up');
    this.bridged = true;
  }

  async hangup(): Promise<void> {
    this.hungUp = true;
    this.#end('agent-ended');
  }

  /** The person hangs up. */
  personHangup(): void {
    this.hungUp = true;
    this.#end('callee-hangup');
  }
}

export type FakeLegAction =
  | { type: 'play'; ms: number }
  | { type: 'clear' }
  | { type: 'dtmf'; digits: string }
  | { type: 'transfer'; target: string }
  | { type: 'consult'; target: string }
  | { type: 'hangup'; reason: EndedReason | undefined };

/**
 * A scripted carrier for tests: push caller audio, digits and hangups in; read back what the agent
 * played and did. Used by this package's tests and by any package that drives a CallSession.
 */
export class FakeCallLeg extends EventEmitter implements CallLeg {
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly connector: string;
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  readonly played: AudioFrame[] = [];
  /** Everything the agent side did, in order; `play` entries merge consecutive frames. */
  readonly actions: FakeLegAction[] = [];
  clears = 0;
  playedMs = 0;
  readonly dtmfSent: string[] = [];
  readonly transfers: string[] = [];
  hungUp: { reason: EndedReason | undefined } | undefined;
  /** Keep every played frame (off for load tests: only the counters are kept). */
  keepFrames = true;
  readonly #audio = new Channel<AudioFrame>();
  readonly #failTransfer: Error | undefined;
  readonly #consult: 'answer' | Error | undefined;
  /** The people warm transfers called, in order. */
  readonly consulted: FakeConsultLeg[] = [];
  readonly consult?: (target: string, o: ConsultOptions) => Promise<ConsultLeg>;
  readonly machineVerdict?: Promise<MachineVerdict>;

  constructor(opts: FakeCallLegOptions = {}) {
    super();
    this.id = opts.id ?? 'fake-leg';
    this.direction = opts.direction ?? 'inbound';
    this.from = opts.from ?? '+15550100';
    this.to = opts.to ?? '+15550199';
    this.connector = opts.connector ?? 'fake';
    this.inputFormat = opts.inputFormat ?? PCM16_8K;
    this.outputFormat = opts.outputFormat ?? PCM16_8K;
    this.#failTransfer = opts.failTransfer;
    this.#consult = opts.consult;
    if (opts.machineVerdict) this.machineVerdict = opts.machineVerdict;
    if (opts.consult) {
      this.consult = async (target: string) => {
        this.actions.push({ type: 'consult', target });
        const how = this.#consult;
        if (how instanceof Error) throw how;
        const person = new FakeConsultLeg(this.outputFormat);
        this.consulted.push(person);
        return person;
      };
    }
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.#audio;
  }

  // ---- caller side (the test drives these) ----

  pushAudio(frame: AudioFrame): void {
    this.#audio.push(frame);
  }

  /** One frame of caller speech (`ms` long) in the leg's input format. */
  pushSpeech(ms = 20): void {
    this.#audio.push(speechFrame(this.inputFormat, ms));
  }

  pushSilence(ms = 20): void {
    this.#audio.push(silentFrame(this.inputFormat, ms));
  }

  pressDigit(digit: string): void {
    this.emit('dtmf', digit);
  }

  /** The caller hangs up. */
  callerHangup(reason: EndedReason = 'caller-hangup'): void {
    this.#audio.close();
    this.emit('hangup', reason);
  }

  // ---- agent side (the session calls these) ----

  play(frame: AudioFrame): void {
    const ms = frameDurationMs(frame);
    this.playedMs += ms;
    if (this.keepFrames) this.played.push(frame);
    const last = this.actions.at(-1);
    if (last?.type === 'play') last.ms += ms;
    else this.actions.push({ type: 'play', ms });
  }

  clear(): void {
    this.clears++;
    this.actions.push({ type: 'clear' });
  }

  async sendDtmf(digits: string): Promise<void> {
    this.dtmfSent.push(digits);
    this.actions.push({ type: 'dtmf', digits });
  }

  async transfer(target: string): Promise<void> {
    if (this.#failTransfer) throw this.#failTransfer;
    this.transfers.push(target);
    this.actions.push({ type: 'transfer', target });
  }

  async hangup(reason?: EndedReason): Promise<void> {
    if (this.hungUp) return;
    this.hungUp = { reason };
    this.actions.push({ type: 'hangup', reason });
    this.#audio.close();
  }

  /** Listeners the session still holds (0 after a clean teardown). */
  get activeListeners(): number {
    return this.listenerCount('dtmf') + this.listenerCount('hangup');
  }
}
