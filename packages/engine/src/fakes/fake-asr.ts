import { type AudioFormat, type AudioFrame, frameDurationMs } from '@switchboard/media';
import { AsrBase } from '../providers/asr-base.js';
import type { ProviderBaseOptions } from '../providers/provider-base.js';
import type { ProviderError } from '../providers/provider-error.js';
import type { AsrEvent, AsrOptions, AsrStream } from '../providers/types.js';
import { Channel } from '../util/channel.js';
import { isSilentFrame } from './fake-audio.js';

export interface FakeAsrOptions extends ProviderBaseOptions {
  name?: string;
  supportedFormats?: AudioFormat[];
  /**
   * What the caller "says", one entry per stretch of audible audio, in order. A partial with the
   * first word comes after `partialAfterMs` of speech, the final at the first silent frame.
   * An empty string is noise (a cough): no words at all.
   */
  utterances?: string[];
  partialAfterMs?: number;
  /** Also emit speech-start / speech-end (most sessions use their own VAD). */
  speechEvents?: boolean;
  failConnect?: ProviderError;
}

/** One open recognition stream; tests may also drive it by hand. */
export class FakeAsrStream implements AsrStream {
  readonly events = new Channel<AsrEvent>();
  receivedMs = 0;
  closed = false;
  readonly #utterances: string[];
  readonly #opts: FakeAsrOptions;
  #speechMs = 0;
  #inSpeech = false;
  #partialSent = false;

  constructor(utterances: string[], opts: FakeAsrOptions) {
    this.#utterances = utterances;
    this.#opts = opts;
  }

  push(frame: AudioFrame): void {
    if (this.closed) return;
    const ms = frameDurationMs(frame);
    this.receivedMs += ms;
    if (this.#utterances.length === 0 && !this.#inSpeech) return;
    if (!isSilentFrame(frame)) {
      if (!this.#inSpeech) {
        this.#inSpeech = true;
        this.#speechMs = 0;
        this.#partialSent = false;
        if (this.#opts.speechEvents) this.speechStart();
      }
      this.#speechMs += ms;
      const next = this.#utterances[0] ?? '';
      if (!this.#partialSent && this.#speechMs >= (this.#opts.partialAfterMs ?? 100) && next) {
        this.#partialSent = true;
        this.partial(next.split(/\s+/)[0] ?? '');
      }
    } else if (this.#inSpeech) {
      this.#inSpeech = false;
      if (this.#opts.speechEvents) this.speechEnd();
      const text = this.#utterances.shift() ?? '';
      if (text) this.final(text);
    }
  }

  partial(text: string): void {
    this.events.push({ type: 'partial', text });
  }

  final(text: string, confidence?: number): void {
    this.events.push(
      confidence === undefined ? { type: 'final', text } : { type: 'final', text, confidence },
    );
  }

  speechStart(): void {
    this.events.push({ type: 'speech-start' });
  }

  speechEnd(): void {
    this.events.push({ type: 'speech-end' });
  }

  /** The provider drops the connection mid-call. */
  fail(error: ProviderError): void {
    this.events.fail(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.close();
  }
}

/** A scripted recogniser on the real base class: audible audio becomes the next scripted utterance. */
export class FakeAsr extends AsrBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[];
  readonly streams: FakeAsrStream[] = [];
  readonly #opts: FakeAsrOptions;
  readonly #utterances: string[];

  constructor(opts: FakeAsrOptions = {}) {
    super({ retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...opts });
    this.name = opts.name ?? 'fake-asr';
    this.supportedFormats = opts.supportedFormats ?? [];
    this.#opts = opts;
    this.#utterances = [...(opts.utterances ?? [])];
  }

  /** The most recently opened stream. */
  get stream(): FakeAsrStream | undefined {
    return this.streams.at(-1);
  }

  protected async openStream(_format: AudioFormat, _opts: AsrOptions): Promise<AsrStream> {
    if (this.#opts.failConnect) throw this.#opts.failConnect;
    const s = new FakeAsrStream(this.#utterances, this.#opts);
    this.streams.push(s);
    return s;
  }
}
