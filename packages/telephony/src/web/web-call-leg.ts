import { EventEmitter } from 'node:events';
import type { EndedReason, Logger } from '@switchboard/core';
import { type CallLeg, type CallLegEvents, Channel } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, FormatAdapter, PCM16_16K } from '@switchboard/media';
import type { WebSocket } from 'ws';

/** Largest audio message a page may send: one second of 16 kHz PCM. Bigger ones are dropped. */
const MAX_FRAME_BYTES = 32_000;

/** Messages the page sends besides binary audio. */
type PageMessage = { type: 'dtmf'; digit: string } | { type: 'hangup' };

/**
 * A browser call: 16 kHz 16-bit PCM both ways as binary WebSocket messages, and small JSON control
 * messages (`clear`, `hangup`, `transcript` out; `dtmf`, `hangup` in).
 */
export class WebCallLeg implements CallLeg {
  readonly direction = 'inbound' as const;
  readonly connector = 'web';
  readonly inputFormat: AudioFormat = PCM16_16K;
  readonly outputFormat: AudioFormat = PCM16_16K;
  readonly #events = new EventEmitter();
  readonly #audio = new Channel<AudioFrame>();
  readonly #out = new FormatAdapter(PCM16_16K);
  #ended = false;

  constructor(
    readonly id: string,
    readonly from: string,
    readonly to: string,
    private readonly socket: WebSocket,
    private readonly logger: Logger,
  ) {
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('close', () => this.#end('caller-hangup'));
    socket.on('error', (err) => {
      this.logger.debug({ err: err.message }, 'browser socket error');
      this.#end('connector-error');
    });
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.#audio;
  }

  on<E extends keyof CallLegEvents>(event: E, listener: (...args: CallLegEvents[E]) => void): this {
    this.#events.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  off<E extends keyof CallLegEvents>(event: E, listener: (...args: CallLegEvents[E]) => void): this {
    this.#events.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  play(frame: AudioFrame): void {
    if (this.#ended || this.socket.readyState !== this.socket.OPEN) return;
    const out = this.#out.convert(frame);
    this.socket.send(out.data, { binary: true });
  }

  clear(): void {
    this.send({ type: 'clear' });
  }

  async sendDtmf(digits: string): Promise<void> {
    this.send({ type: 'dtmf', digits });
  }

  async transfer(_target: string): Promise<void> {
    throw new Error('a browser call cannot be transferred');
  }

  async hangup(reason: EndedReason = 'agent-ended'): Promise<void> {
    if (this.#ended) return;
    this.send({ type: 'hangup', reason });
    this.socket.close(1000, 'call ended');
    this.#end(reason, false);
  }

  /** Sends a JSON control message to the page (live transcript, state). */
  send(message: Record<string, unknown>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#ended) return;
    if (isBinary) {
      if (data.byteLength === 0 || data.byteLength > MAX_FRAME_BYTES) return;
      // ws hands each message its own buffer, so a view is enough (no copy per frame); an odd
      // trailing byte is the engine's input guard's to repair.
      this.#audio.push({
        format: PCM16_16K,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
      return;
    }
    let msg: PageMessage;
    try {
      msg = JSON.parse(data.toString('utf8')) as PageMessage;
    } catch {
      this.logger.debug('ignored a malformed message from the page');
      return;
    }
    if (msg.type === 'dtmf' && typeof msg.digit === 'string' && /^[0-9*#A-D]$/.test(msg.digit)) {
      this.#events.emit('dtmf', msg.digit);
    } else if (msg.type === 'hangup') {
      this.socket.close(1000, 'caller hung up');
      this.#end('caller-hangup');
    }
  }

  #end(reason: EndedReason, notify = true): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#audio.close();
    this.#out.destroy();
    if (notify) this.#events.emit('hangup', reason);
  }
}
