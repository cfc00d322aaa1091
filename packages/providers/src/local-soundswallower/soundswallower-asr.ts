import type { Logger } from '@switchboard/core';
import {
  AsrBase,
  type AsrOptions,
  type AsrStream,
  type ProviderBaseOptions,
  ProviderError,
} from '@switchboard/engine';
import { type AudioFormat, PCM16_8K } from '@switchboard/media';
import { COMMON_PHRASES } from '../local-pocketsphinx/pocketsphinx-asr.js';
import { MODEL_IDS } from '../models/catalogue.js';
import { type ModelLocator, packagedModels } from '../models/locator.js';
import {
  type CompiledGrammar,
  compileGrammar,
  DecoderPool,
  type DecoderPoolOptions,
} from './decoder-pool.js';
import { type SoundSwallowerRuntime, soundSwallowerRuntime } from './runtime.js';
import { SoundSwallowerStream, type SoundSwallowerStreamOptions } from './soundswallower-stream.js';

export interface SoundSwallowerOptions
  extends ProviderBaseOptions,
    Pick<
      SoundSwallowerStreamOptions,
      'batchMs' | 'endSilenceMs' | 'noiseAmplitude' | 'confidenceMidpoint' | 'confidenceSpread'
    > {
  logger?: Logger;
  /** The decoder slots to use; by default the process-wide pool. */
  pool?: DecoderPool;
  /** Where the model loads from; by default the copy inside the npm package. */
  models?: ModelLocator;
}

const pools = new Map<string, Promise<DecoderPool>>();

/**
 * The process's decoder pool for the model in `modelDir` (by default the npm package's), created
 * with the runtime on first use.
 */
export async function sharedDecoderPool(opts?: DecoderPoolOptions, modelDir?: string): Promise<DecoderPool> {
  const dir =
    modelDir ?? (await packagedModels.require(MODEL_IDS.soundswallower, 'local:soundswallower')).dir;
  let pool = pools.get(dir);
  if (!pool) {
    pool = soundSwallowerRuntime(dir).then((runtime) => new DecoderPool(runtime, opts));
    pool.catch(() => pools.delete(dir));
    pools.set(dir, pool);
  }
  return pool;
}

/**
 * Offline speech recognition that installs with npm alone: soundswallower (PocketSphinx compiled
 * to WebAssembly) and the CMU en-us 8 kHz telephone model shipped inside its package. It only
 * recognises a grammar, built from the agent's `expectedPhrases` plus short replies (yes, no,
 * goodbye, hang up…), which fits the demo's question-and-answer agents; it takes 8 kHz audio, so
 * G.711 calls need no resampling. Partials while the caller speaks, one final per utterance with
 * a confidence (low when the words were outside the grammar). One decoder pool per process; a call
 * holds a decoder only while its caller is speaking.
 */
export class SoundSwallowerAsr extends AsrBase {
  static readonly label = 'Built-in speech recognition (soundswallower, grammar of expected phrases)';
  readonly name = 'local:soundswallower';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K];
  readonly #o: SoundSwallowerOptions;

  constructor(opts: SoundSwallowerOptions = {}) {
    super(opts);
    this.#o = opts;
  }

  protected async openStream(
    _format: AudioFormat,
    opts: AsrOptions,
    signal: AbortSignal,
  ): Promise<AsrStream> {
    // A missing model is named (and how to bring it), not reported as a failed load.
    const model = await (this.#o.models ?? packagedModels).require(MODEL_IDS.soundswallower, this.name);
    let runtime: SoundSwallowerRuntime;
    let pool: DecoderPool;
    try {
      runtime = await soundSwallowerRuntime(model.dir);
      pool = this.#o.pool ?? (await sharedDecoderPool(undefined, model.dir));
      await pool.warm();
    } catch (err) {
      throw new ProviderError(
        'unavailable',
        `${this.name} could not load its model: ${err instanceof Error ? err.message : String(err)}`,
        { provider: this.name, retryable: false, cause: err },
      );
    }
    const grammar = this.#grammar(runtime, opts.phrases);
    if (signal.aborted) throw signal.reason;
    return new SoundSwallowerStream({
      ...this.#o,
      provider: this.name,
      runtime,
      pool,
      grammar,
      logger: this.#o.logger,
      // The stream outlives this connect attempt: it is stopped by the call's signal.
      signal: opts.signal,
    });
  }

  #grammar(runtime: SoundSwallowerRuntime, phrases: readonly string[]): CompiledGrammar {
    const own = compileGrammar(runtime, phrases);
    if (own && own.skipped.length > 0) {
      this.#o.logger?.warn(
        { provider: this.name, skipped: own.skipped },
        'expected phrases with words outside the recogniser dictionary were left out of the grammar',
      );
    }
    if (!own) {
      this.#o.logger?.warn(
        { provider: this.name },
        'the agent lists no expectedPhrases the recogniser can use; it will only hear short replies',
      );
    }
    const all = compileGrammar(runtime, [...phrases, ...COMMON_PHRASES]);
    if (!all) throw new ProviderError('bad_request', 'no usable phrases', { provider: this.name });
    return all;
  }
}
