/**
 * SIP transports: one UDP socket and one TCP listener on the same port. Parsing failures are
 * logged (rate-limited) and dropped here, so nothing malformed reaches the call logic. TCP
 * connections are reused for responses and for requests to the same peer (RFC 3261 §18).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '@switchboard/core';
import { SipParseError } from './errors.js';
import { SipStreamFramer } from './framer.js';
import { isKeepAlive, parseSipMessage, type SipMessage, serializeSipMessage } from './message.js';
import type { RateLimitedLog } from './rate-limited-log.js';

export type SipTransportName = 'udp' | 'tcp';

/** Where a message came from or goes to; `connection` pins a TCP flow. */
export interface SipPeer {
  transport: SipTransportName;
  address: string;
  port: number;
  connection?: net.Socket;
}

export interface SipTransportOptions {
  host: string;
  port: number;
  transports: readonly SipTransportName[];
  logger: Logger;
  junkLog: RateLimitedLog;
  onMessage(message: SipMessage, peer: SipPeer): void;
}

const peerKey = (address: string, port: number) => `${address}|${port}`;
const TCP_IDLE_MS = 15 * 60_000;

export class SipTransport {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly connections = new Map<string, net.Socket>();
  private boundPort = 0;

  constructor(private readonly opts: SipTransportOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    // Port 0 asks for any free port; the TCP listener must then take the same number as UDP.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bindAll();
        return;
      } catch (err) {
        await this.stop();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || this.opts.port !== 0 || attempt >= 5) throw err;
      }
    }
  }

  private async bindAll(): Promise<void> {
    let port = this.opts.port;
    if (this.opts.transports.includes('udp')) {
      const sock = dgram.createSocket(net.isIPv6(this.opts.host) ? 'udp6' : 'udp4');
      this.udp = sock;
      sock.on('message', (buf, rinfo) =>
        this.receive(buf, { transport: 'udp', address: rinfo.address, port: rinfo.port }),
      );
      sock.on('error', (err) => this.opts.logger.error({ err }, 'SIP UDP socket error'));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, this.opts.host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      port = sock.address().port;
    }
    if (this.opts.transports.includes('tcp')) {
      const server = net.createServer((s) => this.adopt(s));
      this.tcp = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.opts.logger.error({ err }, 'SIP TCP listener error'));
      const addr = server.address();
      if (addr && typeof addr === 'object') port = addr.port;
    }
    this.boundPort = port;
  }

  async stop(): Promise<void> {
    for (const s of this.connections.values()) s.destroy();
    this.connections.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }

  /** Sends a message; over TCP it reuses the peer's connection or opens one. */
  send(message: SipMessage, peer: SipPeer, onError?: (err: Error) => void): void {
    const buf = serializeSipMessage(message);
    if (peer.transport === 'udp') {
      if (!this.udp) {
        onError?.(new Error('SIP UDP transport is not running'));
        return;
      }
      this.udp.send(buf, peer.port, peer.address, (err) => {
        if (err) {
          this.opts.logger.debug({ err }, 'SIP UDP send failed');
          onError?.(err);
        }
      });
      return;
    }
    let conn = peer.connection;
    if (!conn || conn.destroyed) conn = this.connections.get(peerKey(peer.address, peer.port));
    if (!conn || conn.destroyed) {
      if (!this.tcp) {
        onError?.(new Error('SIP TCP transport is not running'));
        return;
      }
      conn = net.connect({ host: peer.address, port: peer.port });
      this.adopt(conn, peer);
    }
    peer.connection = conn;
    const c = conn;
    const fail = (err: Error) => onError?.(err);
    c.once('error', fail);
    c.write(buf, () => c.off('error', fail));
  }

  private adopt(sock: net.Socket, dialled?: SipPeer): void {
    const address = dialled?.address ?? sock.remoteAddress ?? '';
    const port = dialled?.port ?? sock.remotePort ?? 0;
    const key = peerKey(address, port);
    this.connections.set(key, sock);
    const framer = new SipStreamFramer();
    const peer: SipPeer = { transport: 'tcp', address, port, connection: sock };
    sock.setNoDelay(true);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('data', (chunk) => {
      for (const item of framer.push(chunk)) {
        if (item.type === 'message') this.deliver(item.message, peer);
        else if (item.type === 'keepalive') sock.write('\r\n');
        else this.opts.junkLog.warn({ transport: 'tcp', err: item.error.message }, 'dropped bad SIP data');
      }
    });
    sock.on('error', (err) => this.opts.logger.debug({ err }, 'SIP TCP connection error'));
    sock.on('close', () => {
      if (this.connections.get(key) === sock) this.connections.delete(key);
    });
  }

  private receive(buf: Buffer, peer: SipPeer): void {
    if (isKeepAlive(buf)) return;
    let message: SipMessage;
    try {
      message = parseSipMessage(buf);
    } catch (err) {
      const reason = err instanceof SipParseError ? err.message : String(err);
      this.opts.junkLog.warn(
        { transport: 'udp', bytes: buf.length, err: reason },
        'dropped bad SIP datagram',
      );
      return;
    }
    this.deliver(message, peer);
  }

  private deliver(message: SipMessage, peer: SipPeer): void {
    try {
      this.opts.onMessage(message, peer);
    } catch (err) {
      // A bug or a message shape the handlers did not expect must not take the server down.
      this.opts.junkLog.warn({ err: err instanceof Error ? err.message : String(err) }, 'SIP message failed');
    }
  }
}
