/**
 * The two halves of ARI: REST (`fetch`, HTTP Basic) and the events WebSocket of one Stasis
 * application, reconnected with capped exponential backoff. Events are handed on as parsed JSON;
 * anything that is not a JSON object is logged and dropped.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '@switchboard/core';
import WebSocket from 'ws';
import { CarrierError } from '../ws-media/carrier-error.js';

export interface AriClientOptions {
  /** `http://host:8088` or `http://host:8088/ari`. */
  url: string;
  username: string;
  password: string;
  app: string;
  logger: Logger;
  requestTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export type AriConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** An ARI event: `type` plus whatever the event carries. */
export type AriEvent = { type: string } & Record<string, unknown>;

export type AriQuery = Record<string, string | number | boolean | undefined>;

export class AriClient extends EventEmitter<{ event: [AriEvent]; state: [AriConnectionState] }> {
  state: AriConnectionState = 'disconnected';
  readonly #o: AriClientOptions;
  readonly #base: string;
  readonly #auth: string;
  #ws: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;

  constructor(options: AriClientOptions) {
    super();
    this.#o = options;
    const u = options.url.replace(/\/+$/, '');
    this.#base = u.endsWith('/ari') ? u : `${u}/ari`;
    this.#auth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  }

  /** Opens the events socket; resolves once the first connection is up (later drops reconnect). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onState = (s: AriConnectionState) => {
        if (s === 'connected') {
          this.off('state', onState);
          resolve();
        }
      };
      this.on('state', onState);
      this.#connect((err) => {
        this.off('state', onState);
        reject(err);
      });
    });
  }

  stop(): void {
    this.#setState('stopped');
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ws?.terminate();
    this.#ws = undefined;
  }

  async request<T = unknown>(method: string, path: string, query: AriQuery = {}, body?: unknown): Promise<T> {
    const url = new URL(`${this.#base}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: this.#auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#o.requestTimeoutMs ?? 5000),
      });
    } catch (e) {
      throw new CarrierError('asterisk', 0, `ARI ${method} ${path} failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // ARI answers some errors as plain text.
      }
      throw new CarrierError('asterisk', res.status, `ARI ${method} ${path}: ${res.status} ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** `first` reports a failure of the first attempt; later failures only schedule a retry. */
  #connect(first?: (err: Error) => void): void {
    if (this.state === 'stopped') return;
    this.#setState('connecting');
    const url = new URL(`${this.#base.replace(/^http/, 'ws')}/events`);
    url.searchParams.set('app', this.#o.app);
    const ws = new WebSocket(url, { headers: { authorization: this.#auth }, handshakeTimeout: 5000 });
    this.#ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.#attempt = 0;
      this.#setState('connected');
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let ev: unknown;
      try {
        ev = JSON.parse(data.toString());
      } catch {
        this.#o.logger.warn('ignored an ARI event that is not JSON');
        return;
      }
      if (ev && typeof ev === 'object' && typeof (ev as { type?: unknown }).type === 'string')
        this.emit('event', ev as AriEvent);
    });
    ws.on('error', (err) => {
      this.#o.logger.warn({ err: err.message }, 'ARI events socket error');
      if (!opened && first) {
        const f = first;
        first = undefined;
        this.stop();
        f(err);
      }
    });
    ws.on('close', () => {
      if (this.#ws !== ws || this.state === 'stopped') return;
      this.#setState('disconnected');
      const min = this.#o.reconnectMinMs ?? 500;
      const delay = Math.min(this.#o.reconnectMaxMs ?? 30_000, min * 2 ** this.#attempt++);
      this.#o.logger.warn({ delayMs: delay }, 'ARI events socket closed; reconnecting');
      this.#timer = setTimeout(() => this.#connect(), delay);
      this.#timer.unref();
    });
  }

  #setState(s: AriConnectionState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }
}
