import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import {
  AsrBase,
  type AsrOptions,
  type AsrStream,
  type ProviderBaseOptions,
  ProviderError,
} from '@switchboard/engine';
import { type AudioFormat, PCM16_16K } from '@switchboard/media';
import { MODEL_IDS } from '../models/catalogue.js';
import { type ModelLocator, packagedModels } from '../models/locator.js';
import { requireBinary } from '../util/binaries.js';
import { WhiteNoise } from '../util/white-noise.js';
import { loadDictionaryWords } from './cmudict.js';
import { buildJsgf } from './jsgf.js';
import { PocketsphinxStream } from './pocketsphinx-stream.js';

export interface PocketsphinxOptions extends ProviderBaseOptions {
  logger?: Logger;
  /**
   * With a grammar, also accept short conversational replies (yes, no, thanks, goodbye, a single
   * digit for menus): a caller who can only be heard saying the expected phrases could never say
   * goodbye. Default true.
   */
  commonPhrases?: boolean;
  /** Peak of the white noise added to narrowband (8 kHz) calls, as a fraction of full scale. */
  noiseAmplitude?: number;
  /** Emit speech-start / speech-end from an energy gate on the input. Default true. */
  speechEvents?: boolean;
  /** How long `close()` waits for the last utterance's hypothesis. Default 1000 ms. */
  closeGraceMs?: number;
  /** A dictionary other than the model's (with `extraArgs` for another model). */
  dictionaryPath?: string;
  /** Extra pocketsphinx_continuous arguments (e.g. `-hmm`, `-lm` for another model). */
  extraArgs?: readonly string[];
  /** Where the en-us model loads from; by default Debian's pocketsphinx-en-us. */
  models?: ModelLocator;
}

export const COMMON_PHRASES: readonly string[] = [
  'yes',
  'no',
  'yes please',
  'no thank you',
  'thank you',
  'goodbye',
  'bye',
  "that's all",
  'hang up',
];

/**
 * Offline speech recognition with CMU PocketSphinx (Debian's pocketsphinx 0.8 and its en-us
 * model), one `pocketsphinx_continuous` child per call. The wideband model takes 16 kHz; the base
 * upsamples 8 kHz calls with the media resampler, and this adapter adds a faint noise floor to
 * them, without which the model hears nothing (peers.md §2). When the agent lists
 * `expectedPhrases` the recogniser is restricted to them with a JSGF grammar (95–100 % word
 * accuracy on telephone audio); otherwise it uses the open language model (20–70 %). It reports
 * finals only, one per utterance, about half a second after the caller stops.
 */
export class PocketsphinxAsr extends AsrBase {
  readonly name = 'local:pocketsphinx';
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_16K];
  readonly #o: PocketsphinxOptions;

  constructor(opts: PocketsphinxOptions = {}) {
    super(opts);
    this.#o = opts;
  }

  protected async openStream(
    _format: AudioFormat,
    opts: AsrOptions,
    signal: AbortSignal,
  ): Promise<AsrStream> {
    requireBinary('pocketsphinx_continuous', this.name);
    requireBinary('stdbuf', this.name);
    const args: string[] = [];
    let dictPath = this.#o.dictionaryPath;
    /** Set when the model is not the system copy, which pocketsphinx loads by default. */
    let modelDir: string | undefined;
    if (dictPath) {
      await access(dictPath).catch((err: unknown) => {
        throw new ProviderError('unavailable', `${this.name}: the dictionary ${dictPath} does not exist`, {
          provider: this.name,
          retryable: false,
          cause: err,
        });
      });
    } else {
      const model = await (this.#o.models ?? packagedModels).require(MODEL_IDS.pocketsphinx, this.name);
      dictPath = join(model.dir, 'cmudict-en-us.dict');
      if (model.from === 'models-dir') {
        modelDir = model.dir;
        args.push('-hmm', join(modelDir, 'en-us'), '-dict', dictPath);
      }
    }
    const grammar = await this.#grammar(opts.phrases, dictPath);
    // pocketsphinx 0.8 takes either a language model or a grammar, not both.
    if (!grammar && modelDir) args.push('-lm', join(modelDir, 'en-us.lm.bin'));
    args.push(...(this.#o.extraArgs ?? []));
    let dir: string | undefined;
    if (grammar) {
      dir = await mkdtemp(join(tmpdir(), 'switchboard-psphinx-'));
      const path = join(dir, 'caller.gram');
      await writeFile(path, grammar);
      args.push('-jsgf', path);
    }
    if (signal.aborted) {
      if (dir) await rm(dir, { recursive: true, force: true });
      throw signal.reason;
    }
    return new PocketsphinxStream({
      provider: this.name,
      args,
      logger: this.#o.logger,
      noise: opts.format.sampleRate < 16000 ? new WhiteNoise(this.#o.noiseAmplitude ?? 0.01) : undefined,
      speechEvents: this.#o.speechEvents ?? true,
      closeGraceMs: this.#o.closeGraceMs ?? 1000,
      // The stream outlives this connect attempt: it is stopped by the call's signal, not `signal`.
      signal: opts.signal,
      cleanup: async () => {
        if (dir) await rm(dir, { recursive: true, force: true });
      },
    });
  }

  /** The JSGF text for the agent's phrases, or undefined for the open language model. */
  async #grammar(phrases: readonly string[], dictPath: string): Promise<string | undefined> {
    if (phrases.length === 0) return undefined;
    const dict = await loadDictionaryWords(dictPath);
    const own = buildJsgf(phrases, dict);
    if (own.skipped.length > 0) {
      this.#o.logger?.warn(
        { provider: this.name, skipped: own.skipped },
        'expected phrases with words outside the recogniser dictionary were left out of the grammar',
      );
    }
    if (!own.grammar) return undefined;
    if (this.#o.commonPhrases === false) return own.grammar;
    return buildJsgf([...phrases, ...COMMON_PHRASES], dict).grammar;
  }
}
