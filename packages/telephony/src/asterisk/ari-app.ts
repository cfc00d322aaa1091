/**
 * The Stasis application: a channel entering it is answered, an externalMedia channel is created
 * that sends RTP to a socket of ours (`external_host` is host:port, not a URL), both are put in a
 * mixing bridge, and the call runs as an `AriCallLeg`. Outbound calls are originated into the
 * same application. Channel events are translated; everything else is ignored.
 */
import { type EndedReason, farEndHangup, type Logger } from '@switchboard/core';
import { ConsultFailed, type ConsultLeg, type ConsultOptions } from '@switchboard/engine';
import { type AudioFormat, MULAW_8K, PCM16_16K, systemClock } from '@switchboard/media';
import { MediaTicker } from '../sip/media-ticker.js';
import { RtpPortAllocator } from '../sip/rtp-ports.js';
import { RtpSession } from '../sip/rtp-session.js';
import { AriClient, type AriConnectionState, type AriEvent } from './ari-client.js';
import { AriCallLeg } from './ari-leg.js';

export type ExternalMediaFormat = 'ulaw' | 'slin16';

/** RTP payload type Asterisk uses for each format (slin16 is dynamic; 118 in its static table). */
const FORMATS: Record<ExternalMediaFormat, { format: AudioFormat; payloadType: number }> = {
  ulaw: { format: MULAW_8K, payloadType: 0 },
  slin16: { format: PCM16_16K, payloadType: 118 },
};

const MEDIA_PREFIX = 'sbmedia-';
const BRIDGE_PREFIX = 'sbbridge-';
const OUT_PREFIX = 'sbout-';

export interface StasisCallInfo {
  channelId: string;
  from: string;
  /** The dialled extension. */
  to: string;
  /** `Stasis(app,key=value,…)` arguments; positional ones as `arg0`, `arg1`… */
  args: Record<string, string>;
}

export interface AriStasisAppOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  /** Address we bind our RTP sockets to and give Asterisk as `external_host`. */
  mediaHost: string;
  format: ExternalMediaFormat;
  rtpPortRange: readonly [number, number];
  logger: Logger;
  /** Runs an inbound call; a rejection hangs it up. */
  onCall(leg: AriCallLeg, info: StasisCallInfo): Promise<void>;
  reconnectMinMs?: number;
  /**
   * Dial string for numbers a warm transfer calls, with `{to}` for the number (the
   * `ARI_DIAL_ENDPOINT` of outbound calls); channel dial strings such as `PJSIP/200` need none.
   */
  dialEndpoint?: string;
}

export interface OriginateOptions {
  /** Dial string, e.g. `PJSIP/+15551230001@trunk`. */
  endpoint: string;
  callerId?: string;
  /** Ring time before Asterisk gives up (ChannelDestroyed, no answer). */
  timeoutMs?: number;
  variables?: Record<string, string>;
}

/** Why an originated call ended before it was answered: its `reason` says busy, no answer… */
export class OriginateError extends Error {
  readonly reason: EndedReason;
  constructor(message: string, reason: EndedReason) {
    super(message);
    this.name = 'OriginateError';
    this.reason = reason;
  }
}

/** A call Asterisk accepted to dial. */
export interface OriginatedCall {
  channelId: string;
  /** The leg once the callee answered; rejects with an `OriginateError` otherwise. */
  answered: Promise<AriCallLeg>;
  /** Gives up on a call not answered yet: hangs the channel up; `answered` rejects (cancelled). */
  cancel(): Promise<void>;
}

interface ChannelJson {
  id: string;
  caller?: { number?: string };
  dialplan?: { context?: string; exten?: string };
  channelvars?: Record<string, string>;
}

export function parseStasisArgs(args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(args)) return out;
  args.forEach((a, i) => {
    const s = String(a);
    const eq = s.indexOf('=');
    if (eq > 0) out[s.slice(0, eq)] = s.slice(eq + 1);
    else out[`arg${i}`] = s;
  });
  return out;
}

/** Asterisk hangup causes (Q.850) that mean something to a dialer. */
function causeToReason(cause: unknown): EndedReason {
  if (cause === 17) return 'busy';
  if (cause === 18 || cause === 19) return 'no-answer';
  if (cause === 21) return 'rejected';
  return 'failed';
}

export class AriStasisApp {
  readonly client: AriClient;
  readonly #o: AriStasisAppOptions;
  readonly #legs = new Map<string, AriCallLeg>();
  readonly #ports: RtpPortAllocator;
  readonly #tickers = new Map<number, MediaTicker>();
  readonly #originating = new Map<string, { resolve(leg: AriCallLeg): void; reject(e: Error): void }>();
  /** Channels a warm transfer bridged, each to its partner: one hanging up hangs up the other. */
  readonly #partners = new Map<string, { partner: string; bridgeId: string }>();

  constructor(options: AriStasisAppOptions) {
    this.#o = options;
    this.client = new AriClient({ ...options });
    this.#ports = new RtpPortAllocator(options.mediaHost, options.rtpPortRange);
    this.client.on('event', (ev) => this.#onEvent(ev));
  }

  get state(): AriConnectionState {
    return this.client.state;
  }

  get legs(): ReadonlyMap<string, AriCallLeg> {
    return this.#legs;
  }

  start(): Promise<void> {
    return this.client.start();
  }

  async stop(): Promise<void> {
    for (const [id, pending] of this.#originating) {
      this.#originating.delete(id);
      pending.reject(new OriginateError('the Stasis application stopped', 'shutdown'));
    }
    await Promise.all([...this.#legs.values()].map((l) => l.hangup('shutdown')));
    this.client.stop();
    for (const t of this.#tickers.values()) t.stop();
  }

  /**
   * Calls `endpoint` into this application; resolves once Asterisk accepted the request (a REST
   * failure rejects). The leg arrives on `answered` when the callee answers and enters Stasis.
   */
  async originate(o: OriginateOptions): Promise<OriginatedCall> {
    const channelId = `${OUT_PREFIX}${crypto.randomUUID()}`;
    const answered = new Promise<AriCallLeg>((resolve, reject) => {
      this.#originating.set(channelId, { resolve, reject });
    });
    // Settled by whoever waits on it; never an unhandled rejection when nobody does.
    answered.catch(() => {});
    const query = {
      endpoint: o.endpoint,
      app: this.#o.app,
      appArgs: 'outbound',
      channelId,
      callerId: o.callerId,
      timeout: Math.ceil((o.timeoutMs ?? 30_000) / 1000),
    };
    try {
      await this.client.request(
        'POST',
        '/channels',
        query,
        o.variables ? { variables: o.variables } : undefined,
      );
    } catch (e) {
      this.#originating.delete(channelId);
      throw e;
    }
    return {
      channelId,
      answered,
      cancel: async () => {
        const pending = this.#originating.get(channelId);
        if (!pending) return;
        this.#originating.delete(channelId);
        pending.reject(new OriginateError('the call was cancelled before it was answered', 'cancelled'));
        await this.client
          .request('DELETE', `/channels/${encodeURIComponent(channelId)}`, { reason: 'normal' })
          .catch((e: unknown) =>
            this.#o.logger.debug({ callId: channelId, err: (e as Error).message }, 'ARI cancel failed'),
          );
      },
    };
  }

  /**
   * Warm transfer: originates `target` into this application while `caller` stays up; the
   * answered channel is bridged to the caller by `bridge`. A dial string (`PJSIP/200`) is dialled as
   * is, a number through `dialEndpoint`.
   */
  async consult(caller: AriCallLeg, target: string, o: ConsultOptions): Promise<ConsultLeg> {
    let endpoint = target;
    if (!/^[A-Za-z][\w-]*\/./.test(target)) {
      const number = target.replace(/^tel:/, '');
      if (!/^\+?[0-9]{3,20}$/.test(number) || !this.#o.dialEndpoint)
        throw new ConsultFailed(
          'failed',
          'Asterisk dials a channel dial string such as PJSIP/200, or a number through ARI_DIAL_ENDPOINT',
        );
      endpoint = this.#o.dialEndpoint.replaceAll('{to}', number);
    }
    const call = await this.originate({
      endpoint,
      ...(caller.direction === 'inbound' ? { callerId: caller.to } : { callerId: caller.from }),
      timeoutMs: o.timeoutMs,
    }).catch((e: unknown) => {
      throw new ConsultFailed('failed', (e as Error).message);
    });
    const onAbort = () => void call.cancel();
    o.signal.addEventListener('abort', onAbort, { once: true });
    let person: AriCallLeg;
    try {
      person = await call.answered;
    } catch (e) {
      const reason = e instanceof OriginateError ? e.reason : 'failed';
      throw new ConsultFailed(
        reason === 'busy' || reason === 'no-answer' || reason === 'rejected' ? reason : 'failed',
        (e as Error).message,
      );
    } finally {
      o.signal.removeEventListener('abort', onAbort);
    }
    return {
      outputFormat: person.outputFormat,
      play: (frame) => person.play(frame),
      ended: person.ended,
      bridge: () => this.#bridge(caller, person),
      hangup: () => person.hangup('transfer'),
    };
  }

  /**
   * Moves the person's channel into the caller's bridge and drops both externalMedia channels:
   * Asterisk carries the conversation from here, and either hanging up ends the other.
   */
  async #bridge(caller: AriCallLeg, person: AriCallLeg): Promise<void> {
    if (caller.endedReason) throw new Error('the caller has hung up');
    if (person.endedReason) throw new Error('the transfer target has hung up');
    const bridgeId = `${BRIDGE_PREFIX}${caller.id}`;
    const q = encodeURIComponent;
    // From here the channels are no longer the engine's: their media channels' end is expected.
    this.#legs.delete(caller.id);
    this.#legs.delete(person.id);
    caller.handOver();
    person.handOver();
    this.#partners.set(caller.id, { partner: person.id, bridgeId });
    this.#partners.set(person.id, { partner: caller.id, bridgeId });
    await this.client.request('POST', `/bridges/${q(BRIDGE_PREFIX + person.id)}/removeChannel`, {
      channel: person.id,
    });
    await this.client.request('POST', `/bridges/${q(bridgeId)}/addChannel`, { channel: person.id });
    const quiet = () => {};
    for (const id of [caller.id, person.id])
      void this.client.request('DELETE', `/channels/${q(MEDIA_PREFIX + id)}`).catch(quiet);
    void this.client.request('DELETE', `/bridges/${q(BRIDGE_PREFIX + person.id)}`).catch(quiet);
  }

  /** One of two bridged channels left: the other is hung up and the bridge removed. */
  #partnerEnded(id: string): void {
    const p = this.#partners.get(id);
    if (!p) return;
    this.#partners.delete(id);
    this.#partners.delete(p.partner);
    const quiet = () => {};
    void this.client.request('DELETE', `/channels/${encodeURIComponent(p.partner)}`).catch(quiet);
    void this.client.request('DELETE', `/bridges/${encodeURIComponent(p.bridgeId)}`).catch(quiet);
  }

  #onEvent(ev: AriEvent): void {
    const channel = ev.channel as ChannelJson | undefined;
    const id = channel?.id;
    if (!id) return;
    if (ev.type === 'StasisEnd' || ev.type === 'ChannelHangupRequest' || ev.type === 'ChannelDestroyed')
      this.#partnerEnded(id);
    switch (ev.type) {
      case 'StasisStart':
        if (id.startsWith(MEDIA_PREFIX)) return;
        if (id.startsWith(OUT_PREFIX) && !this.#originating.has(id)) {
          // Answered after we gave up on it (cancelled, or the placement timed out).
          void this.client.request('DELETE', `/channels/${encodeURIComponent(id)}`).catch(() => {});
          return;
        }
        this.#start(channel, ev.args).catch((e: unknown) =>
          this.#o.logger.warn({ callId: id, err: (e as Error).message }, 'Stasis call setup failed'),
        );
        return;
      case 'ChannelDtmfReceived':
        if (typeof ev.digit === 'string') this.#legs.get(id)?.deliverDtmf(ev.digit);
        return;
      case 'StasisEnd':
      case 'ChannelHangupRequest':
      case 'ChannelDestroyed': {
        const pending = this.#originating.get(id);
        if (pending && ev.type === 'ChannelDestroyed') {
          this.#originating.delete(id);
          pending.reject(
            new OriginateError(
              `call not answered: ${String(ev.cause_txt ?? ev.cause)}`,
              causeToReason(ev.cause),
            ),
          );
        }
        if (id.startsWith(MEDIA_PREFIX)) {
          this.#legs.get(id.slice(MEDIA_PREFIX.length))?.remoteEnded('connector-error');
          return;
        }
        const leg = this.#legs.get(id);
        leg?.remoteEnded(farEndHangup(leg.direction));
        return;
      }
      default:
        return;
    }
  }

  async #start(channel: ChannelJson, rawArgs: unknown): Promise<void> {
    const id = channel.id;
    const args = parseStasisArgs(rawArgs);
    const outbound = this.#originating.get(id);
    const direction = outbound ? 'outbound' : 'inbound';
    const { format, payloadType } = FORMATS[this.#o.format];
    const leg = new AriCallLeg({
      channelId: id,
      direction,
      from: channel.caller?.number ?? '',
      to: channel.dialplan?.exten ?? '',
      context: channel.dialplan?.context,
      format,
      client: this.client,
      logger: this.#o.logger,
      onFinished: (l) => this.#release(l),
      consult: (l, target, o) => this.consult(l, target, o),
    });
    this.#legs.set(id, leg);
    try {
      if (!outbound) await this.client.request('POST', `/channels/${encodeURIComponent(id)}/answer`);
      const socket = await this.#ports.allocate();
      const port = socket.address().port;
      const media = await this.client.request<ChannelJson>('POST', '/channels/externalMedia', {
        app: this.#o.app,
        channelId: `${MEDIA_PREFIX}${id}`,
        external_host: `${this.#o.mediaHost}:${port}`,
        format: this.#o.format,
        encapsulation: 'rtp',
        transport: 'udp',
        direction: 'both',
      });
      const vars = media.channelvars ?? {};
      const remotePort = Number(vars.UNICASTRTP_LOCAL_PORT);
      leg.rtp = new RtpSession({
        socket,
        clock: systemClock,
        ticker: (ms) => this.#ticker(ms),
        payloadType,
        format,
        ptimeMs: 20,
        ...(vars.UNICASTRTP_LOCAL_ADDRESS && remotePort > 0
          ? { remote: { address: vars.UNICASTRTP_LOCAL_ADDRESS, port: remotePort } }
          : {}),
        mediaTimeoutMs: 0,
        onFrame: (f) => leg.deliverFrame(f),
        onDtmf: (d) => leg.deliverDtmf(d),
        onTimeout: () => {},
      });
      if (leg.endedReason) leg.rtp.close();
      const bridgeId = `${BRIDGE_PREFIX}${id}`;
      await this.client.request('POST', '/bridges', { type: 'mixing', bridgeId });
      await this.client.request('POST', `/bridges/${bridgeId}/addChannel`, {
        channel: `${id},${MEDIA_PREFIX}${id}`,
      });
    } catch (e) {
      await leg.hangup('connector-error');
      outbound?.reject(e as Error);
      this.#originating.delete(id);
      throw e;
    }
    // The call ended while it was being set up: what was created after the release goes too.
    if (leg.endedReason) {
      this.#originating.delete(id);
      outbound?.reject(new OriginateError('the callee hung up while the call was set up', 'failed'));
      return this.#cleanup(id);
    }
    if (outbound) {
      // Cancelled while it was being set up: nobody waits for this leg any more.
      if (this.#originating.get(id) !== outbound) return leg.hangup('cancelled');
      this.#originating.delete(id);
      outbound.resolve(leg);
      return;
    }
    const info: StasisCallInfo = { channelId: id, from: leg.from, to: leg.to, args };
    this.#o.onCall(leg, info).catch((e: unknown) => {
      this.#o.logger.warn({ callId: id, err: (e as Error).message }, 'Stasis call could not start');
      void leg.hangup('rejected');
    });
  }

  #ticker(ms: number): MediaTicker {
    let t = this.#tickers.get(ms);
    if (!t) {
      t = new MediaTicker(systemClock, ms);
      this.#tickers.set(ms, t);
    }
    return t;
  }

  /** Tears down what the call created in Asterisk; the channel itself is gone or going. */
  #release(leg: AriCallLeg): void {
    this.#legs.delete(leg.id);
    this.#cleanup(leg.id);
  }

  #cleanup(id: string): void {
    const quiet = () => {};
    void this.client.request('DELETE', `/channels/${encodeURIComponent(MEDIA_PREFIX + id)}`).catch(quiet);
    void this.client.request('DELETE', `/bridges/${encodeURIComponent(BRIDGE_PREFIX + id)}`).catch(quiet);
  }
}
