/**
 * REGISTER to a provider (RFC 3261 §10) with digest auth, refreshed before it expires and
 * retried with backoff when it fails. State changes are reported as 'state' events so health
 * checks and metrics can show them.
 */

import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { buildAuthorization, parseDigestChallenge } from './digest.js';
import { getHeader } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { newCallId, newTag } from './response.js';
import type { SipCallContext } from './stack.js';
import type { SipPeer, SipTransportName } from './transport.js';
import { parseNameAddr, parseUri } from './uri.js';

export interface RegisterOptions {
  /** `sip:registrar.example.net[:port][;transport=tcp]`. */
  registrar: string;
  username: string;
  password?: string;
  /** Requested lifetime; default 300. */
  expiresSeconds?: number;
  transport?: SipTransportName;
}

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistered';

const MAX_BACKOFF_MS = 300_000;

export class SipRegistration extends EventEmitter {
  state: RegistrationState = 'registering';
  /** Why the last attempt failed (status or error text); never holds credentials. */
  lastError: string | undefined;
  /** Lifetime granted by the registrar, in seconds. */
  grantedSeconds: number | undefined;
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private cancelTimer: (() => void) | undefined;
  private backoffMs = 30_000;
  private stopped = false;

  constructor(
    private readonly ctx: SipCallContext,
    private readonly o: RegisterOptions,
    private readonly onStopped: () => void,
  ) {
    super();
    this.callId = newCallId(ctx.advertisedAddress);
  }

  start(): void {
    void this.attempt(this.o.expiresSeconds ?? 300);
  }

  /** Un-registers (Expires: 0) and stops refreshing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.state === 'registered') await this.send(0).catch(() => undefined);
    this.setState('unregistered');
    this.onStopped();
  }

  private setState(state: RegistrationState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  private schedule(ms: number, expires: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.ctx.clock.schedule(() => void this.attempt(expires), ms);
  }

  private async attempt(expires: number): Promise<void> {
    if (this.stopped) return;
    try {
      const res = await this.send(expires);
      if (this.stopped) return;
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res) ?? expires;
        this.grantedSeconds = granted;
        this.backoffMs = 30_000;
        this.lastError = undefined;
        this.setState('registered');
        // Refresh well before expiry: at 80 % of the lifetime, at least 5 s ahead.
        this.schedule(Math.max(1000, Math.min(granted * 800, (granted - 5) * 1000)), expires);
        return;
      }
      this.lastError = `${res.status} ${res.reason}`;
    } catch (err) {
      if (this.stopped) return;
      this.lastError = (err as Error).message;
    }
    this.ctx.logger.warn({ registrar: this.o.registrar, error: this.lastError }, 'SIP registration failed');
    this.setState('failed');
    this.schedule(this.backoffMs, expires);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  /** One REGISTER, answering a digest challenge once per nonce. */
  private async send(expires: number): Promise<SipResponse> {
    const peer = await this.peer();
    let auth: { name: string; value: string } | undefined;
    // Challenged again for a realm we answered (and not stale): the credentials are wrong.
    const tried = new Set<string>();
    for (;;) {
      const res = await this.ctx.request(this.build(peer, expires, auth), peer);
      if ((res.status !== 401 && res.status !== 407) || this.o.password === undefined) return res;
      const name = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const challenge = parseDigestChallenge(getHeader(res, name) ?? '');
      if (tried.has(challenge.realm) && !challenge.stale) return res;
      tried.add(challenge.realm);
      auth = {
        name: res.status === 401 ? 'Authorization' : 'Proxy-Authorization',
        value: buildAuthorization(challenge, {
          username: this.o.username,
          password: this.o.password,
          method: 'REGISTER',
          uri: this.registrarUri(),
        }),
      };
    }
  }

  private registrarUri(): string {
    const u = parseUri(this.o.registrar);
    return `sip:${u.port ? `${u.host}:${u.port}` : u.host}`;
  }

  private async peer(): Promise<SipPeer> {
    const u = parseUri(this.o.registrar);
    const t = this.o.transport ?? (u.params.get('transport')?.toLowerCase() === 'tcp' ? 'tcp' : 'udp');
    const address = isIP(u.host) ? u.host : (await lookup(u.host, { family: 4 })).address;
    return { transport: t, address, port: u.port ?? 5060 };
  }

  private build(peer: SipPeer, expires: number, auth?: { name: string; value: string }): SipRequest {
    const host = parseUri(this.o.registrar).host;
    const aor = `<sip:${this.o.username}@${host}>`;
    const headers = [
      { name: 'Via', value: this.ctx.via(peer.transport) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `${aor};tag=${this.fromTag}` },
      { name: 'To', value: aor },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${++this.cseq} REGISTER` },
      { name: 'Contact', value: this.ctx.contact(peer.transport, this.o.username) },
      { name: 'Expires', value: String(expires) },
      { name: 'User-Agent', value: this.ctx.userAgent },
      ...(auth ? [auth] : []),
    ];
    return {
      kind: 'request',
      method: 'REGISTER',
      uri: this.registrarUri(),
      version: 'SIP/2.0',
      headers,
      body: Buffer.alloc(0),
    };
  }
}

function grantedExpires(res: SipResponse): number | undefined {
  const contact = getHeader(res, 'contact');
  if (contact) {
    try {
      const e = parseNameAddr(contact.split(',')[0] ?? '').params.get('expires');
      if (e) return Number(e);
    } catch {
      // fall back to the Expires header
    }
  }
  const e = Number(getHeader(res, 'expires'));
  return Number.isFinite(e) && e > 0 ? e : undefined;
}
