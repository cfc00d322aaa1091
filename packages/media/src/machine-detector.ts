/**
 * Answering-machine detection on the called party's first seconds of audio. A person answers with
 * a short word ("hello?") and waits; a machine plays a greeting — seconds of speech with only short
 * breaths in it — and then a beep. The detector follows speech and pauses by frame energy, and
 * looks for the beep with Goertzel filters on the tones machines use (about 1 kHz, at least 200
 * ms). It keeps a few numbers per frame and allocates nothing after construction.
 */

export type MachineEvent =
  /** A short answer followed by a pause, or nothing said at all: a person (or unknown). */
  | 'human'
  /** Speech went on past `machineSpeechMs` before a pause: a greeting. */
  | 'machine'
  /** The greeting's beep: the message can start now. */
  | 'beep'
  /** A machine's greeting ended in a long pause and no beep came: the message can start too. */
  | 'greeting-end';

export interface MachineDetectorOptions {
  sampleRate: number;
  /** Speech longer than this before a pause is a greeting; default 3500. */
  machineSpeechMs?: number;
  /** A pause this long ends an utterance; default 800. */
  pauseMs?: number;
  /** No speech at all for this long: a person who waits silently; default 5000. */
  initialSilenceMs?: number;
  /** After a greeting, this much silence without a beep counts as its end; default 2500. */
  greetingEndSilenceMs?: number;
  /** A tone this long is a beep; default 200. */
  minBeepMs?: number;
  /** Frame RMS (full scale 1) above which a frame is voiced; default 0.01 (about -40 dBFS). */
  speechLevel?: number;
  /** The carrier already said a machine answered: only its beep (or greeting's end) is awaited. */
  knownMachine?: boolean;
}

/**
 * Frequencies answering machines beep at: 1 kHz and its neighbours. 25 Hz apart, a tone between two
 * of them still keeps over 80% of its power in the nearer one over a 20 ms frame.
 */
const BEEP_FREQUENCIES = Array.from({ length: 25 }, (_, i) => 800 + 25 * i);
/** Share of a frame's energy one tone must hold to count as a beep (pure tone: 1). */
const TONE_PURITY = 0.7;

export class MachineDetector {
  readonly #o: Required<MachineDetectorOptions>;
  readonly #coeffs: Float64Array;
  #verdict: 'human' | 'machine' | undefined;
  #done = false;
  #heardMs = 0;
  /** Length of the current utterance, short pauses within it included. */
  #speechMs = 0;
  #pauseMs = 0;
  #spoke = false;
  #toneIndex = -1;
  #toneMs = 0;

  constructor(options: MachineDetectorOptions) {
    this.#o = {
      machineSpeechMs: 3500,
      pauseMs: 800,
      initialSilenceMs: 5000,
      greetingEndSilenceMs: 2500,
      minBeepMs: 200,
      speechLevel: 0.01,
      knownMachine: false,
      ...options,
    };
    if (this.#o.knownMachine) this.#verdict = 'machine';
    this.#coeffs = new Float64Array(BEEP_FREQUENCIES.length);
    for (let i = 0; i < BEEP_FREQUENCIES.length; i++) {
      this.#coeffs[i] = 2 * Math.cos((2 * Math.PI * (BEEP_FREQUENCIES[i] as number)) / options.sampleRate);
    }
  }

  /** `human` or `machine` once decided. */
  get verdict(): 'human' | 'machine' | undefined {
    return this.#verdict;
  }

  /** Milliseconds of audio seen so far. */
  get heardMs(): number {
    return this.#heardMs;
  }

  /**
   * Takes one frame of PCM (any length, usually 20 ms) and answers what it concluded on it: the
   * verdict the first time there is one; for a machine, later `beep` or `greeting-end`, once.
   */
  push(samples: Int16Array): MachineEvent | undefined {
    if (this.#done || samples.length === 0) return undefined;
    const ms = (samples.length * 1000) / this.#o.sampleRate;
    this.#heardMs += ms;
    let energy = 0;
    for (let i = 0; i < samples.length; i++) {
      const s = (samples[i] as number) / 32768;
      energy += s * s;
    }
    const rms = Math.sqrt(energy / samples.length);
    const voiced = rms >= this.#o.speechLevel;
    if (voiced && this.#beep(samples, energy, ms)) {
      this.#done = true;
      this.#verdict = 'machine';
      return 'beep';
    }
    if (voiced) {
      this.#speechMs += this.#pauseMs + ms;
      this.#pauseMs = 0;
      this.#spoke = true;
    } else if (this.#spoke) {
      this.#pauseMs += ms;
    }
    if (this.#verdict === undefined) {
      if (this.#speechMs > this.#o.machineSpeechMs) return this.#decide('machine');
      if (this.#spoke && this.#pauseMs >= this.#o.pauseMs) return this.#decide('human');
      if (!this.#spoke && this.#heardMs >= this.#o.initialSilenceMs) return this.#decide('human');
      return undefined;
    }
    if (this.#pauseMs >= this.#o.greetingEndSilenceMs) {
      this.#done = true;
      return 'greeting-end';
    }
    return undefined;
  }

  #decide(verdict: 'human' | 'machine'): MachineEvent {
    this.#verdict = verdict;
    // A person's call is the agent's from here; a machine's goes on until its beep.
    if (verdict === 'human') this.#done = true;
    else this.#pauseMs = 0;
    return verdict;
  }

  /** True once one beep frequency has held most of the energy for `minBeepMs`. */
  #beep(samples: Int16Array, energy: number, ms: number): boolean {
    const n = samples.length;
    let best = -1;
    let bestPower = 0;
    for (let k = 0; k < this.#coeffs.length; k++) {
      const coeff = this.#coeffs[k] as number;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = (samples[i] as number) / 32768 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
      if (power > bestPower) {
        bestPower = power;
        best = k;
      }
    }
    // A pure tone puts (n/2)·energy into its bin. A 20 ms frame resolves 50 Hz, so the strongest
    // filter may move by two neighbours between frames of one steady tone.
    const purity = (2 * bestPower) / (n * energy);
    if (purity >= TONE_PURITY && (this.#toneIndex < 0 || Math.abs(best - this.#toneIndex) <= 2)) {
      this.#toneMs += ms;
      this.#toneIndex = best;
    } else {
      this.#toneMs = purity >= TONE_PURITY ? ms : 0;
      this.#toneIndex = purity >= TONE_PURITY ? best : -1;
    }
    return this.#toneMs >= this.#o.minBeepMs;
  }
}
