import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export type Received = { kind: 'json'; msg: Record<string, unknown> } | { kind: 'binary'; data: Buffer };

/** One accepted connection as the vendor sees it: what the client sent, and a way to answer. */
export class FakePeer {
  readonly received: Received[] = [];
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly socket: WebSocket;
  #waiters: (() => void)[] = [];

  constructor(socket: WebSocket, req: IncomingMessage) {
    this.socket = socket;
    this.url = req.url ?? '';
    this.headers = req.headers;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.received.push(
        isBinary ? { kind: 'binary', data } : { kind: 'json', msg: JSON.parse(data.toString('utf8')) },
      );
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** JSON messages of one `type`, in order. */
  messages(type: string): Record<string, unknown>[] {
    return this.received.flatMap((r) => (r.kind === 'json' && r.msg.type === type ? [r.msg] : []));
  }

  binary(): Buffer[] {
    return this.received.flatMap((r) => (r.kind === 'binary' ? [r.data] : []));
  }

  /** Waits (real time) until `cond` holds; throws after `timeoutMs` so a test fails, not hangs. */
  async until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('fake server: condition not met in time');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(msg: unknown): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  sendBinary(data: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data, { binary: true });
  }

  /** The connection drops without a close handshake (a crashed vendor or a cut network). */
  drop(): void {
    this.socket.terminate();
  }
}

export interface FakeWsServerOptions {
  /** HTTP statuses answered to the first upgrades, in order (then upgrades are accepted). */
  refuse?: number[];
  /** Body sent with a refused upgrade. */
  refuseBody?: string;
  /** Holds each upgrade this long before accepting it (a slow first byte). */
  upgradeDelayMs?: number;
  onConnection?: (peer: FakePeer) => void;
}

/** Upgrades still to refuse, and held (slow) ones that closing the server must answer. */
interface UpgradeState {
  refuse: number[];
  held: Set<() => void>;
  closing: boolean;
}

/**
 * A vendor stand-in on 127.0.0.1, port 0: records every upgrade attempt (headers, URL), refuses
 * some with HTTP statuses, and hands each accepted connection to the test as a FakePeer.
 */
export class FakeWsServer {
  readonly attempts: { url: string; headers: IncomingMessage['headers'] }[] = [];
  readonly peers: FakePeer[] = [];
  readonly #wss: WebSocketServer;
  readonly #state: UpgradeState;

  private constructor(wss: WebSocketServer, state: UpgradeState) {
    this.#wss = wss;
    this.#state = state;
  }

  static async start(opts: FakeWsServerOptions = {}): Promise<FakeWsServer> {
    let server: FakeWsServer | undefined;
    const state: UpgradeState = { refuse: [...(opts.refuse ?? [])], held: new Set(), closing: false };
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      verifyClient: (info, cb) => {
        server?.attempts.push({ url: info.req.url ?? '', headers: info.req.headers });
        const status = state.refuse.shift();
        const go = () => {
          const refused = state.closing ? 503 : status;
          if (refused)
            cb(false, refused, opts.refuseBody ?? 'refused', { 'Content-Type': 'application/json' });
          else cb(true);
        };
        if (!opts.upgradeDelayMs) return go();
        // Closing the server answers held upgrades at once, so nothing waits on a dead timer.
        const release = () => {
          clearTimeout(timer);
          state.held.delete(release);
          go();
        };
        const timer = setTimeout(release, opts.upgradeDelayMs);
        state.held.add(release);
      },
    });
    server = new FakeWsServer(wss, state);
    const s = server;
    wss.on('connection', (socket, req) => {
      const peer = new FakePeer(socket, req);
      s.peers.push(peer);
      opts.onConnection?.(peer);
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#wss.address() as AddressInfo).port}`;
  }

  get peer(): FakePeer | undefined {
    return this.peers.at(-1);
  }

  async waitPeer(timeoutMs = 10_000): Promise<FakePeer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.peer) {
      if (Date.now() > deadline) throw new Error('fake server: no connection');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.peer;
  }

  async close(): Promise<void> {
    this.#state.closing = true;
    for (const release of [...this.#state.held]) release();
    for (const c of this.#wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

/** A vendor exchange written from the protocol notes, under packages/providers/fixtures/. */
export function loadFixture<T>(vendor: string, name: string): T {
  const url = new URL(`../../fixtures/${vendor}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}
