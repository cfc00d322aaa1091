import { type AudioFrame, decodeFrame, MachineDetector, type MachineEvent } from '@switchboard/media';
import type { CallLeg, MachineVerdict } from '../call-leg.js';
import type { TimerScope } from '../util/clock.js';

/** How long a machine's greeting may go on before the voicemail message is left anyway. */
const BEEP_WAIT_MS = 30_000;
/** How long a carrier's verdict is awaited before the call is treated as a person's. */
const CARRIER_VERDICT_WAIT_MS = 10_000;

export interface VoicemailWatchDeps {
  leg: CallLeg;
  timers: TimerScope;
  /** Left after the beep; without it a machine is hung up on. */
  message?: string;
  note(text: string): void;
  /** A person answered: the agent greets them. */
  human(): void;
  /** Ends the call as voicemail, after saying `message` when there is one. */
  leave(message: string | undefined): Promise<void>;
}

/**
 * Voicemail detection on an outbound call before the agent speaks: the carrier's own verdict
 * where it has one (`leg.machineVerdict`), the platform's detector on the audio otherwise. A
 * machine is hung up on, or gets the message once its greeting is over (its beep, heard by the
 * platform's detector whichever said it was a machine). Returns the watch to feed caller audio.
 */
export function watchForMachine(d: VoicemailWatchDeps): MachineWatch {
  let cancelBeepWait = () => {};
  const leave = () => {
    cancelBeepWait();
    void d.leave(d.message);
  };
  const onMachine = () => {
    d.note('answering machine detected');
    if (!d.message) {
      leave();
      return;
    }
    // A greeting with neither a beep nor a pause the detector can hear still gets the message.
    cancelBeepWait = d.timers.timeout(leave, BEEP_WAIT_MS);
  };
  const carrier = d.leg.machineVerdict;
  const watch = new MachineWatch({
    sampleRate: d.leg.inputFormat.sampleRate,
    listening: carrier === undefined,
    onHuman: d.human,
    onMachine,
    onRecordingStarts: () => {
      d.note('voicemail greeting ended; leaving the message');
      leave();
    },
  });
  if (carrier) {
    let settled = false;
    const decide = (v: MachineVerdict) => {
      if (settled) return;
      settled = true;
      cancelWait();
      if (v === 'machine-end') {
        d.note('answering machine detected by the carrier, greeting over');
        leave();
      } else if (v === 'machine') {
        watch.machineKnown();
        d.note('answering machine detected by the carrier');
        if (!d.message) leave();
        else cancelBeepWait = d.timers.timeout(leave, BEEP_WAIT_MS);
      } else {
        watch.stop();
        d.human();
      }
    };
    const cancelWait = d.timers.timeout(() => decide('unknown'), CARRIER_VERDICT_WAIT_MS);
    carrier.then(decide, () => decide('unknown'));
  }
  return watch;
}

export interface MachineWatchOptions {
  sampleRate: number;
  /** False while a carrier's verdict is awaited: audio is ignored until `machineKnown`. */
  listening?: boolean;
  /** A person answered (or nobody spoke): the agent takes the call. */
  onHuman(): void;
  /** A machine answered. */
  onMachine(): void;
  /** The machine's greeting is over (its beep, or a long pause): a message can be left now. */
  onRecordingStarts(): void;
}

/**
 * The platform's own answering-machine detection on an outbound call, for connectors whose
 * carrier has none (built-in SIP, Asterisk): the called party's first seconds of audio go through
 * the media detector before the agent speaks. Decoding reuses one buffer, so a frame costs no
 * allocation.
 */
export class MachineWatch {
  readonly #o: MachineWatchOptions;
  #detector: MachineDetector;
  #listening: boolean;
  #buffer = new Int16Array(0);
  #machine = false;
  #done = false;

  constructor(o: MachineWatchOptions) {
    this.#o = o;
    this.#detector = new MachineDetector({ sampleRate: o.sampleRate });
    this.#listening = o.listening ?? true;
  }

  get done(): boolean {
    return this.#done;
  }

  /** The carrier said a machine answered: from now on only the end of its greeting is awaited. */
  machineKnown(): void {
    this.#detector = new MachineDetector({ sampleRate: this.#o.sampleRate, knownMachine: true });
    this.#machine = true;
    this.#listening = true;
  }

  stop(): void {
    this.#done = true;
  }

  push(frame: AudioFrame): void {
    if (this.#done || !this.#listening) return;
    const event = this.#detector.push(this.#samples(frame));
    if (event) this.#on(event);
  }

  #on(event: MachineEvent): void {
    if (event === 'human') {
      this.#done = true;
      this.#o.onHuman();
      return;
    }
    if (!this.#machine) {
      this.#machine = true;
      this.#o.onMachine();
    }
    if (event === 'beep' || event === 'greeting-end') {
      this.#done = true;
      this.#o.onRecordingStarts();
    }
  }

  #samples(frame: AudioFrame): Int16Array {
    const data = frame.data;
    const n = frame.format.encoding === 'pcm16' ? data.length >> 1 : data.length;
    if (this.#buffer.length !== n) this.#buffer = new Int16Array(n);
    if (frame.format.encoding !== 'pcm16') return decodeFrame(frame, this.#buffer);
    const out = this.#buffer;
    for (let i = 0; i < n; i++) {
      const v = (data[2 * i] as number) | ((data[2 * i + 1] as number) << 8);
      out[i] = v >= 0x8000 ? v - 0x10000 : v;
    }
    return out;
  }
}
