import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, ProviderError, TtsBase } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  createResampler,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
  pcm16ToSamples,
  Reframer,
  type Resampler,
  samplesToPcm16,
} from '@switchboard/media';
import { WyomingConnection } from './wyoming-client.js';

export interface WyomingTtsOptions extends ProviderBaseOptions {
  host: string;
  port: number;
  voice?: string;
  logger?: Logger;
}

/**
 * A Wyoming text-to-speech service (Piper and friends, §9.2): `synthesize` on a connection of its
 * own, audio back as audio-start / audio-chunk… / audio-stop. The rate is read from audio-start
 * (Piper voices speak 16 or 22.05 kHz) and resampled here to the format the base asked for.
 */
export class WyomingTts extends TtsBase {
  readonly name = 'wyoming-tts';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K, PCM16_16K, PCM16_24K];
  readonly #o: WyomingTtsOptions;

  constructor(opts: WyomingTtsOptions) {
    super(opts);
    this.#o = opts;
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    const conn = await WyomingConnection.open(this.name, this.#o.host, this.#o.port, signal, this.outbound);
    const onAbort = () => conn.close();
    signal.addEventListener('abort', onAbort, { once: true });
    let resampler: Resampler | undefined;
    let reframer: Reframer | undefined;
    let sourceRate = 0;
    try {
      conn.send({
        type: 'synthesize',
        data: { text, ...(this.#o.voice ? { voice: { name: this.#o.voice } } : {}) },
      });
      for (;;) {
        const r = await conn.events.next();
        if (r.done) return;
        const ev = r.value;
        if (ev.type === 'audio-start' || (ev.type === 'audio-chunk' && !reframer)) {
          sourceRate = Number(ev.data.rate);
          const width = Number(ev.data.width ?? 2);
          const channels = Number(ev.data.channels ?? 1);
          if (!(sourceRate >= 4000 && sourceRate <= 96000) || width !== 2 || channels !== 1) {
            throw new ProviderError(
              'protocol',
              `${this.name}: audio at ${sourceRate} Hz, ${width * 8}-bit, ${channels} channel(s) is not supported`,
              { provider: this.name, retryable: false },
            );
          }
          resampler?.destroy();
          resampler =
            sourceRate === format.sampleRate ? undefined : createResampler(sourceRate, format.sampleRate);
          reframer ??= new Reframer(format, 20);
        }
        if (ev.type === 'audio-chunk' && ev.payload && reframer) {
          const pcm = resampler ? samplesToPcm16(resampler.process(pcm16ToSamples(ev.payload))) : ev.payload;
          yield* reframer.push(pcm);
        } else if (ev.type === 'audio-stop') {
          const tail = reframer?.flush();
          if (tail) yield tail;
          return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      resampler?.destroy();
      conn.close();
    }
  }
}
