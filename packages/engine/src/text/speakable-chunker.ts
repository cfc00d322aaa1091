/**
 * Cuts streamed model text into pieces a TTS can speak while the model is still writing.
 * Sentences end a chunk; a clause boundary (comma, semicolon, colon, dash) ends one only when enough
 * text has gathered, with a lower bar for the first chunk so the caller hears something sooner.
 */
export interface ChunkerOptions {
  /** A clause boundary cuts the first chunk once it has this many characters. */
  firstClauseMinChars?: number;
  /** ...and later chunks at this many. */
  clauseMinChars?: number;
  /** Hard cap: cut at the last space before this many characters. */
  maxChars?: number;
}

const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
  'jr',
  'sr',
  'prof',
]);

export class SpeakableChunker {
  #buf = '';
  #emitted = 0;
  readonly #firstClause: number;
  readonly #clause: number;
  readonly #max: number;

  constructor(opts: ChunkerOptions = {}) {
    this.#firstClause = opts.firstClauseMinChars ?? 24;
    this.#clause = opts.clauseMinChars ?? 60;
    this.#max = opts.maxChars ?? 250;
  }

  /** Text held back, waiting for a boundary. */
  get pending(): string {
    return this.#buf;
  }

  push(delta: string): string[] {
    this.#buf += delta;
    const out: string[] = [];
    for (;;) {
      const cut = this.#findCut();
      if (cut < 0) break;
      const chunk = this.#buf.slice(0, cut).trim();
      this.#buf = this.#buf.slice(cut).replace(/^\s+/, '');
      if (chunk) {
        out.push(chunk);
        this.#emitted++;
      }
    }
    return out;
  }

  /** Everything left, as one final chunk (or none). */
  flush(): string[] {
    const rest = this.#buf.trim();
    this.#buf = '';
    if (!rest) return [];
    this.#emitted++;
    return [rest];
  }

  #findCut(): number {
    const b = this.#buf;
    const clauseMin = this.#emitted === 0 ? this.#firstClause : this.#clause;
    for (let i = 0; i < b.length - 1; i++) {
      const c = b[i] as string;
      const next = b[i + 1] as string;
      if (!/\s/.test(next)) continue;
      if ((c === '.' || c === '!' || c === '?' || c === '…' || c === '\n') && !this.#isAbbreviation(i)) {
        return i + 1;
      }
      if ((c === ',' || c === ';' || c === ':' || c === '—') && i + 1 >= clauseMin) return i + 1;
    }
    if (b[b.length - 1] === '\n') return b.length;
    if (b.length > this.#max) {
      const space = b.lastIndexOf(' ', this.#max);
      return space > 0 ? space : this.#max;
    }
    return -1;
  }

  #isAbbreviation(dotIndex: number): boolean {
    if (this.#buf[dotIndex] !== '.') return false;
    const before = this.#buf.slice(0, dotIndex);
    const word = /([A-Za-z.]+)$/.exec(before)?.[1]?.toLowerCase() ?? '';
    if (ABBREVIATIONS.has(word)) return true;
    // A single capital letter ("J. Smith") is an initial, not a sentence end.
    return /(^|\s)[A-Z]$/.test(before);
  }
}
