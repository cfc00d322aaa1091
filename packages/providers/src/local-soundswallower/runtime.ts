import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decoder, SoundSwallowerModule } from 'soundswallower';
import { MODEL_IDS } from '../models/catalogue.js';
import { packagedModels } from '../models/locator.js';

/** The narrowband model shipped in the package: 8 kHz, 130–3700 Hz filterbank (its feat_params). */
export const MODEL_SAMPLE_RATE = 8000;

/**
 * One word per phone of the model (`ph_aa AA`, …), every decoder's starting dictionary: the
 * phone loop that scores how well the audio fits a grammar is made of them, and a decoder needs
 * some grammar of known words before it can learn more.
 */
const PHONES_DICT = fileURLToPath(new URL('./phones.dict', import.meta.url));
export const PHONE_WORDS: readonly string[] = [
  'aa',
  'ae',
  'ah',
  'ao',
  'aw',
  'ay',
  'b',
  'ch',
  'd',
  'dh',
  'eh',
  'er',
  'ey',
  'f',
  'g',
  'hh',
  'ih',
  'iy',
  'jh',
  'k',
  'l',
  'm',
  'n',
  'ng',
  'ow',
  'oy',
  'p',
  'r',
  's',
  'sh',
  't',
  'th',
  'uh',
  'uw',
  'v',
  'w',
  'y',
  'z',
  'zh',
].map((p) => `ph_${p}`);

/** The parts of the Emscripten module the typings leave out. */
interface RawModule extends SoundSwallowerModule {
  _decoder_hyp(decoder: number, scoreOut: number): number;
}
/** A decoder with the C handle the typings leave out. */
export type RawDecoder = Decoder & { cdecoder: number };

/**
 * Search settings for telephone audio. The default beams are narrow enough that a phrase spoken
 * a little fast falls off the grammar ("Final result does not match the grammar"); these kept
 * every test utterance inside it at about 0.02 of real time per stream.
 */
const DECODER_CONFIG = {
  samprate: MODEL_SAMPLE_RATE,
  beam: 1e-60,
  wbeam: 1e-50,
  pbeam: 1e-60,
  loglevel: 'FATAL',
} as const;

/**
 * The soundswallower WASM module of the process (PocketSphinx compiled to WebAssembly, with the
 * CMU en-us 8 kHz acoustic model inside the npm package): loaded once, shared by every call.
 * Decoders are created with an empty dictionary and given only the words their grammar uses,
 * which makes one cost ~200 ms and a few MB instead of ~600 ms and ~25 MB for the full
 * 135k-word dictionary.
 */
export class SoundSwallowerRuntime {
  readonly #module: RawModule;
  readonly #modelDir: string;
  readonly #dictionary: string;
  readonly #scoreOut: number;

  private constructor(module: RawModule, modelDir: string, dictionary: string) {
    this.#module = module;
    this.#modelDir = modelDir;
    this.#dictionary = dictionary;
    this.#scoreOut = module._malloc(4);
  }

  /** Loads the module with the model in `modelDir` (the models directory's copy or the package's). */
  static async load(modelDir: string): Promise<SoundSwallowerRuntime> {
    // The module finds its model relative to the working directory unless told (trailing slash
    // required: it is concatenated); decoders get the model's absolute path anyway.
    const modelBase = `${dirname(modelDir)}/`;
    const { default: createModule } = await import('soundswallower');
    const before = process.listeners('uncaughtException');
    const module = (await createModule({
      modelBase,
      // The C library reports search trouble on stderr; decoding results say enough.
      print: () => {},
      printErr: () => {},
    } as Partial<SoundSwallowerModule>)) as RawModule;
    // Emscripten's Node glue installs an uncaughtException handler that rethrows; the process's
    // own handling of crashes must not depend on which providers happen to be loaded.
    for (const l of process.listeners('uncaughtException')) {
      if (!before.includes(l)) process.removeListener('uncaughtException', l);
    }
    const dictionary = await readFile(join(modelDir, 'dict.txt'), 'utf8');
    return new SoundSwallowerRuntime(module, modelDir, dictionary);
  }

  /**
   * Pronunciations of `word` in the model's dictionary, alternates as `word(2)`, or none. The
   * dictionary is sorted, so alternates are the lines right after the word's own.
   */
  pronunciations(word: string): [string, string][] {
    const out: [string, string][] = [];
    const d = this.#dictionary;
    let at = d.startsWith(`${word} `) ? 0 : d.indexOf(`\n${word} `);
    if (at < 0) return out;
    if (at > 0) at++;
    while (at >= 0 && at < d.length) {
      const end = d.indexOf('\n', at);
      const line = d.slice(at, end < 0 ? undefined : end);
      const space = line.indexOf(' ');
      const name = line.slice(0, space);
      if (name !== word && !(name.startsWith(`${word}(`) && name.endsWith(')'))) break;
      out.push([name, line.slice(space + 1).trim()]);
      at = end < 0 ? -1 : end + 1;
    }
    return out;
  }

  /** The WASM heap: every decoder lives in it, and it never shrinks. */
  get heapBytes(): number {
    return this.#module.HEAP8.length;
  }

  /** A fresh decoder with no words and no grammar. */
  async createDecoder(): Promise<RawDecoder> {
    const decoder = new this.#module.Decoder({
      ...DECODER_CONFIG,
      hmm: this.#modelDir,
      // Only the phone words: a grammar's own words are added when it is set.
      dict: PHONES_DICT,
    }) as RawDecoder;
    await decoder.initialize();
    return decoder;
  }

  /** The best path score of the decoder's last utterance (log domain, higher is better). */
  score(decoder: RawDecoder): number {
    this.#module._decoder_hyp(decoder.cdecoder, this.#scoreOut);
    return this.#module.HEAP32[this.#scoreOut >> 2] as number;
  }
}

const loading = new Map<string, Promise<SoundSwallowerRuntime>>();

/**
 * The shared runtime for the model in `modelDir` (by default the one in the npm package), loaded
 * on first use: one per model directory, which in a running server is one per process. A failed
 * load is retried by the next caller.
 */
export async function soundSwallowerRuntime(modelDir?: string): Promise<SoundSwallowerRuntime> {
  const dir =
    modelDir ?? (await packagedModels.require(MODEL_IDS.soundswallower, 'local:soundswallower')).dir;
  let runtime = loading.get(dir);
  if (!runtime) {
    runtime = SoundSwallowerRuntime.load(dir);
    runtime.catch(() => loading.delete(dir));
    loading.set(dir, runtime);
  }
  return runtime;
}
