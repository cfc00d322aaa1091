import { DTMF_COL_HZ, DTMF_ROW_HZ, type DtmfDigit, dtmfDigitAt } from './dtmf.js';
import type { AudioFrame } from './format.js';
import { toneAmplitude } from './goertzel.js';
import { rms } from './level.js';
import { WindowAssembler } from './vad/vad.js';

const RATE = 8000;
/** 20 ms blocks: 50 Hz bins separate the closest DTMF pair (73 Hz apart) with a rectangular window. */
const BLOCK = 160;

export interface DtmfDetectorOptions {
  /** Minimum amplitude of each tone, fraction of full scale (default 0.02 ≈ −34 dBFS). */
  minAmplitude?: number;
  /** Blocks (20 ms each) a digit must persist before it is reported. ITU Q.24 asks ≥ 40 ms. */
  minBlocks?: number;
}

/**
 * In-band DTMF by Goertzel filters on 20 ms blocks at 8 kHz (any input format is converted).
 * A block holds a digit when one row and one column tone dominate their groups, their levels are
 * within 8 dB of each other (twist), and together they carry most of the block's energy (speech
 * and music do not). A digit is reported once per key press: after `minBlocks` agreeing blocks,
 * and not again until a block without it.
 */
export class DtmfDetector {
  private readonly windows = new WindowAssembler(RATE, BLOCK);
  private readonly minAmplitude: number;
  private readonly minBlocks: number;
  private candidate: DtmfDigit | undefined;
  private count = 0;
  private reported = false;

  constructor(opts: DtmfDetectorOptions = {}) {
    this.minAmplitude = opts.minAmplitude ?? 0.02;
    this.minBlocks = opts.minBlocks ?? 2;
  }

  /** Digits completed in this frame (usually none). Never throws on malformed frames. */
  process(frame: AudioFrame): DtmfDigit[] {
    let blocks: Int16Array[];
    try {
      blocks = this.windows.push(frame);
    } catch {
      return [];
    }
    const out: DtmfDigit[] = [];
    for (const b of blocks) {
      const d = this.classify(b);
      if (d !== undefined && d === this.candidate) this.count++;
      else {
        this.candidate = d;
        this.count = d === undefined ? 0 : 1;
        this.reported = false;
      }
      if (d !== undefined && !this.reported && this.count >= this.minBlocks) {
        this.reported = true;
        out.push(d);
      }
    }
    return out;
  }

  reset(): void {
    this.windows.reset();
    this.candidate = undefined;
    this.count = 0;
    this.reported = false;
  }

  close(): void {
    this.windows.close();
  }

  private classify(block: Int16Array): DtmfDigit | undefined {
    const rows = DTMF_ROW_HZ.map((f) => toneAmplitude(block, f, RATE));
    const cols = DTMF_COL_HZ.map((f) => toneAmplitude(block, f, RATE));
    const r = best(rows);
    const c = best(cols);
    const ar = rows[r]!;
    const ac = cols[c]!;
    if (ar < this.minAmplitude || ac < this.minAmplitude) return undefined;
    if (!dominates(rows, r) || !dominates(cols, c)) return undefined;
    if (ar / ac > 2.5 || ac / ar > 2.5) return undefined;
    const total = rms(block) ** 2;
    if (total === 0 || (ar * ar + ac * ac) / 2 < 0.6 * total) return undefined;
    return dtmfDigitAt(r, c);
  }
}

function best(a: number[]): number {
  let i = 0;
  for (let k = 1; k < a.length; k++) if (a[k]! > a[i]!) i = k;
  return i;
}

/** The winner is at least 3x (≈10 dB) every other tone of its group. */
const dominates = (a: number[], i: number): boolean => a.every((v, k) => k === i || v * 3 <= a[i]!);
