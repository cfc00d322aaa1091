import { buildJsgf, normalizePhrase } from '../local-pocketsphinx/jsgf.js';
import { PHONE_WORDS, type RawDecoder, type SoundSwallowerRuntime } from './runtime.js';

/** A caller grammar ready for a decoder: the JSGF text and the pronunciations of its words. */
export interface CompiledGrammar {
  jsgf: string;
  /** `[word, phones]`, alternates as `word(2)`. */
  words: [string, string][];
  phrases: string[];
  skipped: { phrase: string; unknownWords: string[] }[];
}

const compiled = new Map<string, CompiledGrammar | undefined>();
/** Grammars kept compiled (one per agent's phrase list is typical). */
const COMPILED_LIMIT = 64;

/**
 * The grammar for `phrases`, with every word the model's dictionary knows; undefined if none is
 * left. Compiling looks every word up in the 135k-word dictionary, so results are kept per phrase
 * list and a call of an agent seen before connects at once.
 */
export function compileGrammar(
  runtime: SoundSwallowerRuntime,
  phrases: readonly string[],
): CompiledGrammar | undefined {
  const key = phrases.join('\n');
  if (compiled.has(key)) return compiled.get(key);
  const g = compileUncached(runtime, phrases);
  if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, g);
  return g;
}

function compileUncached(
  runtime: SoundSwallowerRuntime,
  phrases: readonly string[],
): CompiledGrammar | undefined {
  const prons = new Map<string, [string, string][]>();
  for (const w of new Set(phrases.flatMap(normalizePhrase))) {
    const p = runtime.pronunciations(w);
    if (p.length > 0) prons.set(w, p);
  }
  const built = buildJsgf(phrases, new Set(prons.keys()));
  if (!built.grammar) return undefined;
  const used = new Set(built.phrases.flatMap((p) => p.split(' ')));
  return {
    jsgf: built.grammar,
    words: [...used].flatMap((w) => prons.get(w) ?? []),
    phrases: built.phrases,
    skipped: built.skipped,
  };
}

const PHONE_LOOP = [
  '#JSGF V1.0;',
  'grammar phones;',
  'public <loop> = <phone>+;',
  `<phone> = ${PHONE_WORDS.join(' | ')};`,
  '',
].join('\n');

/**
 * Two decoders used together for one utterance: one searches the caller grammar, the other a
 * free loop of phones. The loop fits any speech about as well as it can be fitted, so how far the
 * grammar's best path scores below it says whether the caller said one of the phrases or
 * something else that the grammar merely forced into one (the confidence of a final).
 */
export class DecoderSlot {
  readonly grammar: RawDecoder;
  readonly loop: RawDecoder;
  #jsgf: string | undefined;
  readonly #known = new Set<string>();
  /** True between `start()` and `stop()` of the decoders. */
  inUtterance = false;

  constructor(grammar: RawDecoder, loop: RawDecoder) {
    this.grammar = grammar;
    this.loop = loop;
  }

  get jsgf(): string | undefined {
    return this.#jsgf;
  }

  /** Switches the grammar decoder to `g` (about a millisecond; nothing when it already has it). */
  use(g: CompiledGrammar): void {
    if (this.#jsgf === g.jsgf) return;
    const missing = g.words.filter(([w]) => !this.#known.has(w));
    if (missing.length > 0) {
      this.grammar.add_words(...missing);
      for (const [w] of missing) this.#known.add(w);
    }
    this.grammar.set_grammar(g.jsgf);
    this.#jsgf = g.jsgf;
  }

  start(): void {
    this.grammar.start();
    this.loop.start();
    this.inUtterance = true;
  }

  process(samples: Float32Array): void {
    this.grammar.process_audio(samples, false, false);
    this.loop.process_audio(samples, false, false);
  }

  stop(): void {
    if (!this.inUtterance) return;
    this.inUtterance = false;
    this.grammar.stop();
    this.loop.stop();
  }

  delete(): void {
    this.grammar.delete();
    this.loop.delete();
  }
}

export interface DecoderPoolOptions {
  /** Utterances decoded at once, process-wide; more wait for a free slot. Default 16. */
  maxSlots?: number;
  /** Idle slots kept for the next utterances; the rest are freed after `idleMs`. Default 2. */
  keepIdle?: number;
  idleMs?: number;
}

export interface DecoderPoolStats {
  slots: number;
  busy: number;
  waiting: number;
}

/**
 * Decoder slots shared by every call of the process. A call holds a slot only while the caller
 * speaks (one utterance), not for the whole call, so a handful of slots serves many calls; a
 * slot remembers its grammar, and an utterance prefers an idle slot that already has its own.
 * WASM memory does not shrink, but freed slots' memory is reused by the next ones.
 */
export class DecoderPool {
  readonly #runtime: SoundSwallowerRuntime;
  readonly #max: number;
  readonly #keepIdle: number;
  readonly #idleMs: number;
  readonly #idle: DecoderSlot[] = [];
  readonly #waiters: { resolve: (s: DecoderSlot) => void; reject: (e: unknown) => void }[] = [];
  #slots = 0;
  #creating = 0;
  #trimTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(runtime: SoundSwallowerRuntime, opts: DecoderPoolOptions = {}) {
    this.#runtime = runtime;
    this.#max = opts.maxSlots ?? 16;
    this.#keepIdle = opts.keepIdle ?? 2;
    this.#idleMs = opts.idleMs ?? 60_000;
  }

  get stats(): DecoderPoolStats {
    return {
      slots: this.#slots,
      busy: this.#slots - this.#idle.length,
      waiting: this.#waiters.length,
    };
  }

  /** A slot set to `grammar`; waits when all `maxSlots` are busy. */
  async acquire(grammar: CompiledGrammar, signal?: AbortSignal): Promise<DecoderSlot> {
    if (this.#closed) throw new Error('decoder pool is closed');
    let slot: DecoderSlot;
    const same = this.#idle.findIndex((s) => s.jsgf === grammar.jsgf);
    const idle = same >= 0 ? this.#idle.splice(same, 1)[0] : this.#idle.pop();
    if (idle) slot = idle;
    else if (this.#slots + this.#creating < this.#max) slot = await this.#create();
    else slot = await this.#wait(signal);
    try {
      slot.use(grammar);
    } catch (err) {
      this.#discard(slot);
      throw err;
    }
    return slot;
  }

  /** Creates the first slot ahead of the first utterance (decoder set-up takes a few hundred ms). */
  async warm(): Promise<void> {
    if (this.#closed || this.#slots + this.#creating > 0) return;
    const slot = await this.#create();
    if (this.#closed) this.#discard(slot);
    else this.#idle.push(slot);
  }

  /** Gives `slot` back (stopping an unfinished utterance) for the next utterance. */
  release(slot: DecoderSlot): void {
    try {
      slot.stop();
    } catch {
      this.#discard(slot);
      return;
    }
    if (this.#closed) {
      this.#discard(slot);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(slot);
      return;
    }
    this.#idle.push(slot);
    if (this.#idle.length > this.#keepIdle && !this.#trimTimer) {
      this.#trimTimer = setTimeout(() => this.#trim(), this.#idleMs);
      this.#trimTimer.unref();
    }
  }

  /** Frees every idle slot and fails waiting utterances; busy slots are freed as they come back. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#trimTimer);
    this.#trimTimer = undefined;
    for (const s of this.#idle.splice(0)) this.#discard(s);
    for (const w of this.#waiters.splice(0)) w.reject(new Error('decoder pool is closed'));
  }

  async #create(): Promise<DecoderSlot> {
    this.#creating++;
    try {
      const [grammar, loop] = await Promise.all([
        this.#runtime.createDecoder(),
        this.#runtime.createDecoder(),
      ]);
      // A decoder learns words only once it has a search; the phone loop is always valid.
      grammar.set_grammar(PHONE_LOOP);
      loop.set_grammar(PHONE_LOOP);
      this.#slots++;
      return new DecoderSlot(grammar, loop);
    } finally {
      this.#creating--;
    }
  }

  #wait(signal?: AbortSignal): Promise<DecoderSlot> {
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (s: DecoderSlot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #trim(): void {
    this.#trimTimer = undefined;
    while (this.#idle.length > this.#keepIdle) {
      const s = this.#idle.shift();
      if (s) this.#discard(s);
    }
  }

  #discard(slot: DecoderSlot): void {
    this.#slots--;
    try {
      slot.delete();
    } catch {
      // Already freed.
    }
  }
}
