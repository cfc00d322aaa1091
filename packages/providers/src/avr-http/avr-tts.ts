import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, TtsBase } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, PCM16_8K } from '@switchboard/media';
import { audioFrames, bodyBytes, type FetchLike, vendorFetch } from '../util/http-stream.js';

export interface AvrTtsOptions extends ProviderBaseOptions {
  /** The connector's full URL, e.g. `http://avr-tts-deepgram:6012/text-to-speech-stream`. */
  url: string;
  fetch?: FetchLike;
  logger?: Logger;
}

/** An AVR TTS connector: `POST {"text"}` → raw s16le 8 kHz mono, streamed (protocols-avr §3.5). */
export class AvrTts extends TtsBase {
  readonly name = 'avr-tts';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K];
  readonly #o: AvrTtsOptions;

  constructor(opts: AvrTtsOptions) {
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
      this.#o.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal,
      },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    yield* audioFrames(bodyBytes(this.name, res, signal), format);
  }
}
