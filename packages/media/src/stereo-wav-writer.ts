import { createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { FormatConverter } from './converter.js';
import { type AudioFormat, type AudioFrame, sameFormat } from './format.js';
import { pcm16ToSamples } from './pcm.js';
import { initMedia } from './wasm.js';
import { WAV_HEADER_BYTES, wavHeader } from './wav.js';

export interface StereoWavResult {
  path: string;
  durationMs: number;
  bytes: number;
}

/** Stop writing (and count the loss) if the disk falls this far behind, so memory stays bounded. */
const MAX_UNFLUSHED_BYTES = 8 * 1024 * 1024;
/**
 * Samples go to the file in blocks of this much audio: one write (a thread-pool round trip) per
 * block instead of one per 20 ms frame. A crash loses at most this much of the recording's end.
 */
const BLOCK_MS = 500;
/** Agent audio queued ahead of the caller's timeline beyond this is dropped (bounded memory). */
const MAX_AGENT_AHEAD_SECONDS = 120;

/**
 * Call recording: caller on the left channel, agent on the right, time-aligned. The caller stream
 * is the clock (it arrives in real time from the carrier); agent audio is placed at the caller
 * position current when it was played, and silence fills the gaps. Samples are written as the
 * caller timeline advances, in blocks of BLOCK_MS through a file stream, so memory holds only
 * agent audio that is ahead of the caller and one block. `close` writes any remaining agent audio and patches the RIFF sizes.
 */
export class StereoWavWriter {
  /** Milliseconds of audio dropped because the disk or the agent side ran too far ahead. */
  droppedMs = 0;
  private readonly format: AudioFormat;
  private callerConv: FormatConverter | undefined;
  private agentConv: FormatConverter | undefined;
  /** Samples of the timeline written so far (per channel). */
  private written = 0;
  /** Agent samples not yet written: agent[agentStart, agentStart + agentLen) starts at `written`. */
  private agent = new Int16Array(0);
  private agentStart = 0;
  private agentLen = 0;
  /** Interleaved samples not yet handed to the file stream (`blockLen` of them used). */
  private block: Int16Array | undefined;
  private blockLen = 0;
  private dataBytes = 0;
  private closed: Promise<StereoWavResult> | undefined;
  private error: unknown;

  private constructor(
    readonly path: string,
    readonly sampleRate: number,
    private readonly out: WriteStream,
  ) {
    this.format = { encoding: 'pcm16', sampleRate: sampleRate as AudioFormat['sampleRate'] };
    out.on('error', (err) => {
      this.error ??= err;
    });
  }

  /** Creates the file and writes a provisional header. Loads the resampler if needed. */
  static async open(path: string, sampleRate = 8000): Promise<StereoWavWriter> {
    await initMedia();
    const out = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    const w = new StereoWavWriter(path, sampleRate, out);
    out.write(wavHeader(sampleRate, 2, 0));
    return w;
  }

  /** Caller audio, any format. Advances the timeline and writes both channels up to it. */
  writeCaller(frame: AudioFrame): void {
    if (this.closed) return;
    this.callerConv = this.converterFor(this.callerConv, frame.format);
    const samples = pcm16ToSamples(this.callerConv.convert(frame).data);
    this.emit(samples, samples.length);
  }

  /** Agent audio, any format, as it is played; placed at the caller's current position. */
  writeAgent(frame: AudioFrame): void {
    if (this.closed) return;
    this.agentConv = this.converterFor(this.agentConv, frame.format);
    const samples = pcm16ToSamples(this.agentConv.convert(frame).data);
    if (this.agentLen + samples.length > MAX_AGENT_AHEAD_SECONDS * this.sampleRate) {
      this.droppedMs += (samples.length / this.sampleRate) * 1000;
      return;
    }
    if (this.agent.length < this.agentStart + this.agentLen + samples.length) {
      const need = this.agentLen + samples.length;
      const next = need * 2 > this.agent.length ? new Int16Array(Math.max(need * 2, 4096)) : this.agent;
      next.set(this.agent.subarray(this.agentStart, this.agentStart + this.agentLen));
      this.agent = next;
      this.agentStart = 0;
    }
    this.agent.set(samples, this.agentStart + this.agentLen);
    this.agentLen += samples.length;
  }

  /** Milliseconds of the recording's timeline written so far. */
  get positionMs(): number {
    return (this.written / this.sampleRate) * 1000;
  }

  /**
   * Forgets agent audio queued ahead of the caller's timeline (a paused recording must not write,
   * after the pause, what the agent said before it but the timeline has not reached yet).
   */
  dropQueuedAgent(): void {
    this.agentStart = 0;
    this.agentLen = 0;
  }

  /** Flushes remaining agent audio (left channel silent), patches the header and closes the file. */
  close(): Promise<StereoWavResult> {
    this.closed ??= this.finish();
    return this.closed;
  }

  private async finish(): Promise<StereoWavResult> {
    if (this.agentLen > 0) this.emit(new Int16Array(0), this.agentLen);
    this.flushBlock();
    this.callerConv?.destroy();
    this.agentConv?.destroy();
    await new Promise<void>((resolve) => this.out.end(() => resolve()));
    if (this.error) throw this.error;
    const fh = await open(this.path, 'r+');
    try {
      const header = wavHeader(this.sampleRate, 2, this.dataBytes);
      await fh.write(header, 0, WAV_HEADER_BYTES, 0);
    } finally {
      await fh.close();
    }
    const { size } = await stat(this.path);
    return { path: this.path, durationMs: (this.dataBytes / 4 / this.sampleRate) * 1000, bytes: size };
  }

  /** Writes `n` timeline samples: caller from `left` (silence past its end), agent from the queue. */
  private emit(left: Int16Array, n: number): void {
    if (n === 0) return;
    const fromAgent = Math.min(n, this.agentLen);
    const agent = this.agent;
    const agentStart = this.agentStart;
    const leftLen = left.length;
    let i = 0;
    while (i < n) {
      this.block ??= new Int16Array(Math.max(2, Math.round((this.sampleRate * BLOCK_MS) / 1000) * 2));
      const block = this.block;
      let at = this.blockLen;
      const end = Math.min(n, i + (block.length - at) / 2);
      for (; i < end; i++, at += 2) {
        block[at] = i < leftLen ? (left[i] as number) : 0;
        block[at + 1] = i < fromAgent ? (agent[agentStart + i] as number) : 0;
      }
      this.blockLen = at;
      if (at === block.length) this.flushBlock();
    }
    this.agentStart = this.agentLen === fromAgent ? 0 : this.agentStart + fromAgent;
    this.agentLen -= fromAgent;
    this.written += n;
  }

  /** Hands the filled part of the block to the file stream: one write per block, not per frame. */
  private flushBlock(): void {
    const block = this.block;
    const len = this.blockLen;
    if (!block || len === 0) return;
    this.blockLen = 0;
    if (this.out.writableLength > MAX_UNFLUSHED_BYTES) {
      // The block is kept for reuse; the data chunk stays a whole number of stereo frames.
      this.droppedMs += (len / 2 / this.sampleRate) * 1000;
      return;
    }
    // The stream holds the block until it is written, so the next samples go into a new one.
    this.block = undefined;
    this.dataBytes += len * 2;
    this.out.write(new Uint8Array(block.buffer, 0, len * 2));
  }

  private converterFor(current: FormatConverter | undefined, from: AudioFormat): FormatConverter {
    if (current && sameFormat(current.from, from)) return current;
    current?.destroy();
    return new FormatConverter(from, this.format);
  }
}
