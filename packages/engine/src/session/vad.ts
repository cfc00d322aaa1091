import { type AudioFormat, type AudioFrame, createVad, FormatConverter } from '@switchboard/media';

/** The part of a voice activity detector the session uses (the media package's detectors fit). */
export interface SessionVad {
  process(
    frame: AudioFrame,
  ):
    | Promise<{ speaking: boolean; event?: 'speech-start' | 'speech-end' | undefined }>
    | { speaking: boolean; event?: 'speech-start' | 'speech-end' | undefined };
  reset(): void;
  close(): void;
}

export type VadFactory = (sampleRate: 8000 | 16000) => SessionVad | Promise<SessionVad>;

export const defaultVadFactory: VadFactory = (sampleRate) => createVad({ kind: 'auto', sampleRate });

/**
 * Feeds the detector 16-bit PCM at 8 or 16 kHz, decoding a copy of the caller's audio when it
 * arrives in G.711 or another rate; the audio relayed onward is untouched.
 */
export class VadTap {
  readonly #vad: SessionVad;
  readonly #converter: FormatConverter;
  #broken = false;

  private constructor(vad: SessionVad, converter: FormatConverter) {
    this.#vad = vad;
    this.#converter = converter;
  }

  static async open(input: AudioFormat, factory: VadFactory): Promise<VadTap> {
    const rate = input.sampleRate === 8000 ? 8000 : 16000;
    const vad = await factory(rate);
    return new VadTap(vad, new FormatConverter(input, { encoding: 'pcm16', sampleRate: rate }));
  }

  async process(frame: AudioFrame): Promise<'speech-start' | 'speech-end' | undefined> {
    if (this.#broken) return undefined;
    try {
      const r = await this.#vad.process(this.#converter.convert(frame));
      return r.event;
    } catch {
      // A detector failure must not end the call; the recogniser's finals still drive turns.
      this.#broken = true;
      return undefined;
    }
  }

  close(): void {
    this.#vad.close();
    this.#converter.destroy();
  }
}
