import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { type OutboundGuard, outboundRefusal } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import { AsyncQueue } from '../util/async-queue.js';
import { causeText, connectError } from '../util/http-stream.js';
import { encodeWyoming, WyomingDecoder, type WyomingEvent } from './wyoming-codec.js';

/**
 * One TCP connection to a Wyoming service. Events read from it are a queue; the connection ending
 * before the caller is done fails the queue as `unavailable`, and a server `error` event likewise.
 */
export class WyomingConnection {
  readonly events = new AsyncQueue<WyomingEvent>();
  readonly #socket: Socket;
  #done = false;

  private constructor(socket: Socket, provider: string) {
    this.#socket = socket;
    const decoder = new WyomingDecoder();
    socket.on('data', (chunk: Buffer) => {
      let events: WyomingEvent[];
      try {
        events = decoder.push(chunk);
      } catch (e) {
        this.#fail(new ProviderError('protocol', `${provider}: bad event: ${causeText(e)}`, { provider }));
        return;
      }
      for (const ev of events) {
        if (ev.type === 'error') {
          const text = typeof ev.data.text === 'string' ? ev.data.text : 'error';
          this.#fail(new ProviderError('unavailable', `${provider}: ${text}`, { provider }));
          return;
        }
        this.events.push(ev);
      }
    });
    socket.on('error', () => {
      // 'close' follows.
    });
    socket.on('close', () => {
      if (this.#done) this.events.close();
      else this.#fail(new ProviderError('unavailable', `${provider}: connection closed`, { provider }));
    });
  }

  /** With `outbound`, the address is checked (network policy) and the socket goes to the checked one. */
  static open(
    provider: string,
    host: string,
    port: number,
    signal: AbortSignal,
    outbound?: OutboundGuard,
  ): Promise<WyomingConnection> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let options: NetConnectOpts = { host, port };
      try {
        if (outbound) options = outbound.connectOptions(host, port);
      } catch (e) {
        reject(connectError(provider, `tcp://${host}:${port}`, e));
        return;
      }
      const socket = connect(options);
      socket.setNoDelay(true);
      const onAbort = () => {
        socket.destroy();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.removeAllListeners('error');
        resolve(new WyomingConnection(socket, provider));
      });
      socket.once('error', (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(
          outboundRefusal(e)
            ? connectError(provider, `tcp://${host}:${port}`, e)
            : new ProviderError('unavailable', `${provider}: cannot reach ${host}:${port}: ${causeText(e)}`, {
                provider,
                cause: e,
              }),
        );
      });
    });
  }

  send(event: WyomingEvent): void {
    if (!this.#socket.destroyed) this.#socket.write(encodeWyoming(event));
  }

  /** Reads events until one of `types`; others are skipped. */
  async until(...types: string[]): Promise<WyomingEvent> {
    for (;;) {
      const r = await this.events.next();
      if (r.done) throw new Error('wyoming connection ended');
      if (types.includes(r.value.type)) return r.value;
    }
  }

  /** Ends the connection; what is still queued can be read. */
  close(): void {
    this.#done = true;
    this.#socket.destroy();
  }

  #fail(e: ProviderError): void {
    this.#done = true;
    this.events.fail(e);
    this.#socket.destroy();
  }
}
