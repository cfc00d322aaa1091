/**
 * The UAC side (RFC 3261 §13.2): INVITE with our offer, early media on 183, digest auth on
 * 401/407, CANCEL on timeout or abort, ACK on 2xx, and a typed outcome when the call does not
 * connect.
 */
import type dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AudioFrame } from '@switchboard/media';
import { type Dialog, dialogRequest, uacDialog } from './dialog.js';
import { buildAuthorization, parseDigestChallenge } from './digest.js';
import { FrameQueue } from './frame-queue.js';
import { getHeader, parseCSeq } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { newCallId, newTag } from './response.js';
import type { RtpSession } from './rtp-session.js';
import { parseSdp, type RtpPayload } from './sdp.js';
import { buildSdp, negotiateAudio } from './sdp-negotiate.js';
import { SipCallLeg } from './sip-call-leg.js';
import { type DialOutcome, outcomeForStatus, SipDialError } from './sip-errors.js';
import type { SipTrunk } from './sip-server-options.js';
import { ALLOW, type NegotiatedMedia, negotiatedMedia, type SipCallContext } from './stack.js';
import { SipTransactionError } from './transactions.js';
import type { SipPeer, SipTransportName } from './transport.js';
import { parseUri } from './uri.js';

export interface DialOptions {
  /** `sip:user@host[:port]`, or a number (E.164) sent to the trunk. */
  to: string;
  /** Our user part (caller id); default `switchboard`. */
  from?: string;
  trunk?: SipTrunk;
  /** Extra INVITE headers (X-... correlation ids and the like). */
  headers?: Record<string, string>;
  /** Ring time before giving up with 'no-answer'; default 60 000. */
  timeoutMs?: number;
  /** Aborting before the answer sends CANCEL and rejects with outcome 'cancelled'. */
  signal?: AbortSignal;
  /** Provisional responses (180, 183) as they arrive. */
  onProgress?(status: number): void;
}

const TE_PT = 101;
const STATIC_PT: Record<string, number> = { PCMU: 0, PCMA: 8 };

async function resolvePeer(uri: string, transport: SipTransportName): Promise<SipPeer> {
  const u = parseUri(uri);
  const t = (u.params.get('transport')?.toLowerCase() as SipTransportName | undefined) ?? transport;
  const address = isIP(u.host) ? u.host : (await lookup(u.host, { family: 4 })).address;
  return { transport: t === 'tcp' ? 'tcp' : 'udp', address, port: u.port ?? 5060 };
}

export async function dial(
  ctx: SipCallContext,
  o: DialOptions,
  defaultTrunk?: SipTrunk,
): Promise<SipCallLeg> {
  const isUri = /^sips?:/i.test(o.to);
  const trunk = o.trunk ?? (isUri ? undefined : defaultTrunk);
  if (!isUri && !trunk) throw new SipDialError('failed', 'dialling a number needs a SIP trunk');
  let requestUri = o.to;
  if (!isUri && trunk) {
    const t = parseUri(trunk.uri);
    requestUri = `sip:${o.to}@${t.port ? `${t.host}:${t.port}` : t.host}`;
  }
  let peer: SipPeer;
  try {
    peer = await resolvePeer(trunk?.uri ?? requestUri, trunk?.transport ?? 'udp');
  } catch (err) {
    throw new SipDialError(
      'failed',
      `bad or unresolvable destination ${trunk?.uri ?? requestUri}: ${(err as Error).message}`,
    );
  }
  const socket = await ctx.allocateRtp();
  try {
    return await new Attempt(ctx, o, trunk, requestUri, peer, socket).run();
  } catch (err) {
    socket.close();
    throw err;
  }
}

class Attempt {
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 1;
  private invite!: SipRequest;
  private provisional = false;
  private cancelWith: DialOutcome | undefined;
  private readonly queue = new FrameQueue<AudioFrame>();
  private rtp: RtpSession | undefined;
  private media: NegotiatedMedia | undefined;
  private leg: SipCallLeg | undefined;
  private readonly offer: string;

  constructor(
    private readonly ctx: SipCallContext,
    private readonly o: DialOptions,
    private readonly trunk: SipTrunk | undefined,
    private readonly requestUri: string,
    private readonly peer: SipPeer,
    private readonly socket: dgram.Socket,
  ) {
    this.callId = newCallId(ctx.advertisedAddress);
    const payloads: RtpPayload[] = ctx.codecs.map((name) => ({
      pt: STATIC_PT[name] ?? 0,
      name,
      clockRate: 8000,
    }));
    payloads.push({ pt: TE_PT, name: 'telephone-event', clockRate: 8000, fmtp: '0-16' });
    this.offer = buildSdp(
      {
        address: ctx.advertisedAddress,
        port: socket.address().port,
        sessionId: Date.now(),
        sessionVersion: 1,
      },
      { payloads, ptimeMs: 20 },
    );
  }

  async run(): Promise<SipCallLeg> {
    const { signal } = this.o;
    if (signal?.aborted) throw new SipDialError('cancelled', 'dial aborted');
    const onAbort = () => this.cancel('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopTimer = this.ctx.clock.schedule(() => this.cancel('no-answer'), this.o.timeoutMs ?? 60_000);
    try {
      return await this.loop();
    } catch (err) {
      this.rtp?.close();
      throw err;
    } finally {
      stopTimer();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async loop(): Promise<SipCallLeg> {
    let auth: { name: string; value: string } | undefined;
    // Challenged again for a realm we answered (and not stale): the credentials are wrong.
    const triedRealms = new Set<string>();
    for (;;) {
      this.invite = this.buildInvite(auth);
      let res: SipResponse;
      try {
        res = await this.ctx.request(this.invite, this.peer, { onProvisional: (r) => this.onProvisional(r) });
      } catch (err) {
        if (this.cancelWith) throw new SipDialError(this.cancelWith, `call ${this.cancelWith}`);
        // Said in the call row: which peer, and whether it stayed silent or could not be reached.
        const target = this.trunk?.uri ?? this.requestUri;
        throw new SipDialError(
          'failed',
          err instanceof SipTransactionError
            ? `no answer from ${target} (${err.message})`
            : `could not reach ${target}: ${(err as Error).message}`,
        );
      }
      if (res.status >= 200 && res.status < 300) return this.connected(res);
      if (this.cancelWith) throw new SipDialError(this.cancelWith, `call ${this.cancelWith}`, res.status);
      if ((res.status === 401 || res.status === 407) && this.trunk?.username !== undefined) {
        const header = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
        const challenge = parseDigestChallenge(getHeader(res, header) ?? '');
        if (triedRealms.has(challenge.realm) && !challenge.stale) {
          throw new SipDialError('failed', 'trunk rejected our credentials', res.status);
        }
        triedRealms.add(challenge.realm);
        const value = buildAuthorization(challenge, {
          username: this.trunk.username,
          password: this.trunk.password ?? '',
          method: 'INVITE',
          uri: this.requestUri,
        });
        auth = { name: res.status === 401 ? 'Authorization' : 'Proxy-Authorization', value };
        this.cseq++;
        continue;
      }
      throw new SipDialError(
        outcomeForStatus(res.status),
        `call failed: ${res.status} ${res.reason}`,
        res.status,
      );
    }
  }

  private buildInvite(auth?: { name: string; value: string }): SipRequest {
    const t = this.peer.transport;
    const from = this.o.from ?? 'switchboard';
    const headers = [
      { name: 'Via', value: this.ctx.via(t) },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: `<sip:${from}@${this.ctx.advertisedAddress}>;tag=${this.fromTag}` },
      { name: 'To', value: `<${this.requestUri}>` },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.cseq} INVITE` },
      { name: 'Contact', value: this.ctx.contact(t, from) },
      { name: 'Allow', value: ALLOW },
      { name: 'User-Agent', value: this.ctx.userAgent },
      ...Object.entries(this.o.headers ?? {}).map(([name, value]) => ({ name, value })),
      ...(auth ? [auth] : []),
      { name: 'Content-Type', value: 'application/sdp' },
    ];
    return {
      kind: 'request',
      method: 'INVITE',
      uri: this.requestUri,
      version: 'SIP/2.0',
      headers,
      body: Buffer.from(this.offer),
    };
  }

  private onProvisional(res: SipResponse): void {
    this.provisional = true;
    if (this.cancelWith) this.sendCancel();
    this.o.onProgress?.(res.status);
    if (res.body.length > 0) this.applyAnswer(res); // early media (183 Session Progress)
  }

  private applyAnswer(res: SipResponse): void {
    let choice: ReturnType<typeof negotiateAudio>;
    try {
      choice = negotiateAudio(parseSdp(res.body), { codecs: this.ctx.codecs, telephoneEvent: true });
    } catch {
      return;
    }
    if (choice.kind !== 'answer') return;
    const media = negotiatedMedia(choice);
    if (this.rtp) {
      this.rtp.setRemote(media.remote, media.theySend);
      return;
    }
    this.media = media;
    this.rtp = this.ctx.startRtp(
      this.socket,
      media,
      {
        onFrame: (f) => (this.leg ? this.leg.pushFrame(f) : this.queue.push(f)),
        onDtmf: (d) => this.leg?.pushDigit(d),
        onTimeout: () => this.leg?.terminate('connector-error'),
      },
      this.callId,
    );
  }

  private cancel(outcome: DialOutcome): void {
    if (this.cancelWith || this.leg) return;
    this.cancelWith = outcome;
    // RFC 3261 §9.1: CANCEL only after a provisional response; else it goes out when one arrives.
    if (this.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    const inv = this.invite;
    const headers = inv.headers.filter((h) => /^(via|from|to|call-id|route|max-forwards)$/i.test(h.name));
    headers.push({ name: 'CSeq', value: `${parseCSeq(getHeader(inv, 'cseq') ?? '').seq} CANCEL` });
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      version: 'SIP/2.0',
      headers,
      body: Buffer.alloc(0),
    };
    this.ctx.request(cancel, this.peer).catch(() => undefined);
  }

  private connected(res: SipResponse): SipCallLeg {
    const dialog = uacDialog(this.invite, res, this.peer);
    const ack = this.ackFor(dialog);
    this.ctx.send(ack, this.peer);
    if (res.body.length > 0) this.applyAnswer(res);
    const media = this.media;
    if (this.cancelWith || !media || !this.rtp) {
      // Answered after we gave up, or with nothing usable: the dialog exists, so end it with BYE.
      const bye = dialogRequest(dialog, 'BYE', {
        via: this.ctx.via(this.peer.transport),
        contact: this.ctx.contact(this.peer.transport),
        userAgent: this.ctx.userAgent,
      });
      this.ctx.request(bye, this.peer).catch(() => undefined);
      throw new SipDialError(
        this.cancelWith ?? 'failed',
        this.cancelWith ? `call ${this.cancelWith}` : 'answer had no usable audio',
        res.status,
      );
    }
    const leg = new SipCallLeg({
      id: this.callId,
      direction: 'outbound',
      from: this.o.from ?? 'switchboard',
      to: this.o.to,
      format: media.format,
      stack: this.ctx,
      dialog,
      audio: this.queue,
      localSdp: this.offer,
      codecs: this.ctx.codecs,
      dial: (o) => this.ctx.dial(o),
      onFinished: (l) => this.ctx.release(l),
    });
    leg.rtp = this.rtp;
    leg.lastAck = ack;
    leg.confirm();
    this.leg = leg;
    this.ctx.adopt(leg);
    return leg;
  }

  private ackFor(dialog: Dialog): SipRequest {
    const seq = parseCSeq(getHeader(this.invite, 'cseq') ?? '').seq;
    return dialogRequest(dialog, 'ACK', {
      via: this.ctx.via(this.peer.transport),
      contact: '',
      userAgent: this.ctx.userAgent,
      cseq: seq,
    });
  }
}
