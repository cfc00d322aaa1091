import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, TtsBase } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, PCM16_24K } from '@switchboard/media';
import { audioFrames, bodyBytes, type FetchLike, joinUrl, vendorFetch } from '../util/http-stream.js';

export interface OpenAiTtsOptions extends ProviderBaseOptions {
  apiKey: string;
  /** API root including the version; `/audio/speech` is appended. */
  baseUrl?: string;
  model?: string;
  voice?: string;
  /** Speaking style for models that take it (gpt-4o-mini-tts). */
  instructions?: string;
  fetch?: FetchLike;
  logger?: Logger;
}

/**
 * OpenAI speech over HTTP streaming: `response_format: pcm` is raw s16le at 24 kHz, OpenAI's only
 * PCM rate, so the base resamples it to the call's format.
 */
export class OpenAiTts extends TtsBase {
  readonly name = 'openai-tts';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_24K];
  readonly #o: OpenAiTtsOptions;

  constructor(opts: OpenAiTtsOptions) {
    super(opts);
    this.#o = opts;
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    const res = await vendorFetch(
      this.name,
      joinUrl(this.#o.baseUrl ?? 'https://api.openai.com/v1', 'audio/speech'),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#o.apiKey}` },
        body: JSON.stringify({
          model: this.#o.model ?? 'gpt-4o-mini-tts',
          voice: this.#o.voice ?? 'alloy',
          input: text,
          response_format: 'pcm',
          ...(this.#o.instructions ? { instructions: this.#o.instructions } : {}),
        }),
        signal,
      },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    yield* audioFrames(bodyBytes(this.name, res, signal), format);
  }
}
