import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, ProviderError, SpeakableChunker, TtsBase } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  createResampler,
  initMedia,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
  Reframer,
  samplesToPcm16,
} from '@switchboard/media';
import { MODEL_IDS } from '../models/catalogue.js';
import { type ModelLocator, packagedModels } from '../models/locator.js';
import { ESPEAK_DATA_FILE, ESPEAK_SAMPLE_RATE, type EspeakEngine, espeakEngine } from './espeak-engine.js';

export interface EspeakTtsOptions extends ProviderBaseOptions {
  /** The agent's `voice`; tried first, skipped (with a warning) when espeak does not know it. */
  agentVoice?: string;
  /** The provider's configured voice (settings.voice). */
  voice?: string;
  /** The agent's language (BCP 47), tried as a voice name after the explicit ones. */
  language?: string;
  /** Speaking rate in words per minute (espeak's default is 175). */
  wordsPerMinute?: number;
  logger?: Logger;
  /** Where the voice data loads from; by default the copy inside the npm package. */
  models?: ModelLocator;
}

/** Timing of the synthesis work, for logs, health and the bench. */
export interface EspeakStats {
  sentences: number;
  /** Wall time spent inside espeak, summed over sentences. */
  synthMs: number;
  /** Audio produced, summed over sentences. */
  audioMs: number;
  lastSentenceMs: number;
}

const PCM16_48K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 48000 });
const FRAME_MS = 20;

/**
 * eSpeak NG in process (WASM), the always-available offline voice. It sounds robotic but costs
 * ~10 ms per sentence. espeak only produces 22050 Hz, which no call uses, so the adapter resamples
 * to the declared rate nearest the call's with the media resampler (a windowed-sinc filter, so 8 kHz
 * output is anti-aliased); the base then only changes the encoding (μ-law, A-law) if needed.
 * Text is synthesized a sentence at a time and the abort signal is checked between sentences.
 */
export class EspeakTts extends TtsBase {
  readonly name = 'local:espeak';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K, PCM16_16K, PCM16_24K, PCM16_48K];
  readonly stats: EspeakStats = { sentences: 0, synthMs: 0, audioMs: 0, lastSentenceMs: 0 };
  readonly #opts: EspeakTtsOptions;
  #voice: Promise<string> | undefined;
  #engine: Promise<EspeakEngine> | undefined;

  constructor(opts: EspeakTtsOptions = {}) {
    super(opts);
    this.#opts = opts;
  }

  protected override async open(): Promise<void> {
    await Promise.all([initMedia(), this.#resolveVoice()]);
  }

  /** The process's engine for this instance's voice data; a missing model is named. */
  #loadEngine(): Promise<EspeakEngine> {
    this.#engine ??= (this.#opts.models ?? packagedModels)
      .require(MODEL_IDS.espeak, this.name)
      .then((model) => espeakEngine(join(model.dir, ESPEAK_DATA_FILE)))
      .catch((err: unknown) => {
        this.#engine = undefined;
        throw err;
      });
    return this.#engine;
  }

  /** The voice this instance speaks with, once resolved. */
  voiceName(): Promise<string> {
    return this.#resolveVoice();
  }

  #resolveVoice(): Promise<string> {
    this.#voice ??= (async () => {
      const { agentVoice, voice, language } = this.#opts;
      const lang = language?.toLowerCase();
      const candidates = [agentVoice, voice, lang, lang?.split('-')[0], 'en-us'].filter(
        (v): v is string => typeof v === 'string' && v.length > 0,
      );
      const engine = await this.#loadEngine();
      const found = await engine.resolveVoice(candidates);
      if (!found) {
        throw new ProviderError(
          'bad_request',
          `espeak-ng knows none of the voices ${candidates.join(', ')}`,
          {
            provider: this.name,
          },
        );
      }
      if (agentVoice && found !== agentVoice) {
        this.#opts.logger?.warn(
          { voice: agentVoice, using: found },
          'espeak-ng has no such voice; using another',
        );
      }
      return found;
    })().catch((err: unknown) => {
      this.#voice = undefined;
      throw err;
    });
    return this.#voice;
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    await initMedia();
    const [engine, voice] = await Promise.all([this.#loadEngine(), this.#resolveVoice()]);
    const wpm = this.#opts.wordsPerMinute ?? 175;
    const chunker = new SpeakableChunker();
    const sentences = [...chunker.push(text), ...chunker.flush()];
    // One resampler for the whole request so its filter state runs across sentence joins.
    const resampler = createResampler(ESPEAK_SAMPLE_RATE, format.sampleRate);
    const reframer = new Reframer(format, FRAME_MS);
    try {
      for (const sentence of sentences) {
        if (signal.aborted) return;
        const started = performance.now();
        const samples = await engine.synthesize(sentence, voice, wpm);
        this.#record(performance.now() - started, samples.length);
        if (signal.aborted) return;
        for (const frame of reframer.push(samplesToPcm16(resampler.process(samples)))) {
          // The base keeps reading after an abort, so each frame checks it.
          if (signal.aborted) return;
          yield frame;
        }
      }
      const tail = reframer.flush();
      if (tail) yield tail;
    } finally {
      resampler.destroy();
    }
  }

  #record(ms: number, samples: number): void {
    const audioMs = (samples / ESPEAK_SAMPLE_RATE) * 1000;
    this.stats.sentences++;
    this.stats.synthMs += ms;
    this.stats.audioMs += audioMs;
    this.stats.lastSentenceMs = ms;
    this.#opts.logger?.debug(
      { synthMs: Math.round(ms * 10) / 10, audioMs: Math.round(audioMs) },
      'espeak-ng sentence synthesized',
    );
  }
}
