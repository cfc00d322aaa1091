import { type AudioFrame, decodeFrame, MachineDetector, type MachineEvent } from '@switchboard/media';

export interface MachineWatchOptions {
  sampleRate: number;
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
  readonly #detector: MachineDetector;
  #buffer = new Int16Array(0);
  #machine = false;
  #done = false;

  constructor(o: MachineWatchOptions) {
    this.#o = o;
    this.#detector = new MachineDetector({ sampleRate: o.sampleRate });
  }

  get done(): boolean {
    return this.#done;
  }

  push(frame: AudioFrame): void {
    if (this.#done) return;
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
