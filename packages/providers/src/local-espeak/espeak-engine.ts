import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EspeakNgWorker } from '@echogarden/espeak-ng-emscripten';
import { MODEL_IDS } from '../models/catalogue.js';
import { packagedModels } from '../models/locator.js';

/** The voice data file of the espeak-ng model (an Emscripten file package). */
export const ESPEAK_DATA_FILE = 'espeak-ng.data';

/** espeak-ng always synthesizes at this rate (deps.md §4). */
export const ESPEAK_SAMPLE_RATE = 22050;

/**
 * The one espeak-ng WASM instance of the process. Loading it costs ~150-250 ms and ~95 MB, so it
 * is created lazily on first use and shared by every call. The instance holds one current voice
 * and rate, so jobs run strictly one after another through a promise queue: a job sets its own
 * voice and rate and synthesizes one sentence, and no other call's settings can slip in between.
 */
export class EspeakEngine {
  readonly #worker: EspeakNgWorker;
  #tail: Promise<unknown> = Promise.resolve();
  #voice: string | undefined;
  #rate: number | undefined;
  readonly #known = new Map<string, boolean>();

  constructor(worker: EspeakNgWorker) {
    this.#worker = worker;
  }

  /** Runs `job` after every job queued before it; a failing job does not block the next. */
  #enqueue<T>(job: () => T): Promise<T> {
    const run = this.#tail.then(job, job);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** The first of `candidates` espeak accepts as a voice name, or undefined. */
  resolveVoice(candidates: readonly string[]): Promise<string | undefined> {
    return this.#enqueue(() => {
      for (const name of candidates) {
        let ok = this.#known.get(name);
        if (ok === undefined) {
          ok = this.#worker.set_voice(name) === 0;
          this.#known.set(name, ok);
          // A failed set_voice may leave espeak without a voice; force the next job to set its own.
          this.#voice = ok ? name : undefined;
          this.#rate = undefined;
        }
        if (ok) return name;
      }
      return undefined;
    });
  }

  /** Synthesizes one piece of text to 22050 Hz samples. */
  synthesize(text: string, voice: string, rate: number): Promise<Int16Array> {
    return this.#enqueue(() => {
      if (this.#voice !== voice) {
        if (this.#worker.set_voice(voice) !== 0) throw new Error(`espeak-ng has no voice ${voice}`);
        this.#voice = voice;
        // Changing voice may reset prosody, so the rate is applied again below.
        this.#rate = undefined;
      }
      if (this.#rate !== rate) {
        this.#worker.set_rate(rate);
        this.#rate = rate;
      }
      const parts: Int16Array[] = [];
      let total = 0;
      this.#worker.synthesize(text, (samples) => {
        parts.push(samples);
        total += samples.length;
        return false;
      });
      const out = new Int16Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    });
  }
}

const loading = new Map<string, Promise<EspeakEngine>>();

/**
 * The shared engine for the voice data in `dataFile` (`espeak-ng.data`, by default the npm
 * package's), loaded on first call: one per data file, which in a running server is one per
 * process. A failed load is retried by the next call.
 */
export async function espeakEngine(dataFile?: string): Promise<EspeakEngine> {
  const path =
    dataFile ?? join((await packagedModels.require(MODEL_IDS.espeak, 'local:espeak')).dir, ESPEAK_DATA_FILE);
  let engine = loading.get(path);
  if (!engine) {
    engine = loadEngine(path);
    engine.catch(() => loading.delete(path));
    loading.set(path, engine);
  }
  return engine;
}

async function loadEngine(dataFile: string): Promise<EspeakEngine> {
  const { default: init } = await import('@echogarden/espeak-ng-emscripten');
  // The package's own loader always reads the data next to its script; handing the bytes over
  // lets the voices come from the models directory instead.
  const data = await readFile(dataFile);
  const module = await init({
    getPreloadedPackage: () => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  });
  const worker = new module.eSpeakNGWorker();
  // The first syntheses of a fresh instance are 10-50x slower (voice data paged in, WASM code
  // still unoptimised); pay for one here, at prepare time, rather than in a caller's first turn.
  worker.set_voice('en-us');
  worker.synthesize('Hello, how can I help you?', () => false);
  return new EspeakEngine(worker);
}
