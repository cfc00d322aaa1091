import { type AudioFormat, FormatConverter } from '@switchboard/media';
import { pickFormat } from './format-pick.js';
import { ProviderBase } from './provider-base.js';
import { ProviderError } from './provider-error.js';
import type { AsrEvent, AsrOptions, AsrProvider, AsrStream } from './types.js';

/**
 * Base for speech-recognition adapters. The adapter opens a stream that takes audio in one of its
 * `supportedFormats`; the base retries the connect, converts the call's audio (not at all when the
 * format is accepted), classifies stream errors, and marks connect and first-transcript times.
 */
export abstract class AsrBase extends ProviderBase implements AsrProvider {
  readonly kind = 'asr' as const;
  abstract readonly supportedFormats: readonly AudioFormat[];

  protected abstract openStream(
    format: AudioFormat,
    opts: AsrOptions,
    signal: AbortSignal,
  ): Promise<AsrStream>;

  async connect(opts: AsrOptions): Promise<AsrStream> {
    const format = pickFormat(this.supportedFormats, opts.format);
    const inner = await this.connectWithRetry((s) => this.openStream(format, opts, s), opts.signal);
    const converter = new FormatConverter(opts.format, format);
    const opened = this.clock.now();
    let first = true;
    const name = this.name;
    const onFirst = () => this.mark('first-result', this.clock.now() - opened);
    async function* events(): AsyncGenerator<AsrEvent, void, undefined> {
      try {
        for await (const ev of inner.events) {
          if (first && (ev.type === 'partial' || ev.type === 'final')) {
            first = false;
            onFirst();
          }
          yield ev;
        }
      } catch (e) {
        if (opts.signal.aborted) return;
        throw ProviderError.from(e, name);
      }
    }
    let closed = false;
    return {
      push: (frame) => {
        if (!closed) inner.push(converter.convert(frame));
      },
      events: events(),
      close: async () => {
        if (closed) return;
        closed = true;
        converter.destroy();
        await inner.close();
      },
    };
  }
}
