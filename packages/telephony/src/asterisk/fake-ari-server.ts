/**
 * A scripted Asterisk ARI for tests: REST on http://127.0.0.1:<port>/ari (every request recorded,
 * answered 204 or with a channel for externalMedia) and the events WebSocket, through which a
 * test sends StasisStart, ChannelDtmfReceived, StasisEnd… as Asterisk would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeAriRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export class FakeAriServer {
  readonly requests: FakeAriRequest[] = [];
  /** Where the fake "Asterisk" says it receives externalMedia RTP (UNICASTRTP_LOCAL_*). */
  rtpTarget = { address: '127.0.0.1', port: 0 };
  /** Status to answer for a path, to script failures. */
  readonly failures = new Map<string, number>();
  readonly #http: http.Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #waiters = new Set<() => void>();

  private constructor() {
    this.#http = http.createServer((req, res) => this.#handle(req, res));
    this.#wss = new WebSocketServer({ server: this.#http, path: '/ari/events' });
    this.#wss.on('connection', (ws) => {
      this.#sockets.add(ws);
      ws.on('close', () => this.#sockets.delete(ws));
      this.#notify();
    });
  }

  static async start(): Promise<FakeAriServer> {
    const s = new FakeAriServer();
    await new Promise<void>((r) => s.#http.listen(0, '127.0.0.1', r));
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Sends an event to every connected application socket. */
  emit(event: Record<string, unknown>): void {
    const text = JSON.stringify({
      application: 'switchboard',
      timestamp: new Date().toISOString(),
      ...event,
    });
    for (const ws of this.#sockets) ws.send(text);
  }

  /** Drops every events socket, as an Asterisk restart would. */
  dropConnections(): void {
    for (const ws of this.#sockets) ws.terminate();
  }

  waitFor(test: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!test()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  find(method: string, path: string): FakeAriRequest | undefined {
    return this.requests.find((r) => r.method === method && r.path === path);
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
    await new Promise<void>((r) => this.#http.close(() => r()));
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = Buffer.concat(chunks).toString();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const path = url.pathname.replace(/^\/ari/, '');
      const r: FakeAriRequest = {
        method: req.method ?? 'GET',
        path,
        query: Object.fromEntries(url.searchParams),
        body,
        authorization: req.headers.authorization,
      };
      this.requests.push(r);
      const failure = this.failures.get(path);
      if (failure) {
        res.writeHead(failure, { 'content-type': 'application/json' }).end('{"message":"scripted failure"}');
      } else if (r.method === 'POST' && path === '/channels/externalMedia') {
        const channel = {
          id: r.query.channelId ?? 'media-1',
          name: `UnicastRTP/${r.query.external_host}-00000001`,
          state: 'Down',
          channelvars: {
            UNICASTRTP_LOCAL_ADDRESS: this.rtpTarget.address,
            UNICASTRTP_LOCAL_PORT: String(this.rtpTarget.port),
          },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(channel));
      } else if (r.method === 'POST' && (path === '/channels' || path === '/bridges')) {
        const id = r.query.channelId ?? r.query.bridgeId ?? 'x';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      } else res.writeHead(204).end();
      this.#notify();
    });
  }
}
