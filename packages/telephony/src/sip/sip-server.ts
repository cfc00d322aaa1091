/**
 * The built-in SIP user agent: UDP/TCP transport, transactions, dialogs, inbound calls through
 * `onCall`, outbound calls through `dial`, and REGISTER to a provider. Each call is a
 * `SipCallLeg`; the server owns the sockets and protocol timers and releases them in `stop()`.
 */
import type dgram from 'node:dgram';
import { silentLogger } from '@switchboard/core';
import { type Clock, systemClock } from '@switchboard/media';
import { dialogKey, tagOf } from './dialog.js';
import { formatDigestChallenge, newNonce, verifyDigest } from './digest.js';
import { formatVia, getHeader, parseCSeq, parseVia, topVia } from './headers.js';
import { handleInvite, legKey, type PendingInvite } from './inbound-call.js';
import { MediaTicker } from './media-ticker.js';
import type { SipMessage, SipRequest, SipResponse } from './message.js';
import { type DialOptions, dial } from './outbound-call.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { type RegisterOptions, SipRegistration } from './registration.js';
import { makeResponse, newBranch } from './response.js';
import { RtpPortAllocator } from './rtp-ports.js';
import { RtpSession } from './rtp-session.js';
import type { SipCallLeg } from './sip-call-leg.js';
import type { SipServerOptions } from './sip-server-options.js';
import { ALLOW, type NegotiatedMedia, type RtpSink, type SipCallContext } from './stack.js';
import {
  ClientTransactions,
  DEFAULT_SIP_TIMERS,
  ServerTransactions,
  type SipTimers,
} from './transactions.js';
import { type SipPeer, SipTransport, type SipTransportName } from './transport.js';

const MAX_NONCES = 1000;

export class SipServer {
  private readonly opts: SipServerOptions;
  private readonly ctx: SipCallContext;
  private readonly transport: SipTransport;
  private readonly serverTx: ServerTransactions;
  private readonly clientTx: ClientTransactions;
  private readonly ports: RtpPortAllocator;
  private readonly tickers = new Map<number, MediaTicker>();
  private readonly legs = new Map<string, SipCallLeg>();
  private readonly pending = new Map<string, PendingInvite>();
  private readonly registrations = new Set<SipRegistration>();
  private readonly nonces = new Set<string>();
  private readonly host: string;
  private running = false;

  constructor(options: SipServerOptions = {}) {
    this.opts = options;
    this.host = options.host ?? '127.0.0.1';
    const clock: Clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger();
    const timers: SipTimers = { ...DEFAULT_SIP_TIMERS, ...options.timers };
    const send = (m: SipMessage, p: SipPeer, onError?: (e: Error) => void) =>
      this.transport.send(m, p, onError);
    this.transport = new SipTransport({
      host: this.host,
      port: options.port ?? 5060,
      transports: options.transports ?? ['udp', 'tcp'],
      logger,
      junkLog: new RateLimitedLog(logger, () => clock.now()),
      onMessage: (m, p) => this.onMessage(m, p),
    });
    this.serverTx = new ServerTransactions(timers, send);
    this.clientTx = new ClientTransactions(clock, timers, send);
    this.ports = new RtpPortAllocator(this.host, options.rtpPortRange ?? [40000, 40999]);
    const self = this;
    this.ctx = {
      clock,
      logger,
      timers,
      userAgent: options.userAgent ?? 'Switchboard',
      codecs: options.codecs ?? ['PCMU', 'PCMA'],
      mediaTimeoutMs: options.mediaTimeoutMs ?? 30_000,
      get advertisedAddress() {
        return options.advertisedAddress ?? self.host;
      },
      via: (t) => `SIP/2.0/${t.toUpperCase()} ${this.hostPort()};branch=${newBranch()};rport`,
      contact: (t, user = 'switchboard') =>
        `<sip:${user}@${this.hostPort()}${t === 'tcp' ? ';transport=tcp' : ''}>`,
      request: (req, peer, handlers) => this.clientTx.request(req, peer, handlers),
      send: (m, p) => this.transport.send(m, p),
      respond: (req, res) => this.serverTx.respond(req, res),
      allocateRtp: () => this.ports.allocate(),
      startRtp: (socket, media, sink, callId) => this.startRtp(socket, media, sink, callId),
      adopt: (leg) => this.legs.set(legKey(leg), leg),
      release: (leg) => {
        if (this.legs.get(legKey(leg)) === leg) this.legs.delete(legKey(leg));
      },
      dial: (o) => this.dial(o),
    };
  }

  /** The bound address (port resolved when 0 was asked for). */
  get address(): { host: string; port: number; transports: SipTransportName[] } {
    return { host: this.host, port: this.transport.port, transports: this.opts.transports ?? ['udp', 'tcp'] };
  }

  /** Connected calls. */
  get calls(): SipCallLeg[] {
    return [...this.legs.values()];
  }

  /** Protocol state still held (transactions, calls, tickers): 0s after an idle period or `stop()`. */
  get resources(): { calls: number; pendingInvites: number; clientTransactions: number; tickers: number } {
    let tickers = 0;
    for (const t of this.tickers.values()) tickers += t.size;
    return {
      calls: this.legs.size,
      pendingInvites: this.pending.size,
      clientTransactions: this.clientTx.size,
      tickers,
    };
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.running = true;
  }

  /** Ends live calls with BYE, stops registrations, closes every socket and timer. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const p of [...this.pending.values()]) p.cancel();
    this.pending.clear();
    const byes = [...this.legs.values()].map((leg) => {
      const bye = leg.state === 'confirmed' ? leg.inDialog('BYE').catch(() => undefined) : undefined;
      leg.finish('shutdown', true);
      return bye;
    });
    const unregs = [...this.registrations].map((r) => r.stop());
    // Give BYEs and un-REGISTERs one round trip to go out before the sockets close.
    await Promise.race([Promise.all([...byes, ...unregs]), new Promise((r) => setTimeout(r, 200))]);
    this.clientTx.clear();
    this.serverTx.clear();
    for (const t of this.tickers.values()) t.stop();
    this.tickers.clear();
    await this.transport.stop();
  }

  /** Places a call; resolves with the connected leg on 200 OK, rejects with `SipDialError`. */
  dial(options: DialOptions): Promise<SipCallLeg> {
    if (!this.running) return Promise.reject(new Error('SIP server is not running'));
    return dial(this.ctx, options, this.opts.trunk);
  }

  /** Registers with a provider and keeps the registration fresh until `stop()`. */
  register(options: RegisterOptions): SipRegistration {
    const reg = new SipRegistration(this.ctx, options, () => this.registrations.delete(reg));
    this.registrations.add(reg);
    reg.start();
    return reg;
  }

  private hostPort(): string {
    const a = this.ctx.advertisedAddress;
    return `${a.includes(':') ? `[${a}]` : a}:${this.transport.port}`;
  }

  private startRtp(socket: dgram.Socket, media: NegotiatedMedia, sink: RtpSink, callId: string): RtpSession {
    const ticker = (periodMs: number) => {
      let t = this.tickers.get(periodMs);
      if (!t) {
        t = new MediaTicker(this.ctx.clock, periodMs);
        this.tickers.set(periodMs, t);
      }
      return t;
    };
    const onRtpSend = this.opts.onRtpSend;
    return new RtpSession({
      socket,
      clock: this.ctx.clock,
      ticker,
      payloadType: media.payloadType,
      format: media.format,
      ...(media.telephoneEventPt === undefined ? {} : { telephoneEventPt: media.telephoneEventPt }),
      ptimeMs: media.ptimeMs,
      remote: media.remote,
      mediaTimeoutMs: this.ctx.mediaTimeoutMs,
      ...sink,
      ...(onRtpSend ? { onSend: (at: number) => onRtpSend(callId, at) } : {}),
    });
  }

  private onMessage(message: SipMessage, peer: SipPeer): void {
    if (message.kind === 'response') {
      this.onResponse(message, peer);
      return;
    }
    const req = message;
    let cseqMethod: string;
    try {
      topVia(req);
      cseqMethod = parseCSeq(getHeader(req, 'cseq') ?? '').method;
      if (!getHeader(req, 'call-id') || !getHeader(req, 'from') || !getHeader(req, 'to'))
        throw new Error('missing');
    } catch {
      this.ctx.logger.debug({ method: req.method }, 'request lacks mandatory headers; dropped');
      return;
    }
    if (cseqMethod !== req.method) {
      this.stateless(req, peer, 400, 'CSeq method mismatch');
      return;
    }
    this.stampSource(req, peer);
    const verdict = this.serverTx.receive(req, peer);
    if (verdict !== 'new') return;
    this.route(req, peer);
  }

  private route(req: SipRequest, peer: SipPeer): void {
    const callId = getHeader(req, 'call-id') ?? '';
    const toTag = tagOf(getHeader(req, 'to'));
    if (req.method === 'CANCEL') {
      const key = this.inviteKey(req);
      const pending = this.pending.get(key);
      this.reply(req, pending ? 200 : 481);
      this.pending.delete(key);
      pending?.cancel();
      return;
    }
    if (toTag !== '') {
      const leg = this.legs.get(dialogKey(callId, toTag, tagOf(getHeader(req, 'from'))));
      if (leg) {
        leg.onRequest(req);
        return;
      }
      if (req.method !== 'ACK') this.reply(req, 481);
      return;
    }
    switch (req.method) {
      case 'INVITE':
        if (!this.authorized(req)) return;
        void handleInvite(this.ctx, req, peer, this.opts.onCall, (p) => {
          const key = this.inviteKey(req);
          if (p) this.pending.set(key, p);
          else this.pending.delete(key);
        }).catch((err: unknown) => this.ctx.logger.error({ err, callId }, 'inbound INVITE failed'));
        return;
      case 'OPTIONS':
        if (this.opts.available?.() === false) {
          this.reply(req, 503, undefined, [{ name: 'Retry-After', value: '5' }]);
          return;
        }
        this.reply(req, 200, undefined, [
          { name: 'Allow', value: ALLOW },
          { name: 'Accept', value: 'application/sdp' },
        ]);
        return;
      case 'ACK':
        return;
      case 'BYE':
        this.reply(req, 481);
        return;
      default:
        this.reply(req, 405, undefined, [{ name: 'Allow', value: ALLOW }]);
        return;
    }
  }

  private onResponse(res: SipResponse, peer: SipPeer): void {
    if (this.clientTx.receive(res, peer)) return;
    // A retransmitted 2xx means our ACK was lost: send it again (RFC 3261 §13.2.2.4).
    try {
      if (parseCSeq(getHeader(res, 'cseq') ?? '').method !== 'INVITE' || res.status >= 300) return;
    } catch {
      return;
    }
    const leg = this.legs.get(
      dialogKey(getHeader(res, 'call-id') ?? '', tagOf(getHeader(res, 'from')), tagOf(getHeader(res, 'to'))),
    );
    if (leg?.lastAck) this.transport.send(leg.lastAck, leg.dialog.peer);
  }

  /** RFC 3581: record where the request really came from, so responses traverse NAT. */
  private stampSource(req: SipRequest, peer: SipPeer): void {
    const idx = req.headers.findIndex((h) => h.name.toLowerCase() === 'via' || h.name === 'v');
    const h = req.headers[idx];
    if (!h) return;
    const [first = '', ...rest] = h.value.split(',');
    try {
      const via = parseVia(first);
      if (via.host !== peer.address) via.params.set('received', peer.address);
      if (via.params.has('rport')) via.params.set('rport', String(peer.port));
      h.value = [formatVia(via), ...rest].join(',');
      // Responses go to the source address: to its port with rport (or over TCP), else the Via port.
      if (peer.transport === 'udp' && !via.params.has('rport')) peer.port = via.port ?? 5060;
    } catch {
      // topVia() already accepted this header; nothing more to learn from it.
    }
  }

  private inviteKey(req: SipRequest): string {
    return `${topVia(req).params.get('branch') ?? ''}\n${getHeader(req, 'call-id') ?? ''}`;
  }

  private reply(
    req: SipRequest,
    status: number,
    reason?: string,
    headers: Array<{ name: string; value: string }> = [],
  ) {
    this.serverTx.respond(req, makeResponse(req, status, reason, { headers }));
  }

  private stateless(req: SipRequest, peer: SipPeer, status: number, reason: string): void {
    this.transport.send(makeResponse(req, status, reason), peer);
  }

  /** Digest challenge for inbound INVITEs when `auth` is configured; false when challenged. */
  private authorized(req: SipRequest): boolean {
    const auth = this.opts.auth;
    if (!auth) return true;
    const creds = getHeader(req, 'authorization');
    if (creds) {
      const user = /username="([^"]*)"/.exec(creds)?.[1] ?? '';
      const nonce = /nonce="([^"]*)"/.exec(creds)?.[1] ?? '';
      const password = auth.users[user];
      if (
        password !== undefined &&
        this.nonces.has(nonce) &&
        verifyDigest(creds, { method: 'INVITE', realm: auth.realm, password })
      ) {
        return true;
      }
    }
    const nonce = newNonce();
    this.nonces.add(nonce);
    if (this.nonces.size > MAX_NONCES) this.nonces.delete(this.nonces.values().next().value ?? '');
    this.reply(req, 401, undefined, [
      { name: 'WWW-Authenticate', value: formatDigestChallenge({ realm: auth.realm, nonce }) },
    ]);
    return false;
  }
}
