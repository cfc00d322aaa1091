/**
 * One connection to Home Assistant's WebSocket API (protocols.md §9.1): the auth handshake, then
 * commands with increasing ids answered by `result` messages, and subscription events. It does
 * not reconnect; `HomeConnection` owns the retry.
 */
import { EventEmitter } from 'node:events';
import { type OutboundGuard, outboundRefusal } from '@switchboard/core';
import WebSocket from 'ws';

/** Which step of reaching Home Assistant failed; a saved connection reports exactly this. */
export type HaCheck = 'url' | 'connect' | 'handshake' | 'auth' | 'registry' | 'timeout';

export class HaError extends Error {
  constructor(
    readonly check: HaCheck,
    message: string,
    /** Home Assistant's own error code for a failed command (`not_found`, `unauthorized`…). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HaError';
  }
}

/** `http://ha.local:8123/` → `ws://ha.local:8123/api/websocket`. Throws an `url` HaError. */
export function websocketUrl(base: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new HaError(
      'url',
      `${JSON.stringify(base)} is not a URL; expected e.g. http://homeassistant.local:8123`,
    );
  }
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[u.protocol];
  if (!scheme) throw new HaError('url', `the URL must start with http://, https://, ws:// or wss://`);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api\/websocket$/, '');
  return `${scheme}//${u.host}${path}/api/websocket`;
}

/** The REST base for the same instance: `http://ha.local:8123`. */
export function restBase(base: string): string {
  const u = new URL(base);
  const scheme = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  return `${scheme}//${u.host}${u.pathname.replace(/\/+$/, '').replace(/\/api\/websocket$/, '')}`;
}

export interface HaSocketOptions {
  url: string;
  token: string;
  /** Every connection a workspace user aims goes through it (private networks need the operator's leave). */
  guard?: OutboundGuard;
  timeoutMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Events: `event` (subscription id, event body) for subscription messages, `close` (reason) once
 * when the socket goes away for any reason after `open` resolved.
 */
export class HaSocket extends EventEmitter {
  readonly haVersion: string;
  readonly #ws: WebSocket;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  private constructor(ws: WebSocket, haVersion: string, timeoutMs: number) {
    super();
    this.#ws = ws;
    this.haVersion = haVersion;
    this.#timeoutMs = timeoutMs;
    ws.on('message', (data) => this.#onMessage(String(data)));
    ws.on('close', () => this.#shutdown('connection closed'));
    ws.on('error', (e) => this.#shutdown(e.message));
  }

  /** Connects and authenticates; rejects with an HaError naming the step that failed. */
  static open(o: HaSocketOptions): Promise<HaSocket> {
    const url = websocketUrl(o.url);
    const timeoutMs = o.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, {
          handshakeTimeout: timeoutMs,
          ...(o.guard ? o.guard.socketOptions(url) : {}),
        });
      } catch (e) {
        reject(new HaError(outboundRefusal(e) ? 'url' : 'connect', (e as Error).message));
        return;
      }
      let step: 'connect' | 'handshake' | 'auth' = 'connect';
      const fail = (check: HaCheck, message: string) => {
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new HaError(check, message));
      };
      const timer = setTimeout(
        () =>
          fail(
            step === 'connect' ? 'connect' : 'timeout',
            `no answer from Home Assistant within ${timeoutMs} ms (${step})`,
          ),
        timeoutMs,
      );
      ws.on('error', (e) => {
        // The outbound policy refusing the address (checked at DNS time) is about the URL, not the network.
        if (outboundRefusal(e)) return fail('url', e.message);
        fail(step === 'connect' ? 'connect' : step, `cannot reach ${url}: ${e.message}`);
      });
      ws.on('unexpected-response', (_req, res) =>
        fail('connect', `${url} answered HTTP ${res.statusCode}; is this a Home Assistant URL?`),
      );
      ws.on('close', () => fail(step, `Home Assistant closed the connection during ${step}`));
      ws.on('open', () => {
        step = 'handshake';
      });
      ws.on('message', (data) => {
        let msg: { type?: string; ha_version?: string; message?: string };
        try {
          msg = JSON.parse(String(data));
        } catch {
          return fail('handshake', 'Home Assistant sent something that is not JSON');
        }
        if (step === 'handshake') {
          if (msg.type !== 'auth_required') {
            return fail('handshake', `expected auth_required first, got ${String(msg.type)}`);
          }
          step = 'auth';
          ws.send(JSON.stringify({ type: 'auth', access_token: o.token }));
          return;
        }
        if (msg.type === 'auth_ok') {
          clearTimeout(timer);
          ws.removeAllListeners();
          resolve(new HaSocket(ws, msg.ha_version ?? 'unknown', timeoutMs));
          return;
        }
        if (msg.type === 'auth_invalid') {
          return fail('auth', `Home Assistant refused the token: ${msg.message ?? 'invalid access token'}`);
        }
        fail('handshake', `expected auth_ok or auth_invalid, got ${String(msg.type)}`);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one command and resolves with its `result`; rejects with Home Assistant's error. */
  command<T = unknown>(message: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new HaError('connect', 'not connected to Home Assistant'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HaError('timeout', `${String(message.type)} got no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#ws.send(JSON.stringify({ ...message, id }), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new HaError('connect', err.message));
      });
    });
  }

  /** Subscribes to an event type; events arrive as `event` with the returned subscription id. */
  async subscribe(eventType: string): Promise<number> {
    const id = this.#nextId;
    await this.command({ type: 'subscribe_events', event_type: eventType });
    return id;
  }

  close(): void {
    this.#ws.close();
    this.#shutdown('closed by us');
  }

  /** Drops the connection without a close handshake (tests, and a peer that stopped answering). */
  terminate(): void {
    this.#ws.terminate();
    this.#shutdown('terminated');
  }

  #onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    // With coalesce_messages Home Assistant batches messages into one array frame.
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      const msg = m as {
        id?: number;
        type?: string;
        success?: boolean;
        result?: unknown;
        error?: { code?: string; message?: string };
        event?: unknown;
      };
      if (typeof msg.id !== 'number') continue;
      if (msg.type === 'event') {
        this.emit('event', msg.id, msg.event);
        continue;
      }
      const p = this.#pending.get(msg.id);
      if (!p) continue;
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'pong') p.resolve(null);
      else if (msg.success) p.resolve(msg.result);
      else
        p.reject(
          new HaError(
            'registry',
            msg.error?.message ?? 'Home Assistant refused the command',
            msg.error?.code ?? 'unknown_error',
          ),
        );
    }
  }

  #shutdown(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new HaError('connect', `connection to Home Assistant lost: ${reason}`));
    }
    this.#pending.clear();
    this.emit('close', reason);
  }
}
