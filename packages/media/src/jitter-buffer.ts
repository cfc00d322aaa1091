import { type AudioFormat, type AudioFrame, bytesForMs } from './format.js';
import { silence } from './level.js';

export interface RtpPacketIn {
  /** 16-bit RTP sequence number. */
  seq: number;
  /** 32-bit RTP timestamp. */
  timestamp: number;
  payload: Uint8Array;
  /** RTP marker bit: first packet of a talkspurt. */
  marker?: boolean;
}

export interface JitterBufferOptions {
  format: AudioFormat;
  /** Audio per packet; concealment frames have this length. */
  frameMs?: number;
  /** Audio held before playout starts (and the starting depth when adaptive). */
  depthMs?: number;
  /** Grow the depth on late packets and underruns, shrink it slowly when the network is calm. */
  adaptive?: boolean;
  /** Upper bound for the adaptive depth, and for what is held before the oldest is dropped. */
  maxDepthMs?: number;
}

export interface JitterBufferStats {
  received: number;
  /** Sequence numbers that never arrived (RFC 3550: expected − received). */
  lost: number;
  /** Packets that arrived after their playout time (dropped; their slot was concealed). */
  late: number;
  duplicate: number;
  /** Packets that arrived after a higher sequence number but in time. */
  reordered: number;
  /** Pops with nothing to play because the sender paused or the network stalled. */
  underruns: number;
  /** Packets discarded because the buffer exceeded its maximum depth. */
  overflow: number;
  /** Sequence discontinuities treated as a new stream. */
  resets: number;
}

/** A jump beyond this many packets is a new stream (SSRC change, sender restart), not loss. */
const MAX_SEQ_JUMP = 1000;
/** Adaptive mode lowers the depth by one frame after this many pops without trouble (≈10 s). */
const CALM_POPS_TO_SHRINK = 500;
/** Window of recent sequence numbers remembered for duplicate detection. */
const SEEN = 1024;

/**
 * RTP playout buffer, clock-free: the playout tick calls `pop()` once per frame. Packets are kept
 * by extended sequence number (16-bit wraparound handled), so reordering within the depth is
 * repaired, duplicates and late packets are dropped, and a missing packet is concealed with
 * silence when its turn comes. Playout waits until `depthMs` is buffered, and waits again after
 * the buffer ran dry and a new talkspurt (marker bit) begins.
 */
export class JitterBuffer {
  readonly format: AudioFormat;
  readonly frameMs: number;
  private readonly counters = {
    received: 0,
    late: 0,
    duplicate: 0,
    reordered: 0,
    underruns: 0,
    overflow: 0,
    resets: 0,
  };
  private readonly adaptive: boolean;
  private readonly maxFrames: number;
  private readonly minFrames: number;
  private targetFrames: number;
  private readonly packets = new Map<number, RtpPacketIn>();
  /** Highest extended sequence number received; undefined before the first packet. */
  private highest: number | undefined;
  /** Extended sequence number of the next frame to play. */
  private next = 0;
  private primed = false;
  private calmPops = 0;
  /** Consecutive pops that found the buffer empty. */
  private dryPops = 0;
  /** Extended sequence numbers recently received, by `ext % SEEN`, to spot duplicates. */
  private readonly seen = new Float64Array(SEEN).fill(-1);
  private base = 0;
  private unique = 0;
  private lostBefore = 0;

  constructor(opts: JitterBufferOptions) {
    this.format = opts.format;
    this.frameMs = opts.frameMs ?? 20;
    this.adaptive = opts.adaptive ?? false;
    const depth = opts.depthMs ?? 60;
    this.minFrames = Math.max(1, Math.round(depth / this.frameMs));
    this.targetFrames = this.minFrames;
    this.maxFrames = Math.max(this.minFrames, Math.round((opts.maxDepthMs ?? 200) / this.frameMs));
  }

  /** Counters; `lost` is derived RFC 3550 style: sequence numbers expected minus received. */
  get stats(): JitterBufferStats {
    return { ...this.counters, lost: this.lostNow() };
  }

  /** Current target depth. */
  get depthMs(): number {
    return this.targetFrames * this.frameMs;
  }

  /** Audio buffered from the next playout position to the newest packet. */
  get bufferedMs(): number {
    return this.span() * this.frameMs;
  }

  push(packet: RtpPacketIn): void {
    this.counters.received++;
    const seq = packet.seq & 0xffff;
    if (this.highest === undefined) this.start(seq);
    let high = this.highest!;
    let ext = high + (((seq - (high & 0xffff) + 0x8000) & 0xffff) - 0x8000);
    if (Math.abs(ext - high) > MAX_SEQ_JUMP) {
      this.counters.resets++;
      this.lostBefore = this.lostNow();
      this.packets.clear();
      this.start(seq);
      high = this.highest!;
      ext = high;
    }
    if (this.seen[ext % SEEN] === ext) {
      this.counters.duplicate++;
      return;
    }
    this.seen[ext % SEEN] = ext;
    this.unique++;
    const dry = this.packets.size === 0;
    if (ext < this.next) {
      if (!this.primed && this.next - ext < this.maxFrames) {
        this.next = ext; // reordered ahead of the first packet, before playout began: still in time
        this.base = Math.min(this.base, ext);
      } else if (dry && ext > high) {
        // Nothing buffered and this is the newest packet: playout ran ahead of the sender (a
        // stall, clock drift, or a pause in sending). Follow the sender rather than dropping
        // everything from now on; after a long pause or a new talkspurt, re-buffer to the depth.
        if (packet.marker || this.dryPops >= this.targetFrames) this.primed = false;
        this.next = ext;
      } else {
        this.counters.late++;
        this.grow();
        return;
      }
    } else if (dry && this.primed && packet.marker && ext > high) {
      this.primed = false;
      this.next = ext;
    }
    if (ext < high) this.counters.reordered++;
    this.packets.set(ext, packet);
    if (ext > high) this.highest = ext;
    while (this.span() > this.maxFrames) {
      if (this.packets.delete(this.next)) this.counters.overflow++;
      this.next++;
    }
  }

  /**
   * The frame for this playout tick: the next packet's payload, silence where a packet is missing
   * or the buffer ran dry, or undefined while (re)buffering before playout starts. Playout time
   * always advances, as the far end's clock does; a packet arriving after its slot is late.
   */
  pop(): AudioFrame | undefined {
    if (!this.primed) {
      if (this.highest === undefined || this.span() < this.targetFrames) return undefined;
      this.primed = true;
    }
    const p = this.packets.get(this.next);
    this.next++;
    if (p) {
      this.packets.delete(this.next - 1);
      this.dryPops = 0;
      this.calm();
      return { format: this.format, data: p.payload };
    }
    if (this.packets.size > 0) this.dryPops = 0;
    // Only the first dry pop says something about the network; the rest is the sender pausing.
    else if (this.dryPops++ === 0) {
      this.counters.underruns++;
      this.grow();
    }
    return silence(this.format, this.frameMs);
  }

  /** Forgets all packets (not the counters); the next push starts a fresh stream. */
  reset(): void {
    this.lostBefore = this.lostNow();
    this.packets.clear();
    this.highest = undefined;
    this.primed = false;
    this.next = 0;
  }

  /** Expected payload bytes of one frame in this buffer's format. */
  get frameBytes(): number {
    return bytesForMs(this.format, this.frameMs);
  }

  private start(seq: number): void {
    // Extended numbers start high enough that reordered packets before the first stay positive.
    const ext = 0x10000 + seq;
    this.highest = ext;
    this.next = ext;
    this.base = ext;
    this.unique = 0;
    this.primed = false;
  }

  private lostNow(): number {
    if (this.highest === undefined) return this.lostBefore;
    return this.lostBefore + Math.max(0, this.highest - this.base + 1 - this.unique);
  }

  private span(): number {
    return this.highest === undefined || this.highest < this.next ? 0 : this.highest - this.next + 1;
  }

  private grow(): void {
    this.calmPops = 0;
    if (this.adaptive && this.targetFrames < this.maxFrames) this.targetFrames++;
  }

  private calm(): void {
    if (!this.adaptive || ++this.calmPops < CALM_POPS_TO_SHRINK) return;
    this.calmPops = 0;
    if (this.targetFrames > this.minFrames) {
      this.targetFrames--;
      // Play one frame less of delay: skip the oldest buffered frame if we hold more than needed.
      if (this.span() > this.targetFrames && this.packets.delete(this.next)) this.next++;
    }
  }
}
