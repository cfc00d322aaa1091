import type { AudioFormat, AudioFrame } from '@switchboard/media';
import type { ProviderBaseOptions } from '../providers/provider-base.js';
import type { ProviderError } from '../providers/provider-error.js';
import { TtsBase } from '../providers/tts-base.js';
import { sleep } from '../util/clock.js';
import { speechFrame } from './fake-audio.js';

export interface FakeTtsOptions extends ProviderBaseOptions {
  name?: string;
  /** Formats the fake claims to produce; empty means "whatever the call uses". */
  supportedFormats?: AudioFormat[];
  /** Audio length per word of text. */
  msPerWord?: number;
  /** Delay before the first frame of each request. */
  latencyMs?: number;
  /** Delay between frames (0: synthesis is instant). */
  frameDelayMs?: number;
  failConnect?: ProviderError;
  /** Fails a request for this text (or every request) after `afterFrames` frames. */
  fail?: { error: ProviderError; when?: (text: string) => boolean; afterFrames?: number };
}

/** A scripted synthesiser on the real base: each word becomes `msPerWord` of audible audio. */
export class FakeTts extends TtsBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[];
  readonly requests: string[] = [];
  aborted = 0;
  readonly #opts: FakeTtsOptions;

  constructor(opts: FakeTtsOptions = {}) {
    super({ retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...opts });
    this.name = opts.name ?? 'fake-tts';
    this.supportedFormats = opts.supportedFormats ?? [];
    this.#opts = opts;
  }

  protected override async open(): Promise<void> {
    if (this.#opts.failConnect) throw this.#opts.failConnect;
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    this.requests.push(text);
    const words = text.split(/\s+/).filter(Boolean).length;
    const frames = Math.max(1, Math.round((words * (this.#opts.msPerWord ?? 300)) / 20));
    const fail = this.#opts.fail && (this.#opts.fail.when?.(text) ?? true) ? this.#opts.fail : undefined;
    try {
      await sleep(this.clock, this.#opts.latencyMs ?? 0, signal);
      for (let i = 0; i < frames; i++) {
        if (fail && i === (fail.afterFrames ?? 0)) throw fail.error;
        if (i > 0) await sleep(this.clock, this.#opts.frameDelayMs ?? 0, signal);
        if (signal.aborted) throw signal.reason;
        yield speechFrame(format, 20);
      }
    } catch (e) {
      if (signal.aborted) {
        this.aborted++;
        return;
      }
      throw e;
    }
  }
}
