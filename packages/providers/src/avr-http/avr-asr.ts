import type { Logger } from '@switchboard/core';
import {
  AsrBase,
  type AsrEvent,
  type AsrOptions,
  type AsrStream,
  type ProviderBaseOptions,
  ProviderError,
} from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, PCM16_8K } from '@switchboard/media';
import { AsyncQueue } from '../util/async-queue.js';
import { bodyBytes, type FetchLike, vendorFetch } from '../util/http-stream.js';

export interface AvrAsrOptions extends ProviderBaseOptions {
  /** The connector's full URL, e.g. `http://avr-asr-deepgram:6010/speech-to-text-stream`. */
  url: string;
  /** Sent as `X-UUID`: the connector keys its session by it. */
  uuid: string;
  /**
   * Connectors may send response headers only with their first transcript; after this long the
   * stream is handed over and the response is awaited in the background.
   */
  headerWaitMs?: number;
  fetch?: FetchLike;
  logger?: Logger;
}

/**
 * An AVR ASR connector (protocols-avr §3.3): one long `POST` per call whose chunked body is the
 * caller's 8 kHz s16le audio, answered by a chunked stream of bare transcript strings, each a
 * finished utterance.
 */
export class AvrAsr extends AsrBase {
  readonly name = 'avr-asr';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K];
  readonly #o: AvrAsrOptions;

  constructor(opts: AvrAsrOptions) {
    super(opts);
    this.#o = opts;
  }

  protected async openStream(
    _format: AudioFormat,
    opts: AsrOptions,
    signal: AbortSignal,
  ): Promise<AsrStream> {
    const upload = new AsyncQueue<Uint8Array>();
    // Node's fetch surfaces the response only once upload bytes have gone out, so 20 ms of silence
    // opens the body and lets a refusal (401) arrive while connecting.
    upload.push(new Uint8Array(320));
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await upload.next();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
    });
    const response = vendorFetch(
      this.name,
      this.#o.url,
      {
        method: 'POST',
        headers: { 'content-type': 'audio/l16', 'x-uuid': this.#o.uuid },
        body,
        signal: ctrl.signal,
        // Node's fetch streams a request body only in half-duplex mode.
        duplex: 'half',
      } as RequestInit & { signal: AbortSignal },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    let waitTimer: ReturnType<typeof setTimeout> | undefined;
    const early = await Promise.race([
      response,
      new Promise<undefined>((r) => {
        waitTimer = setTimeout(() => r(undefined), this.#o.headerWaitMs ?? 1000);
      }),
    ]).finally(() => {
      clearTimeout(waitTimer);
      signal.removeEventListener('abort', onAbort);
    });
    const stream = new AvrAsrStream(upload, ctrl, this.name, opts.signal);
    stream.read(early ? Promise.resolve(early) : response);
    return stream;
  }
}

class AvrAsrStream implements AsrStream {
  readonly #queue = new AsyncQueue<AsrEvent>();
  readonly #upload: AsyncQueue<Uint8Array>;
  readonly #ctrl: AbortController;
  readonly #provider: string;
  #closed = false;

  constructor(upload: AsyncQueue<Uint8Array>, ctrl: AbortController, provider: string, signal: AbortSignal) {
    this.#upload = upload;
    this.#ctrl = ctrl;
    this.#provider = provider;
    signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  get events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  push(frame: AudioFrame): void {
    if (!this.#closed) this.#upload.push(frame.data);
  }

  read(response: Promise<Response>): void {
    (async () => {
      const res = await response;
      const decoder = new TextDecoder();
      for await (const chunk of bodyBytes(this.#provider, res, this.#ctrl.signal)) {
        const text = decoder.decode(chunk, { stream: true }).trim();
        if (text) this.#queue.push({ type: 'final', text });
      }
      if (!this.#closed) {
        throw new ProviderError('unavailable', `${this.#provider}: the connector ended the stream`, {
          provider: this.#provider,
        });
      }
      this.#queue.close();
    })().catch((e: unknown) => {
      if (this.#closed) this.#queue.close();
      else this.#queue.fail(ProviderError.from(e, this.#provider));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#upload.close();
    // The connector answers nothing more once the caller is gone; the socket is released now.
    this.#ctrl.abort(new Error('stream closed'));
    this.#queue.close();
  }
}
