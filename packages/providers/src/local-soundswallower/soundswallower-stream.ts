import type { Logger } from '@switchboard/core';
import { type AsrEvent, type AsrStream, ProviderError } from '@switchboard/engine';
import { type AudioFrame, EnergyVad, pcm16ToSamples } from '@switchboard/media';
import { AsyncQueue } from '../util/async-queue.js';
import { WhiteNoise } from '../util/white-noise.js';
import type { CompiledGrammar, DecoderPool, DecoderSlot } from './decoder-pool.js';
import { MODEL_SAMPLE_RATE, type SoundSwallowerRuntime } from './runtime.js';

export interface SoundSwallowerStreamOptions {
  provider: string;
  runtime: SoundSwallowerRuntime;
  pool: DecoderPool;
  grammar: CompiledGrammar;
  logger: Logger | undefined;
  /** The call's signal: aborting it drops the utterance in progress and ends the events. */
  signal: AbortSignal;
  /** Audio handed to the decoder at once while the caller speaks. Default 60 ms. */
  batchMs?: number;
  /** Audio kept from before the detector's speech start (it fires ~150 ms late). Default 400 ms. */
  preRollMs?: number;
  /** Silence that ends an utterance. Default 500 ms (pauses between words are shorter). */
  endSilenceMs?: number;
  /** An utterance is cut (and decoded) at this length. Default 20 s. */
  maxUtteranceMs?: number;
  /** Peak of the noise floor added to the decoder's input, as a fraction of full scale. */
  noiseAmplitude?: number;
  /** Grammar-vs-phone-loop score per frame at which confidence is 0.5, and the spread around it. */
  confidenceMidpoint?: number;
  confidenceSpread?: number;
}

const SAMPLES_PER_MS = MODEL_SAMPLE_RATE / 1000;
/** The decoder's frame shift (10 ms). */
const SAMPLES_PER_FRAME = 80;

/** One caller utterance: its audio (float, noise added) and how much the decoder has taken. */
class Utterance {
  buf: Float32Array;
  length = 0;
  fed = 0;
  ended = false;

  constructor(capacity: number) {
    this.buf = new Float32Array(capacity);
  }

  append(src: Float32Array, from: number, to: number): void {
    const n = to - from;
    if (this.length + n > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.length + n));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(src.subarray(from, to), this.length);
    this.length += n;
  }
}

/**
 * One call's recognition on the shared soundswallower decoders. The per-frame work is an energy
 * detector and a copy into a float buffer; decoding runs in batches of `batchMs` on a later turn
 * of the event loop, and only while the caller speaks. Each utterance takes a decoder slot from
 * the pool at its start and gives it back with its final, which carries a confidence from the
 * grammar-vs-phone-loop score: low when the caller said something outside the expected phrases.
 */
export class SoundSwallowerStream implements AsrStream {
  readonly #queue = new AsyncQueue<AsrEvent>();
  readonly events: AsyncIterable<AsrEvent> = this.#queue;
  readonly #o: SoundSwallowerStreamOptions;
  readonly #vad: EnergyVad;
  /** Conversion scratch for one frame, grown only when a frame is longer than any before. */
  #scratch = new Float32Array(320);
  /** The last `preRollMs` of audio, a ring. */
  readonly #preRoll: Float32Array;
  #preRollAt = 0;
  #preRollFilled = 0;
  readonly #batch: number;
  readonly #maxUtterance: number;
  readonly #utterances: Utterance[] = [];
  #current: Utterance | undefined;
  #slot: DecoderSlot | undefined;
  #pumping: Promise<void> | undefined;
  #pumpScheduled: NodeJS.Immediate | undefined;
  #lastPartial = '';
  readonly #noise: WhiteNoise;
  #closing = false;
  #closed: Promise<void> | undefined;
  readonly #utteranceAbort = new AbortController();

  constructor(opts: SoundSwallowerStreamOptions) {
    this.#o = opts;
    this.#noise = new WhiteNoise(opts.noiseAmplitude ?? 0.003);
    this.#vad = new EnergyVad({ sampleRate: MODEL_SAMPLE_RATE, minSilenceMs: opts.endSilenceMs ?? 500 });
    this.#preRoll = new Float32Array((opts.preRollMs ?? 400) * SAMPLES_PER_MS);
    this.#batch = (opts.batchMs ?? 60) * SAMPLES_PER_MS;
    this.#maxUtterance = (opts.maxUtteranceMs ?? 20_000) * SAMPLES_PER_MS;
    if (opts.signal.aborted) this.#abort();
    else opts.signal.addEventListener('abort', this.#abort, { once: true });
  }

  /** Utterances waiting for or in the decoder, for tests and the bench. */
  get pending(): number {
    return this.#utterances.length;
  }

  push(frame: AudioFrame): void {
    if (this.#closing || frame.format.encoding !== 'pcm16') return;
    const samples = pcm16ToSamples(frame.data);
    const n = samples.length;
    if (this.#scratch.length < n) this.#scratch = new Float32Array(n);
    const f = this.#scratch;
    // Digital silence between words gives the front end log(0) energies; with a faint noise floor
    // every demo phrase is recognised, without it about half.
    this.#noise.addToFloat(samples, f);

    const ev = this.#vad.processSync(frame).event;
    if (ev === 'speech-start') {
      this.#queue.push({ type: 'speech-start' });
      this.#beginUtterance();
    }
    const utt = this.#current;
    if (utt) {
      utt.append(f, 0, n);
      if (utt.length >= this.#maxUtterance) this.#endUtterance(true);
      else if (utt.length - utt.fed >= this.#batch) this.#schedule();
    } else {
      this.#remember(f, n);
    }
    if (ev === 'speech-end') {
      this.#queue.push({ type: 'speech-end' });
      this.#endUtterance(false);
    }
  }

  /** Ends the audio; the utterance in progress is decoded and reported before the events end. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown(false);
    return this.#closed;
  }

  readonly #abort = (): void => {
    this.#closed ??= this.#shutdown(true);
  };

  async #shutdown(drop: boolean): Promise<void> {
    this.#closing = true;
    this.#o.signal.removeEventListener('abort', this.#abort);
    this.#vad.close();
    if (drop) {
      this.#utterances.length = 0;
      this.#current = undefined;
      this.#utteranceAbort.abort(new Error('call ended'));
    } else if (this.#current) {
      this.#endUtterance(false);
    }
    clearImmediate(this.#pumpScheduled);
    this.#pumpScheduled = undefined;
    // A run already under way may have stopped before the last utterance ended.
    while (this.#utterances.length > 0 && !this.#queue.closed) await this.#run();
    if (this.#slot) {
      this.#o.pool.release(this.#slot);
      this.#slot = undefined;
    }
    this.#queue.close();
  }

  #remember(f: Float32Array, n: number): void {
    const ring = this.#preRoll;
    if (ring.length === 0) return;
    for (let i = 0; i < n; i++) {
      ring[this.#preRollAt] = f[i] as number;
      this.#preRollAt = (this.#preRollAt + 1) % ring.length;
    }
    this.#preRollFilled = Math.min(ring.length, this.#preRollFilled + n);
  }

  #beginUtterance(): void {
    if (this.#current) return;
    const utt = new Utterance(this.#preRoll.length + 4 * this.#batch);
    // The pre-roll in time order: the oldest sample sits at the write position once full.
    const ring = this.#preRoll;
    const start = this.#preRollFilled < ring.length ? 0 : this.#preRollAt;
    if (this.#preRollFilled < ring.length) utt.append(ring, 0, this.#preRollFilled);
    else {
      utt.append(ring, start, ring.length);
      utt.append(ring, 0, start);
    }
    this.#preRollAt = 0;
    this.#preRollFilled = 0;
    this.#current = utt;
    this.#utterances.push(utt);
    this.#schedule();
  }

  #endUtterance(continues: boolean): void {
    const utt = this.#current;
    if (!utt) return;
    utt.ended = true;
    this.#current = undefined;
    if (continues) this.#beginUtterance();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pumpScheduled || this.#pumping) return;
    this.#pumpScheduled = setImmediate(() => {
      this.#pumpScheduled = undefined;
      void this.#run();
    });
  }

  /** Runs the decoder until it has caught up with the audio; one run at a time. */
  #run(): Promise<void> {
    this.#pumping ??= this.#pump()
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#pumping = undefined;
        // Audio that arrived while the last batch decoded.
        const head = this.#utterances[0];
        if (!this.#closing && head && (head.ended || head.length - head.fed >= this.#batch)) this.#schedule();
      });
    return this.#pumping;
  }

  async #pump(): Promise<void> {
    for (;;) {
      const utt = this.#utterances[0];
      if (!utt) return;
      if (!this.#slot) {
        this.#slot = await this.#o.pool.acquire(this.#o.grammar, this.#utteranceAbort.signal);
        if (this.#utterances[0] !== utt) continue;
      }
      const slot = this.#slot;
      if (!slot.inUtterance) {
        slot.start();
        this.#lastPartial = '';
      }
      if (utt.length > utt.fed) {
        // One batch per turn of the event loop: decoding runs on the main thread, and a long
        // block would delay the RTP packets behind it past their playout time.
        const to = Math.min(utt.length, utt.fed + this.#batch);
        slot.process(utt.buf.subarray(utt.fed, to));
        utt.fed = to;
        if (!utt.ended) this.#partial(slot);
        if (utt.fed < utt.length) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
      }
      if (!utt.ended) return;
      slot.stop();
      this.#final(slot, utt.length);
      this.#utterances.shift();
      // Another call may be waiting for a slot; the next utterance takes one again.
      this.#o.pool.release(slot);
      this.#slot = undefined;
    }
  }

  #partial(slot: DecoderSlot): void {
    const text = slot.grammar.get_text();
    if (text && text !== this.#lastPartial) {
      this.#lastPartial = text;
      this.#queue.push({ type: 'partial', text });
    }
  }

  #final(slot: DecoderSlot, samples: number): void {
    const text = slot.grammar.get_text().trim();
    if (!text) return;
    const { runtime } = this.#o;
    const perFrame = (runtime.score(slot.grammar) - runtime.score(slot.loop)) / (samples / SAMPLES_PER_FRAME);
    const mid = this.#o.confidenceMidpoint ?? -2;
    const spread = this.#o.confidenceSpread ?? 1.5;
    const confidence = Math.round(1000 / (1 + Math.exp(-(perFrame - mid) / spread))) / 1000;
    this.#queue.push({ type: 'final', text, confidence });
  }

  #fail(err: unknown): void {
    this.#closing = true;
    this.#utterances.length = 0;
    this.#current = undefined;
    if (this.#slot) {
      this.#o.pool.release(this.#slot);
      this.#slot = undefined;
    }
    if (this.#o.signal.aborted || this.#utteranceAbort.signal.aborted) {
      this.#queue.close();
      return;
    }
    const error = new ProviderError(
      'unavailable',
      `speech recogniser failed: ${err instanceof Error ? err.message : String(err)}`,
      { provider: this.#o.provider, retryable: false, cause: err },
    );
    this.#o.logger?.error({ provider: this.#o.provider, err: error.message }, 'speech recogniser failed');
    this.#queue.fail(error);
  }
}
