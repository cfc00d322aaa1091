import { join } from 'node:path';
import type { VadFactory } from '@switchboard/engine';
import { createVad } from '@switchboard/media';
import { MODEL_IDS, SILERO_MODEL_FILE } from './catalogue.js';
import type { ModelLocator } from './locator.js';

/**
 * The calls' voice activity detector with its model from `models`: Silero from the models
 * directory or the packaged copy, and the energy detector when the model is missing or
 * onnxruntime cannot load, as before — a detector never stops a call. `warn` is told once per
 * process which model is missing.
 */
export function localVadFactory(models: ModelLocator, warn: (message: string) => void): VadFactory {
  let warned = false;
  return async (sampleRate) => {
    const model = await models.locate(MODEL_IDS.silero);
    if (!model) {
      if (!warned) {
        warned = true;
        warn(`${models.missingText(MODEL_IDS.silero)}; calls use the energy VAD`);
      }
      return createVad({ kind: 'energy', sampleRate });
    }
    return createVad({
      kind: 'auto',
      sampleRate,
      modelPath: join(model.dir, SILERO_MODEL_FILE),
      warn: (message, err) => warn(`${message}: ${err instanceof Error ? err.message : String(err)}`),
    });
  };
}
