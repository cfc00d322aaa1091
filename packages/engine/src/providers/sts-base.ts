import { type AudioFormat, FormatConverter } from '@switchboard/media';
import { pickFormat } from './format-pick.js';
import { ProviderBase } from './provider-base.js';
import { ProviderError } from './provider-error.js';
import type { StsEvent, StsOptions, StsProvider, StsSession } from './types.js';

/**
 * Base for speech-to-speech adapters. The adapter opens a session in formats it supports; the base
 * retries the connect, converts audio both ways (relaying untouched when the call's format is
 * accepted), classifies errors, and marks connect and first-audio times.
 */
export abstract class StsBase extends ProviderBase implements StsProvider {
  readonly kind = 'sts' as const;
  abstract readonly supportedFormats: readonly AudioFormat[];

  /** `inputFormat`/`outputFormat` in `opts` are the adapter's chosen formats here. */
  protected abstract openSession(opts: StsOptions, signal: AbortSignal): Promise<StsSession>;

  async connect(opts: StsOptions): Promise<StsSession> {
    const inFormat = pickFormat(this.supportedFormats, opts.inputFormat);
    const outFormat = pickFormat(this.supportedFormats, opts.outputFormat);
    const inner = await this.connectWithRetry(
      (s) => this.openSession({ ...opts, inputFormat: inFormat, outputFormat: outFormat }, s),
      opts.signal,
    );
    const toProvider = new FormatConverter(opts.inputFormat, inFormat);
    const toCall = new FormatConverter(outFormat, opts.outputFormat);
    const opened = this.clock.now();
    let firstAudio = true;
    const name = this.name;
    const onFirstAudio = () => this.mark('first-audio', this.clock.now() - opened);
    async function* events(): AsyncGenerator<StsEvent, void, undefined> {
      try {
        for await (const ev of inner.events) {
          if (ev.type !== 'audio') {
            yield ev;
            continue;
          }
          if (ev.frame.data.byteLength === 0) continue;
          if (firstAudio) {
            firstAudio = false;
            onFirstAudio();
          }
          yield { type: 'audio', frame: toCall.convert(ev.frame) };
        }
      } catch (e) {
        if (opts.signal.aborted) return;
        throw ProviderError.from(e, name);
      }
    }
    let closed = false;
    return {
      push: (frame) => {
        if (!closed) inner.push(toProvider.convert(frame));
      },
      events: events(),
      say: (text) => inner.say(text),
      sendToolResult: (id, output) => inner.sendToolResult(id, output),
      ...(inner.sendText ? { sendText: (text: string) => inner.sendText?.(text) } : {}),
      ...(inner.addContext ? { addContext: (text: string) => inner.addContext?.(text) } : {}),
      interrupt: (heardMs) => inner.interrupt(heardMs),
      close: async () => {
        if (closed) return;
        closed = true;
        toProvider.destroy();
        toCall.destroy();
        await inner.close();
      },
    };
  }
}
