import { spellNumber } from './number-words.js';

export interface JsgfResult {
  /** The grammar text, or undefined when no phrase survived (use the open language model). */
  grammar?: string;
  /** Normalised phrases in the grammar, in order, without duplicates. */
  phrases: string[];
  /** Input phrases left out, with the words the dictionary lacks. */
  skipped: { phrase: string; unknownWords: string[] }[];
}

/**
 * A phrase as the recogniser's dictionary spells it: lower case, digits spelled out ("24" →
 * "twenty four"), "&" as "and", hyphens and other punctuation as word breaks. Apostrophes inside
 * words stay ("that's" and "o'clock" are dictionary words).
 */
export function normalizePhrase(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/&/g, ' and ')
    .replace(/%/g, ' percent ')
    .replace(/([0-9]+)/g, (d) => ` ${spellNumber(d)} `)
    .split(/[^a-z0-9']+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

/**
 * A JSGF grammar (the format pocketsphinx's `-jsgf` reads) accepting exactly one of `phrases`.
 * A phrase with any word outside `dictionary` is left out whole rather than shortened: a shortened
 * phrase would make the recogniser force-fit the caller's words to something they did not say.
 */
export function buildJsgf(phrases: readonly string[], dictionary: ReadonlySet<string>): JsgfResult {
  const kept: string[] = [];
  const skipped: JsgfResult['skipped'] = [];
  for (const phrase of phrases) {
    const words = normalizePhrase(phrase);
    const unknownWords = words.filter((w) => !dictionary.has(w));
    if (words.length === 0 || unknownWords.length > 0) {
      skipped.push({ phrase, unknownWords });
      continue;
    }
    const text = words.join(' ');
    if (!kept.includes(text)) kept.push(text);
  }
  if (kept.length === 0) return { phrases: kept, skipped };
  const lines = [
    '#JSGF V1.0;',
    'grammar caller;',
    `public <utterance> = ${kept.map((_, i) => `<p${i}>`).join(' | ')};`,
    ...kept.map((text, i) => `<p${i}> = ${text};`),
  ];
  return { grammar: `${lines.join('\n')}\n`, phrases: kept, skipped };
}
