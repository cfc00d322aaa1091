/**
 * The answerer's text matching: normalise, drop filler words, strip common English suffixes, and
 * score each FAQ entry by keyword hits plus word overlap with its question. Deliberately simple
 * and explainable; it is not a language model and does not understand anything.
 */
export interface FaqEntry {
  question: string;
  answer: string;
  keywords?: readonly string[];
}

export interface FaqMatch {
  index: number;
  score: number;
}

/** Words that carry no topic: they never count towards overlap with a question. */
const STOPWORDS = new Set(
  (
    'a an the is are was were be been am do does did you your yours i me my we our us it its this that ' +
    'these those what whats when where which who whom why how can could would should will shall may ' +
    'might to of for on in at by with from about and or but if so not no yes please hi hello hey ' +
    'there here have has had get got like want wanted know tell id im ill ive youre just some any ' +
    'thanks thank much'
  ).split(' '),
);

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Lower-case words without punctuation; apostrophes are dropped so "what's" is "whats". */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’']/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A crude suffix stripper: "opening"/"opened"/"opens" → "open", "closes"/"closing" → "clos". */
export function stem(word: string): string {
  let w = word;
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

const contentStems = (text: string): Set<string> =>
  new Set(
    words(text)
      .filter((w) => !STOPWORDS.has(w))
      .map(stem),
  );

/** True when the stemmed word sequence of `phrase` occurs in `message`'s. */
function containsPhrase(message: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0 || phrase.length > message.length) return false;
  outer: for (let i = 0; i + phrase.length <= message.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (message[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

/** An FAQ prepared once per agent so each query only tokenises the caller's words. */
export class FaqMatcher {
  readonly #entries: { question: Set<string>; keywords: string[][] }[];

  constructor(readonly faq: readonly FaqEntry[]) {
    this.#entries = faq.map((e) => ({
      question: contentStems(e.question),
      keywords: (e.keywords ?? []).map((k) => words(k).map(stem)).filter((k) => k.length > 0),
    }));
  }

  /**
   * Every keyword found in the message scores 1; overlap adds the share of the question's topic
   * words the message contains (0–1). The highest score at or above `threshold` wins; on a tie the
   * earlier entry does, so FAQ order is the author's priority.
   */
  best(message: string, threshold: number): FaqMatch | undefined {
    const msgWords = words(message).map(stem);
    const msgContent = new Set(
      words(message)
        .filter((w) => !STOPWORDS.has(w))
        .map(stem),
    );
    let best: FaqMatch | undefined;
    this.#entries.forEach((e, index) => {
      const hits = e.keywords.filter((k) => containsPhrase(msgWords, k)).length;
      let shared = 0;
      for (const w of e.question) if (msgContent.has(w)) shared++;
      const score = hits + (e.question.size > 0 ? shared / e.question.size : 0);
      if (score >= threshold && score > (best?.score ?? 0)) best = { index, score };
    });
    return best;
  }
}

/**
 * IVR-style menu choice: a message that is exactly one digit, or one digit word ("two"), picks
 * that FAQ entry, counting from 1. Returns the zero-based index, or undefined.
 */
export function menuChoice(message: string): number | undefined {
  const w = words(message);
  if (w.length !== 1) return undefined;
  const only = w[0] as string;
  const n = /^[0-9]$/.test(only) ? Number(only) : DIGIT_WORDS.indexOf(only);
  return n >= 1 ? n - 1 : undefined;
}

const GOODBYES = [
  'bye',
  'goodbye',
  'good bye',
  'bye bye',
  'thats all',
  'that is all',
  'hang up',
  'end the call',
];
const GOODBYE_WORDS = GOODBYES.map(words);

const YES = new Set(['yes', 'yeah', 'yep', 'sure', 'correct', 'right']);
const NO = new Set(['no', 'nope', 'not']);

/** A reply that starts with yes ("yes", "yes please", "yeah sure"). */
export const isYes = (message: string): boolean => YES.has(words(message)[0] ?? '');

/** A reply that starts with no ("no", "no thank you"). */
export const isNo = (message: string): boolean => NO.has(words(message)[0] ?? '');

/** The caller is ending the conversation ("bye", "goodbye", "that's all", "hang up"). */
export function isGoodbye(message: string): boolean {
  const w = words(message);
  return GOODBYE_WORDS.some((g) => containsPhrase(w, g));
}

/**
 * The sentence of the knowledge base passages that shares the most topic words with the caller's
 * message (a short one is followed by the next, so "Yes." is not the whole answer); undefined when
 * no sentence shares any. Earlier passages (better search results) win ties.
 */
export function answerFromPassages(message: string, passages: readonly string[]): string | undefined {
  const wanted = contentStems(message);
  if (wanted.size === 0) return undefined;
  let best: { score: number; sentences: string[]; at: number } | undefined;
  for (const passage of passages) {
    const sentences = passage
      .split(/\n+|(?<=[.!?])\s+(?=[\p{Lu}\p{N}])/u)
      .map((s) => s.replace(/^[-*•]\s+/, '').trim())
      .filter(Boolean);
    sentences.forEach((s, at) => {
      let score = 0;
      for (const w of contentStems(s)) if (wanted.has(w)) score++;
      if (score > (best?.score ?? 0)) best = { score, sentences, at };
    });
  }
  if (!best) return undefined;
  const first = best.sentences[best.at] as string;
  const next = best.sentences[best.at + 1];
  return words(first).length < 8 && next ? `${first} ${next}` : first;
}
