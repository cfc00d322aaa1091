import { estimateTokens } from '@switchboard/core';

export interface Chunk {
  content: string;
  /** The headings above the chunk, outermost first. */
  headingPath: string[];
  tokenCount: number;
}

export interface ChunkOptions {
  /** Largest chunk, in tokens (about four characters each). */
  maxTokens?: number;
  /** Sentences carried over from the end of one chunk into the next, up to this many tokens. */
  overlapTokens?: number;
  /** Read `#` lines as headings (Markdown, and what HTML, Word and PDF text become). */
  headings?: boolean;
}

export const DEFAULT_CHUNK_TOKENS = 200;
export const DEFAULT_OVERLAP_TOKENS = 40;

interface Section {
  headingPath: string[];
  paragraphs: string[];
}

/**
 * Splits a document into passages for search: along its headings first (a chunk never spans two
 * sections, and carries its heading path), then along sentences, packed up to `maxTokens` with
 * the last sentences of each chunk repeated at the start of the next, so an answer that straddles
 * a boundary is whole in one of them. A sentence longer than a chunk is cut between words.
 */
export function chunkText(text: string, opts: ChunkOptions = {}): Chunk[] {
  const max = opts.maxTokens ?? DEFAULT_CHUNK_TOKENS;
  const overlap = Math.min(opts.overlapTokens ?? DEFAULT_OVERLAP_TOKENS, Math.floor(max / 2));
  const out: Chunk[] = [];
  for (const section of sections(text, opts.headings ?? true)) {
    const units = section.paragraphs.flatMap((p, i) =>
      sentences(p)
        .flatMap((s) => splitLong(s, max))
        .map((s, j) => ({ text: s, paraStart: i > 0 && j === 0 })),
    );
    let current: typeof units = [];
    let tokens = 0;
    const flush = () => {
      if (current.length === 0) return;
      const content = current
        .map((u, i) => (i === 0 ? u.text : `${u.paraStart ? '\n\n' : ' '}${u.text}`))
        .join('');
      out.push({ content, headingPath: section.headingPath, tokenCount: estimateTokens(content) });
    };
    for (const unit of units) {
      const cost = estimateTokens(unit.text) + 1;
      if (tokens + cost > max && current.length > 0) {
        flush();
        // Carry the tail over, sentence by sentence, within the overlap budget.
        const carried: typeof units = [];
        let carriedTokens = 0;
        for (let i = current.length - 1; i >= 0; i--) {
          const u = current[i] as (typeof units)[number];
          const c = estimateTokens(u.text) + 1;
          if (carriedTokens + c > overlap || carriedTokens + c + cost > max) break;
          carried.unshift({ ...u, paraStart: false });
          carriedTokens += c;
        }
        current = carried;
        tokens = carriedTokens;
      }
      current.push(unit);
      tokens += cost;
    }
    flush();
  }
  return out;
}

function sections(text: string, headings: boolean): Section[] {
  const out: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let section: Section = { headingPath: [], paragraphs: [] };
  let para: string[] = [];
  const endPara = () => {
    const p = para.join('\n').trim();
    if (p) section.paragraphs.push(p);
    para = [];
  };
  for (const line of text.split('\n')) {
    const h = headings ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (h) {
      endPara();
      if (section.paragraphs.length > 0) out.push(section);
      const level = (h[1] as string).length;
      while (stack.length > 0 && (stack.at(-1) as { level: number }).level >= level) stack.pop();
      stack.push({ level, title: (h[2] as string).replace(/[*_`]/g, '').trim() });
      section = { headingPath: stack.map((s) => s.title), paragraphs: [] };
    } else if (line.trim() === '') endPara();
    else para.push(line.trim());
  }
  endPara();
  if (section.paragraphs.length > 0) out.push(section);
  return out;
}

/** A paragraph's sentences; list items and other lines stay whole. */
export function sentences(paragraph: string): string[] {
  return paragraph
    .split('\n')
    .flatMap((line) => line.split(/(?<=[.!?]["')\]]?)\s+(?=["'([]?[\p{Lu}\p{N}])/u))
    .map((s) => s.trim())
    .filter(Boolean);
}

function splitLong(sentence: string, maxTokens: number): string[] {
  if (estimateTokens(sentence) <= maxTokens) return [sentence];
  const words = sentence.split(/\s+/);
  const out: string[] = [];
  let cur: string[] = [];
  let len = 0;
  for (const w of words) {
    // A "word" longer than a chunk (a URL, a base64 blob) is cut by characters.
    for (let i = 0; i < w.length; i += maxTokens * 4) {
      const piece = w.slice(i, i + maxTokens * 4);
      if (len + piece.length + 1 > maxTokens * 4 && cur.length > 0) {
        out.push(cur.join(' '));
        cur = [];
        len = 0;
      }
      cur.push(piece);
      len += piece.length + 1;
    }
  }
  if (cur.length > 0) out.push(cur.join(' '));
  return out;
}
