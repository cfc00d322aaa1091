import { initMedia } from '../wasm.js';
import { EnergyVad } from './energy-vad.js';
import { SileroVad } from './silero-vad.js';
import type { VadOptions, VoiceActivityDetector } from './vad.js';

export interface CreateVadOptions extends VadOptions {
  /** `auto`: Silero, falling back to the energy detector when onnxruntime cannot load. */
  kind?: 'silero' | 'energy' | 'auto';
  sampleRate: 8000 | 16000;
  modelPath?: string;
  /** Where the one-time fallback notice goes; defaults to console.warn. */
  warn?: (message: string, err: unknown) => void;
}

let warnedFallback = false;

/** A detector for one stream. Loads the WASM modules (resampling) and, for Silero, the model. */
export async function createVad(opts: CreateVadOptions): Promise<VoiceActivityDetector> {
  await initMedia();
  const { kind = 'auto', sampleRate, modelPath, warn, ...vad } = opts;
  if (kind === 'energy') return new EnergyVad({ ...vad, sampleRate });
  if (kind === 'silero') return SileroVad.create({ ...vad, sampleRate, ...(modelPath ? { modelPath } : {}) });
  try {
    return await SileroVad.create({ ...vad, sampleRate, ...(modelPath ? { modelPath } : {}) });
  } catch (err) {
    // Say it once per process, not once per call: the cause is the same for every call.
    if (!warnedFallback) {
      warnedFallback = true;
      const message = 'Silero VAD unavailable (onnxruntime-node failed to load); using the energy VAD';
      if (warn) warn(message, err);
      else console.warn(message, err instanceof Error ? err.message : err);
    }
    return new EnergyVad({ ...vad, sampleRate });
  }
}

/** Test hook: lets the next fallback warn again. */
export function resetVadFallbackWarning(): void {
  warnedFallback = false;
}
