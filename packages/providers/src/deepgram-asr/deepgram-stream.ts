import type { AsrEvent, AsrStream } from '@switchboard/engine';
import { ProviderError } from '@switchboard/engine';
import type { AudioFrame } from '@switchboard/media';
import type WebSocket from 'ws';
import { AsyncQueue } from '../util/async-queue.js';
import { messageText } from '../util/ws-open.js';

interface DeepgramMessage {
  type?: string;
  is_final?: boolean;
  speech_final?: boolean;
  channel?: { alternatives?: { transcript?: string; confidence?: number | string }[] };
  description?: string;
  err_msg?: string;
}

export interface DeepgramStreamOptions {
  provider: string;
  /** Deepgram closes a socket after 10 s without audio or KeepAlive (NET-0001). */
  keepAliveMs: number;
  /** How long close() waits for the flushed results and the server's close. */
  closeWaitMs: number;
  signal: AbortSignal;
}

/**
 * One open `/v1/listen` socket (§7.1). Audio goes out as binary frames; results come back as
 * partial (interim) and final (each `is_final` span, which the turn detector appends). End of turn
 * is `speech_final`, or `UtteranceEnd` when `speech_final` never came.
 */
export class DeepgramStream implements AsrStream {
  readonly #ws: WebSocket;
  readonly #o: DeepgramStreamOptions;
  readonly #queue = new AsyncQueue<AsrEvent>();
  readonly #keepAlive: ReturnType<typeof setInterval>;
  #lastSent = Date.now();
  #closing = false;
  #turnOpen = false;

  constructor(ws: WebSocket, opts: DeepgramStreamOptions) {
    this.#ws = ws;
    this.#o = opts;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onMessage(messageText(data));
    });
    ws.on('error', () => {
      // 'close' follows and reports the failure.
    });
    ws.on('close', (code, reason) => {
      clearInterval(this.#keepAlive);
      if (this.#closing || opts.signal.aborted) this.#queue.close();
      else {
        const why = reason.toString('utf8');
        this.#queue.fail(
          new ProviderError(
            'unavailable',
            `${opts.provider}: connection closed (${code}${why ? ` ${why}` : ''})`,
            {
              provider: opts.provider,
            },
          ),
        );
      }
    });
    this.#keepAlive = setInterval(
      () => {
        if (Date.now() - this.#lastSent >= opts.keepAliveMs) this.#sendControl('KeepAlive');
      },
      Math.max(10, Math.floor(opts.keepAliveMs / 2)),
    );
    opts.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = () => this.#terminate();

  get events(): AsyncIterable<AsrEvent> {
    return this.#queue;
  }

  push(frame: AudioFrame): void {
    if (this.#closing || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(frame.data, { binary: true });
    this.#lastSent = Date.now();
  }

  /** Asks Deepgram to flush what it heard so far; the results come back `from_finalize`. */
  finalize(): void {
    this.#sendControl('Finalize');
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#keepAlive);
    this.#o.signal.removeEventListener('abort', this.#onAbort);
    if (this.#ws.readyState !== this.#ws.OPEN) {
      this.#terminate();
      return;
    }
    // CloseStream flushes the last results and Metadata, then the server closes the socket.
    this.#ws.send(JSON.stringify({ type: 'CloseStream' }));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#terminate();
        resolve();
      }, this.#o.closeWaitMs);
      this.#ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #terminate(): void {
    clearInterval(this.#keepAlive);
    this.#o.signal.removeEventListener('abort', this.#onAbort);
    this.#closing = true;
    this.#ws.terminate();
    this.#queue.close();
  }

  #sendControl(type: 'KeepAlive' | 'Finalize'): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify({ type }));
    this.#lastSent = Date.now();
  }

  #onMessage(text: string): void {
    let m: DeepgramMessage;
    try {
      m = JSON.parse(text) as DeepgramMessage;
    } catch {
      return;
    }
    switch (m.type) {
      case 'Results': {
        const alt = m.channel?.alternatives?.[0];
        const transcript = (alt?.transcript ?? '').trim();
        if (m.is_final) {
          if (transcript) {
            const confidence = Number(alt?.confidence);
            this.#turnOpen = true;
            this.#queue.push({
              type: 'final',
              text: transcript,
              ...(Number.isFinite(confidence) ? { confidence } : {}),
            });
          }
          if (m.speech_final) this.#endTurn();
        } else if (transcript) {
          this.#turnOpen = true;
          this.#queue.push({ type: 'partial', text: transcript });
        }
        return;
      }
      case 'SpeechStarted':
        this.#turnOpen = true;
        this.#queue.push({ type: 'speech-start' });
        return;
      case 'UtteranceEnd':
        // The fallback end of turn; a turn already closed by speech_final is not closed twice.
        this.#endTurn();
        return;
      default:
        // Metadata and event types added later carry nothing the call needs.
        return;
    }
  }

  #endTurn(): void {
    if (!this.#turnOpen) return;
    this.#turnOpen = false;
    this.#queue.push({ type: 'speech-end' });
  }
}
