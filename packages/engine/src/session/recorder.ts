import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import { type AudioFrame, bytesPerSample, StereoWavWriter } from '@switchboard/media';

export interface RecordingInfo {
  path: string;
  durationMs: number;
  bytes: number;
}

/**
 * Records the call as a stereo WAV (caller left, agent right) at the caller's sample rate. The
 * writer converts and aligns; this owns its lifetime and keeps a write failure from touching the
 * call: the recording stops, the call goes on.
 */
export class CallRecorder {
  readonly #writer: StereoWavWriter;
  readonly #logger: Logger;
  #failed = false;
  #paused = false;

  private constructor(writer: StereoWavWriter, logger: Logger) {
    this.#writer = writer;
    this.#logger = logger;
  }

  static async open(dir: string, callId: string, sampleRate: number, logger: Logger): Promise<CallRecorder> {
    const safeId = callId.replace(/[^a-zA-Z0-9_.-]/g, '_');
    return new CallRecorder(await StereoWavWriter.open(join(dir, `${safeId}.wav`), sampleRate), logger);
  }

  /** Where the recording is now, in ms from its start (it starts once the call is set up). */
  get positionMs(): number {
    return Math.round(this.#writer.positionMs);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /**
   * While paused both channels record silence: the caller's timeline goes on (so the file's length
   * is the call's and the gap shows where it was), but nothing either side said is kept.
   */
  pause(): void {
    this.#paused = true;
    this.#writer.dropQueuedAgent();
  }

  resume(): void {
    this.#paused = false;
  }

  caller(frame: AudioFrame): void {
    const kept = this.#paused ? silenceLike(frame) : frame;
    this.#write(() => this.#writer.writeCaller(kept));
  }

  agent(frame: AudioFrame): void {
    if (this.#paused) return;
    this.#write(() => this.#writer.writeAgent(frame));
  }

  async close(): Promise<RecordingInfo | undefined> {
    try {
      return await this.#writer.close();
    } catch (e) {
      this.#logger.error(
        { err: e instanceof Error ? e.message : String(e) },
        'recording could not be finished',
      );
      return undefined;
    }
  }

  #write(fn: () => void): void {
    if (this.#failed) return;
    try {
      fn();
    } catch (e) {
      this.#failed = true;
      this.#logger.error({ err: e instanceof Error ? e.message : String(e) }, 'recording stopped');
    }
  }
}

/** Silence as long as `frame` (linear PCM, so zeros are silence whatever the frame's encoding). */
function silenceLike(frame: AudioFrame): AudioFrame {
  const samples = frame.data.length / bytesPerSample(frame.format);
  return {
    format: { encoding: 'pcm16', sampleRate: frame.format.sampleRate },
    data: new Uint8Array(samples * 2),
  };
}
