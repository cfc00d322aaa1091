/**
 * The carrier side of a media WebSocket, for tests and benchmarks: a real `ws` client that sends
 * what a script tells it and records every message the app sends back. Carrier doubles build on
 * it (ScriptedTwilio, ScriptedPlivo, ScriptedTelnyx).
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

export type Json = Record<string, unknown>;

export class ScriptedSocket {
  /** Every JSON message received, in order (non-JSON text is kept in `raw` only). */
  readonly received: Json[] = [];
  readonly raw: string[] = [];
  /** Settles when the socket closes, with the close code. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #ws: WebSocket;
  #waiters: { check: () => boolean; resolve: () => void }[] = [];
  protected onMessage?: (msg: Json) => void;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      this.raw.push(text);
      try {
        const msg = JSON.parse(text) as Json;
        this.received.push(msg);
        this.onMessage?.(msg);
      } catch {
        // recorded raw only
      }
      this.#wake();
    });
    ws.on('error', () => {});
  }

  /** Opens a socket; rejects when the handshake fails (e.g. the route refused it). */
  static connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode}`)),
      );
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends a JSON message, or a string exactly as given (for malformed input). */
  send(msg: Json | string): void {
    this.#ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  sendBinary(data: Uint8Array): void {
    this.#ws.send(data, { binary: true });
  }

  close(code = 1000): void {
    this.#ws.close(code);
  }

  /** Drops the TCP connection without a close frame: a carrier that vanished. */
  terminate(): void {
    this.#ws.terminate();
  }

  /** Messages received with this `event`. */
  events(event: string): Json[] {
    return this.received.filter((m) => m.event === event);
  }

  /** Resolves once `check` holds (checked on every message and on close). */
  until(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.slice(-5))}`),
        );
      }, timeoutMs);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Resolves once `n` messages with this event have arrived. */
  untilEvents(event: string, n = 1, timeoutMs = 3000): Promise<Json[]> {
    return this.until(() => this.events(event).length >= n, timeoutMs, `${n} × ${event}`).then(() =>
      this.events(event),
    );
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}

/** A committed fixture, parsed fresh each time so a test can modify its copy. */
export function loadFixture(carrier: string, name: string): Json {
  const url = new URL(`../../fixtures/${carrier}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Json;
}
