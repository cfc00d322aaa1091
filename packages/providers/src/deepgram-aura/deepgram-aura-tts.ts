import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, TtsBase } from '@switchboard/engine';
import {
  ALAW_8K,
  type AudioFormat,
  type AudioFrame,
  MULAW_8K,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
} from '@switchboard/media';
import { audioFrames, bodyBytes, type FetchLike, joinUrl, vendorFetch } from '../util/http-stream.js';

export interface DeepgramAuraOptions extends ProviderBaseOptions {
  apiKey: string;
  /** API root including the version; `/speak` is appended. */
  baseUrl?: string;
  model?: string;
  fetch?: FetchLike;
  logger?: Logger;
}

/**
 * Deepgram Aura text-to-speech over HTTP. It speaks μ-law and A-law at 8 kHz and linear16 at the
 * usual rates, always headerless (`container=none`), so a telephone call gets its own format.
 */
export class DeepgramAuraTts extends TtsBase {
  readonly name = 'deepgram-aura';
  readonly supportedFormats: readonly AudioFormat[] = [MULAW_8K, ALAW_8K, PCM16_8K, PCM16_16K, PCM16_24K];
  readonly #o: DeepgramAuraOptions;

  constructor(opts: DeepgramAuraOptions) {
    super(opts);
    this.#o = opts;
  }

  speakUrl(format: AudioFormat): string {
    const q = new URLSearchParams({
      model: this.#o.model ?? 'aura-2-thalia-en',
      encoding: format.encoding === 'pcm16' ? 'linear16' : format.encoding,
      sample_rate: String(format.sampleRate),
      container: 'none',
    });
    return `${joinUrl(this.#o.baseUrl ?? 'https://api.deepgram.com/v1', 'speak')}?${q}`;
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    const res = await vendorFetch(
      this.name,
      this.speakUrl(format),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${this.#o.apiKey}` },
        body: JSON.stringify({ text }),
        signal,
      },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    yield* audioFrames(bodyBytes(this.name, res, signal), format);
  }
}
