import { type AudioFormat, type AudioFrame, FormatConverter } from '@switchboard/media';
import { SpeakableChunker } from '../text/speakable-chunker.js';
import { pickFormat } from './format-pick.js';
import { guardedStream } from './guarded-stream.js';
import { ProviderBase } from './provider-base.js';
import type { TtsProvider, TtsRequest } from './types.js';

/**
 * Base for speech-synthesis adapters. The adapter declares `supportedFormats` and implements
 * `synthesizeText` in one of them; the base picks the format (the call's own when accepted),
 * converts the audio to the call's format, retries before the first audio, and marks time to first
 * audio. A text stream is spoken sentence by sentence unless the adapter takes streamed text itself.
 */
export abstract class TtsBase extends ProviderBase implements TtsProvider {
  readonly kind = 'tts' as const;
  abstract readonly supportedFormats: readonly AudioFormat[];

  protected abstract synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncIterable<AudioFrame>;

  /** Adapters whose protocol takes text as it is written override this. */
  protected synthesizeTextStream?(
    text: AsyncIterable<string>,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncIterable<AudioFrame>;

  protected async open(_signal: AbortSignal): Promise<void> {}

  async prepare(signal: AbortSignal): Promise<void> {
    await this.connectWithRetry((s) => this.open(s), signal);
  }

  async *synthesize(req: TtsRequest): AsyncGenerator<AudioFrame, void, undefined> {
    const format = pickFormat(this.supportedFormats, req.format);
    const converter = new FormatConverter(format, req.format);
    try {
      if (typeof req.text === 'string') {
        yield* this.#convert(
          this.#guard((s) => this.synthesizeText(req.text as string, format, s), req, true),
          converter,
        );
      } else if (this.synthesizeTextStream) {
        const stream = req.text;
        // Streamed text cannot be replayed, so there is nothing to retry with.
        yield* this.#convert(
          this.#guard((s) => this.synthesizeTextStream!(stream, format, s), req, false),
          converter,
        );
      } else {
        const chunker = new SpeakableChunker();
        for await (const delta of req.text) {
          for (const chunk of chunker.push(delta)) {
            yield* this.#convert(
              this.#guard((s) => this.synthesizeText(chunk, format, s), req, true),
              converter,
            );
          }
          if (req.signal.aborted) return;
        }
        for (const chunk of chunker.flush()) {
          yield* this.#convert(
            this.#guard((s) => this.synthesizeText(chunk, format, s), req, true),
            converter,
          );
        }
      }
    } finally {
      converter.destroy();
    }
  }

  #guard(open: (signal: AbortSignal) => AsyncIterable<AudioFrame>, req: TtsRequest, retry: boolean) {
    return guardedStream(open, {
      provider: this.name,
      clock: this.clock,
      retry: retry ? this.retry : { ...this.retry, maxRetries: 0 },
      firstResultTimeoutMs: this.firstResultTimeoutMs,
      signal: req.signal,
      onFirst: (ms) => this.mark('first-audio', ms),
      onRetry: (ms) => this.mark('retry', ms),
    });
  }

  async *#convert(frames: AsyncIterable<AudioFrame>, converter: FormatConverter) {
    for await (const frame of frames) {
      if (frame.data.byteLength === 0) continue;
      yield converter.convert(frame);
    }
  }

  async close(): Promise<void> {}
}
