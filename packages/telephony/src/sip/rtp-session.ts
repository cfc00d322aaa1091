/**
 * One call's RTP: a UDP socket from the range, symmetric RTP (latch onto the first valid
 * packet's source, for callers behind NAT), inbound G.711 through the media JitterBuffer at the
 * shared playout tick, RFC 4733 digits in and out, and outbound frames packetised as they arrive
 * (the engine paces them). RTCP arriving on the RTP port is ignored.
 */
import type dgram from 'node:dgram';
import {
  type AudioFormat,
  type AudioFrame,
  bytesForMs,
  type Clock,
  FormatAdapter,
  JitterBuffer,
  type JitterBufferStats,
  Reframer,
} from '@switchboard/media';
import { dtmfEvents } from './dtmf-events.js';
import type { MediaTicker } from './media-ticker.js';
import { decodeTelephoneEvent, encodeTelephoneEvent, telephoneEventToDigit } from './rfc4733.js';
import { isRtcp, parseRtp, serializeRtp } from './rtp.js';

export interface RtpSessionOptions {
  socket: dgram.Socket;
  clock: Clock;
  /** The shared playout ticker for a packet time. */
  ticker(periodMs: number): MediaTicker;
  /** Negotiated audio payload type and its format (8 kHz μ-law or A-law). */
  payloadType: number;
  format: AudioFormat;
  /** Negotiated telephone-event payload type, when the peer offered one. */
  telephoneEventPt?: number;
  ptimeMs: number;
  /** Where to send until the first packet arrives (from the SDP); undefined = not yet known. */
  remote?: { address: string; port: number };
  /** No RTP for this long ends the call (0 disables). */
  mediaTimeoutMs: number;
  onFrame(frame: AudioFrame): void;
  onDtmf(digit: string): void;
  onTimeout(): void;
  /** Observes each outbound packet's send time (benchmarks). */
  onSend?(atMs: number): void;
}

export interface RtpSessionStats {
  packetsIn: number;
  packetsOut: number;
  /** Datagrams that were not RTP for this call (junk, RTCP, unknown PT, wrong source). */
  ignored: number;
  jitter: JitterBufferStats;
}

export class RtpSession {
  readonly localPort: number;
  private jb: JitterBuffer;
  private readonly reframer: Reframer;
  private readonly samplesPerPacket: number;
  private readonly ssrc = (Math.random() * 2 ** 32) >>> 0;
  private seq = Math.floor(Math.random() * 65536);
  private ts = (Math.random() * 2 ** 32) >>> 0;
  private remote: { address: string; port: number } | undefined;
  private latched = false;
  private lastSendAt: number | undefined;
  private lastPacketAt: number;
  private expectMedia = true;
  private lastEventTs: number | undefined;
  private dtmfBusy = false;
  private readonly out: FormatAdapter;
  private readonly cancels = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private readonly counters = { packetsIn: 0, packetsOut: 0, ignored: 0 };

  constructor(private readonly o: RtpSessionOptions) {
    this.localPort = o.socket.address().port;
    this.remote = o.remote;
    this.jb = this.jitterBuffer(o.ptimeMs);
    this.reframer = new Reframer(o.format, o.ptimeMs);
    this.out = new FormatAdapter(o.format);
    this.samplesPerPacket = (o.format.sampleRate * o.ptimeMs) / 1000;
    this.lastPacketAt = o.clock.now();
    o.socket.on('message', this.receive);
    this.unsubscribe = o.ticker(o.ptimeMs).subscribe(this.tick);
  }

  private jitterBuffer(frameMs: number): JitterBuffer {
    return new JitterBuffer({
      format: this.o.format,
      frameMs,
      depthMs: Math.max(40, 2 * frameMs),
      adaptive: true,
    });
  }

  /**
   * Peers do not always send the ptime they negotiated (sipp's pcap replay sends 30 ms packets
   * against a 20 ms default). Playout must run at the packets' real duration, so the buffer and
   * the tick follow the first packets' size.
   */
  private followPacketTime(payloadBytes: number): void {
    // Bytes, not samples: a 20 ms slin16 payload is 640 bytes.
    const ms = payloadBytes / bytesForMs(this.o.format, 1);
    if (ms === this.jb.frameMs || ms < 10 || ms > 60 || ms % 10 !== 0 || this.counters.packetsIn > 50) return;
    this.jb = this.jitterBuffer(ms);
    this.unsubscribe?.();
    this.unsubscribe = this.o.ticker(ms).subscribe(this.tick);
  }

  get stats(): RtpSessionStats {
    return { ...this.counters, jitter: this.jb.stats };
  }

  /** New remote address from a re-INVITE or a late answer: latch again on the next packet. */
  setRemote(remote: { address: string; port: number } | undefined, expectMedia = true): void {
    this.remote = remote;
    this.latched = false;
    this.expectMedia = expectMedia;
    this.lastPacketAt = this.o.clock.now();
  }

  /** Sends one frame of agent audio now, converting it when it is not in the call's codec. */
  send(frame: AudioFrame): void {
    if (this.closed || this.dtmfBusy) return;
    const f = this.out.convert(frame);
    for (const packet of this.reframer.push(f.data)) this.sendAudio(packet.data);
  }

  /** Drops a partial packet held back; whole packets were already sent. */
  clear(): void {
    this.reframer.reset();
  }

  /** Sends digits as RFC 4733 events; resolves when the last end packet went out. */
  async sendDtmf(digits: string): Promise<void> {
    if (this.o.telephoneEventPt === undefined) throw new Error('the peer did not negotiate telephone-event');
    this.dtmfBusy = true;
    try {
      for (const ev of dtmfEvents(digits)) {
        if (this.closed) return;
        await this.sendEvent(ev);
      }
    } finally {
      this.dtmfBusy = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const c of this.cancels) c();
    this.cancels.clear();
    this.out.destroy();
    this.o.socket.off('message', this.receive);
    this.o.socket.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.o.clock.schedule(() => {
        this.cancels.delete(cancel);
        resolve();
      }, ms);
      this.cancels.add(cancel);
    });
  }

  private async sendEvent(ev: { event: number; durationMs: number; gapMs: number }): Promise<void> {
    const pt = this.o.telephoneEventPt ?? 101;
    const startTs = this.advanceTimestamp();
    const step = this.o.ptimeMs;
    const total = Math.round((ev.durationMs * this.o.format.sampleRate) / 1000);
    let marker = true;
    for (let ms = step; ms < ev.durationMs && !this.closed; ms += step) {
      const duration = Math.round((ms * this.o.format.sampleRate) / 1000);
      this.write(
        pt,
        startTs,
        encodeTelephoneEvent({ event: ev.event, end: false, volume: 10, duration }),
        marker,
      );
      marker = false;
      await this.sleep(step);
    }
    // Three end packets, new sequence numbers, same timestamp and final duration (RFC 4733 §2.5.1.4).
    const end = encodeTelephoneEvent({ event: ev.event, end: true, volume: 10, duration: total });
    for (let i = 0; i < 3 && !this.closed; i++) this.write(pt, startTs, end, false);
    this.ts = (startTs + total) >>> 0;
    this.lastSendAt = undefined;
    await this.sleep(ev.gapMs);
  }

  /** The timestamp for a packet sent now: continuous while talking, jumping over pauses. */
  private advanceTimestamp(): number {
    const now = this.o.clock.now();
    if (this.lastSendAt !== undefined) {
      const elapsed = now - this.lastSendAt;
      const packets = elapsed > 3 * this.o.ptimeMs ? Math.round(elapsed / this.o.ptimeMs) : 1;
      this.ts = (this.ts + packets * this.samplesPerPacket) >>> 0;
    }
    return this.ts;
  }

  private sendAudio(payload: Uint8Array): void {
    const now = this.o.clock.now();
    const marker = this.lastSendAt === undefined || now - this.lastSendAt > 3 * this.o.ptimeMs;
    const ts = this.advanceTimestamp();
    this.lastSendAt = now;
    this.write(this.o.payloadType, ts, payload, marker);
  }

  private write(payloadType: number, timestamp: number, payload: Uint8Array, marker: boolean): void {
    const remote = this.remote;
    if (!remote || remote.port === 0 || remote.address === '0.0.0.0' || remote.address === '::') return;
    const buf = serializeRtp({
      payloadType,
      sequence: this.seq,
      timestamp,
      ssrc: this.ssrc,
      payload,
      marker,
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.counters.packetsOut++;
    this.o.onSend?.(this.o.clock.now());
    this.o.socket.send(buf, remote.port, remote.address);
  }

  private readonly receive = (buf: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.closed) return;
    if (isRtcp(buf)) {
      this.counters.ignored++;
      return;
    }
    if (this.latched && (rinfo.address !== this.remote?.address || rinfo.port !== this.remote.port)) {
      this.counters.ignored++;
      return;
    }
    let packet: ReturnType<typeof parseRtp>;
    try {
      packet = parseRtp(buf);
    } catch {
      this.counters.ignored++;
      return;
    }
    const pt = packet.payloadType;
    if (pt !== this.o.payloadType && pt !== this.o.telephoneEventPt) {
      this.counters.ignored++;
      return;
    }
    if (!this.latched) {
      // Symmetric RTP: the caller's real address is where its packets come from.
      this.latched = true;
      this.remote = { address: rinfo.address, port: rinfo.port };
    }
    this.counters.packetsIn++;
    this.lastPacketAt = this.o.clock.now();
    if (pt === this.o.payloadType) {
      this.followPacketTime(packet.payload.length);
      this.jb.push({
        seq: packet.sequence,
        timestamp: packet.timestamp,
        payload: packet.payload,
        marker: packet.marker,
      });
      return;
    }
    this.onTelephoneEvent(packet.timestamp, packet.payload);
  };

  private onTelephoneEvent(timestamp: number, payload: Uint8Array): void {
    let ev: ReturnType<typeof decodeTelephoneEvent>;
    try {
      ev = decodeTelephoneEvent(payload);
    } catch {
      return;
    }
    // One event = one timestamp; continuation and the repeated end packets share it.
    if (timestamp === this.lastEventTs) return;
    this.lastEventTs = timestamp;
    const digit = telephoneEventToDigit(ev.event);
    if (digit !== undefined) this.o.onDtmf(digit);
  }

  private readonly tick = (): void => {
    if (this.closed) return;
    const frame = this.jb.pop();
    if (frame) this.o.onFrame(frame);
    const timeout = this.o.mediaTimeoutMs;
    if (timeout > 0 && this.expectMedia && this.o.clock.now() - this.lastPacketAt > timeout) {
      this.expectMedia = false;
      this.o.onTimeout();
    }
  };
}
