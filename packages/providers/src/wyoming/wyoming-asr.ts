import type { Logger } from '@switchboard/core';
import {
  AsrBase,
  type AsrEvent,
  type AsrOptions,
  type AsrStream,
  type ProviderBaseOptions,
  ProviderError,
} from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  dbfs,
  frameDurationMs,
  PCM16_16K,
  pcm16ToSamples,
} from '@switchboard/media';
import { AsyncQueue } from '../util/async-queue.js';
import { WyomingConnection } from './wyoming-client.js';

export interface WyomingAsrOptions extends ProviderBaseOptions {
  host: string;
  port: number;
  /** Model name passed in `transcribe`, when the service has several. */
  model?: string;
  /** Level above which a frame counts as speech; Wyoming ASR needs external VAD. */
  speechDbfs?: number;
  /** Silence that ends an utterance. */
  silenceMs?: number;
  /** Audio kept from before speech starts, so the first syllable is not cut. */
  prerollMs?: number;
  logger?: Logger;
}

/**
 * A Wyoming speech-to-text service (faster-whisper and friends, §9.2). Wyoming transcribes whole
 * utterances and requires external VAD, so this stream cuts the call's audio into utterances by
 * level and sends each as transcribe → audio-start → audio-chunk… → audio-stop on its own
 * connection (services close it after the transcript).
 */
export class WyomingAsr extends AsrBase {
  readonly name = 'wyoming-asr';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_16K];
  readonly #o: WyomingAsrOptions;

  constructor(opts: WyomingAsrOptions) {
    super(opts);
    this.#o = opts;
  }

  protected async openStream(format: AudioFormat, opts: AsrOptions, signal: AbortSignal): Promise<AsrStream> {
    // The first connection proves the service is there and serves the first utterance.
    const first = await WyomingConnection.open(this.name, this.#o.host, this.#o.port, signal, this.outbound);
    return new WyomingAsrStream(first, format, opts, this.#o, this.name);
  }
}

class WyomingAsrStream implements AsrStream {
  readonly #queue = new AsyncQueue<AsrEvent>();
  readonly #format: AudioFormat;
  readonly #opts: AsrOptions;
  readonly #o: WyomingAsrOptions;
  readonly #provider: string;
  #next: WyomingConnection | undefined;
  #current: WyomingConnection | undefined;
  #preroll: AudioFrame[] = [];
  #silentMs = 0;
  #closed = false;
  /** Utterances awaiting their transcript, in order, so finals come out in speaking order. */
  #pending: Promise<void> = Promise.resolve();

  constructor(
    first: WyomingConnection,
    format: AudioFormat,
    opts: AsrOptions,
    o: WyomingAsrOptions,
    provider: string,
  ) {
    this.#next = first;
    this.#format = format;
    this.#opts = opts;
    this.#o = o;
    this.#provider = provider;
    opts.signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  get events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  push(frame: AudioFrame): void {
    if (this.#closed) return;
    const loud = dbfs(pcm16ToSamples(frame.data)) > (this.#o.speechDbfs ?? -45);
    if (!this.#current) {
      this.#preroll.push(frame);
      const keep = Math.ceil((this.#o.prerollMs ?? 300) / Math.max(1, frameDurationMs(frame)));
      if (this.#preroll.length > keep) this.#preroll.shift();
      if (loud) this.#startUtterance();
      return;
    }
    this.#chunk(this.#current, frame);
    this.#silentMs = loud ? 0 : this.#silentMs + frameDurationMs(frame);
    if (this.#silentMs >= (this.#o.silenceMs ?? 600)) this.#endUtterance();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#current) this.#endUtterance();
    this.#next?.close();
    this.#next = undefined;
    await this.#pending;
    this.#queue.close();
  }

  #startUtterance(): void {
    const conn = this.#next;
    this.#next = undefined;
    if (!conn) {
      // Opening the connection is in flight; audio until then goes to the preroll.
      this.#openNext();
      return;
    }
    this.#current = conn;
    this.#silentMs = 0;
    this.#queue.push({ type: 'speech-start' });
    conn.send({
      type: 'transcribe',
      data: {
        language: this.#opts.language.split('-')[0],
        ...(this.#o.model ? { name: this.#o.model } : {}),
      },
    });
    conn.send({ type: 'audio-start', data: this.#audioData() });
    for (const f of this.#preroll) this.#chunk(conn, f);
    this.#preroll = [];
  }

  #endUtterance(): void {
    const conn = this.#current;
    if (!conn) return;
    this.#current = undefined;
    conn.send({ type: 'audio-stop', data: {} });
    this.#queue.push({ type: 'speech-end' });
    this.#pending = this.#pending.then(() => this.#readTranscript(conn));
    if (!this.#closed) this.#openNext();
  }

  async #readTranscript(conn: WyomingConnection): Promise<void> {
    try {
      for (;;) {
        const r = await conn.events.next();
        if (r.done)
          throw new ProviderError('unavailable', `${this.#provider}: no transcript`, {
            provider: this.#provider,
          });
        const ev = r.value;
        if (ev.type === 'transcript-chunk' && typeof ev.data.text === 'string') {
          this.#queue.push({ type: 'partial', text: ev.data.text.trim() });
        } else if (ev.type === 'transcript') {
          const text = typeof ev.data.text === 'string' ? ev.data.text.trim() : '';
          if (text) this.#queue.push({ type: 'final', text });
          return;
        }
      }
    } catch (e) {
      if (!this.#opts.signal.aborted) this.#queue.fail(ProviderError.from(e, this.#provider));
    } finally {
      conn.close();
    }
  }

  #openNext(): void {
    if (this.#next || this.#closed) return;
    WyomingConnection.open(
      this.#provider,
      this.#o.host,
      this.#o.port,
      this.#opts.signal,
      this.#o.outbound,
    ).then(
      (c) => {
        if (this.#closed) c.close();
        else this.#next = c;
      },
      (e: unknown) => {
        if (!this.#opts.signal.aborted) this.#queue.fail(ProviderError.from(e, this.#provider));
      },
    );
  }

  #audioData() {
    return { rate: this.#format.sampleRate, width: 2, channels: 1 };
  }

  #chunk(conn: WyomingConnection, frame: AudioFrame): void {
    conn.send({ type: 'audio-chunk', data: this.#audioData(), payload: frame.data });
  }
}
