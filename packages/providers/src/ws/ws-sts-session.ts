import type { Logger } from '@switchboard/core';
import { ProviderError, type StsEvent, type StsSession } from '@switchboard/engine';
import type { AudioFrame } from '@switchboard/media';
import WebSocket from 'ws';
import { AsyncQueue } from '../util/async-queue.js';

export type JsonMessage = Record<string, unknown> & { type?: unknown };

/**
 * What the three WebSocket speech-to-speech adapters share: one socket per call, JSON text frames
 * dispatched by `type`, events delivered through a queue, and the socket's end classified. A close
 * we did not ask for fails the event stream with `unavailable`, so the session can apologise or
 * move to a fallback instead of sitting in silence.
 */
export abstract class WsStsSession implements StsSession {
  readonly events = new AsyncQueue<StsEvent>();
  protected readonly socket: WebSocket;
  protected readonly provider: string;
  protected readonly logger: Logger;
  #closing = false;
  #ready: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  readonly #readyPromise: Promise<void>;

  constructor(socket: WebSocket, provider: string, logger: Logger) {
    this.socket = socket;
    this.provider = provider;
    this.logger = logger;
    this.#readyPromise = new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
    });
    // Nobody awaits it when the session never gets to `opened`; the rejection is still observed.
    this.#readyPromise.catch(() => {});
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.onBinary(data);
        return;
      }
      if (this.onText(data)) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        this.logger.warn({ provider }, 'sts: unparsable text frame ignored');
        return;
      }
      if (msg && typeof msg === 'object' && !Array.isArray(msg)) this.onJson(msg as JsonMessage);
    });
    socket.on('error', (e) =>
      this.fail(new ProviderError('unavailable', `${provider}: ${e.message}`, { provider, cause: e })),
    );
    socket.on('close', (code, reason) => {
      this.onSocketClosed();
      if (this.#closing) {
        this.events.close();
        return;
      }
      const why = reason.toString('utf8').slice(0, 200);
      this.fail(
        new ProviderError(
          'unavailable',
          `${provider}: connection closed mid-call (code ${code}${why ? `, ${why}` : ''})`,
          {
            provider,
          },
        ),
      );
    });
    socket.resume();
  }

  /** Resolves once the vendor's handshake is done; aborting `signal` closes the socket. */
  async opened(signal: AbortSignal): Promise<this> {
    const onAbort = () => {
      this.fail(ProviderError.from(signal.reason, this.provider));
      this.socket.terminate();
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#readyPromise;
      return this;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  protected markReady(): void {
    this.#ready?.resolve();
  }

  protected get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN && !this.#closing;
  }

  /**
   * A text frame before it is parsed: an adapter may handle its hot message (audio, 50 a second
   * per call) without JSON.parse and return true; anything else goes on to `onJson`.
   */
  protected onText(_data: Buffer): boolean {
    return false;
  }

  protected sendJson(msg: JsonMessage): void {
    if (this.isOpen) this.socket.send(JSON.stringify(msg));
  }

  protected emit(ev: StsEvent): void {
    this.events.push(ev);
  }

  /** Ends the stream with `error` (before the handshake, the connect rejects with it). */
  protected fail(error: ProviderError): void {
    this.#ready?.reject(error);
    this.events.fail(error);
    if (!this.#closing && this.socket.readyState === WebSocket.OPEN)
      this.socket.close(1011, 'provider error');
    this.#closing = true;
  }

  protected abstract onJson(msg: JsonMessage): void;

  protected onBinary(_data: Buffer): void {
    this.logger.debug({ provider: this.provider }, 'sts: binary frame ignored');
  }

  /** Owners of timers stop them here; called once whichever side closed. */
  protected onSocketClosed(): void {}

  abstract push(frame: AudioFrame): void;
  abstract say(text: string): void;
  abstract sendToolResult(callId: string, output: string): void;
  abstract interrupt(heardMs: number): void;

  async close(): Promise<void> {
    if (this.#closing) {
      this.events.close();
      return;
    }
    this.#closing = true;
    this.events.close();
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }
}

/** Base64 of a frame's bytes without copying them. */
const BASE64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const PAD = 0x3d; // '='

/**
 * `head`, then `data` in base64, then `tail`, as one buffer: an audio message built without an
 * intermediate string. Sent as a text frame, ws masks it into one buffer and writes it with one
 * write, where a string goes through a copy and a two-buffer writev (per frame, 50 times a second
 * per call).
 */
export function jsonWithBase64(head: Uint8Array, data: Uint8Array, tail: Uint8Array): Buffer {
  const n = data.byteLength;
  const out = Buffer.allocUnsafe(head.byteLength + Math.ceil(n / 3) * 4 + tail.byteLength);
  out.set(head, 0);
  let o = head.byteLength;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number);
    out[o++] = BASE64[v >>> 18] as number;
    out[o++] = BASE64[(v >>> 12) & 63] as number;
    out[o++] = BASE64[(v >>> 6) & 63] as number;
    out[o++] = BASE64[v & 63] as number;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = ((data[i] as number) << 16) | (two ? (data[i + 1] as number) << 8 : 0);
    out[o++] = BASE64[v >>> 18] as number;
    out[o++] = BASE64[(v >>> 12) & 63] as number;
    out[o++] = two ? (BASE64[(v >>> 6) & 63] as number) : PAD;
    out[o++] = PAD;
  }
  out.set(tail, o);
  return out;
}

export const toBase64 = (data: Uint8Array): string =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const obj = (v: unknown): JsonMessage | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonMessage) : undefined;
