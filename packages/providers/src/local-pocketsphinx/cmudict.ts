import { readFile } from 'node:fs/promises';

const cache = new Map<string, Promise<ReadonlySet<string>>>();

/**
 * The words of a CMU pronouncing dictionary (`word PH ON ES`, alternates written `word(2)`).
 * Loaded once per path and process: the en-us one has ~135k entries and takes ~100 ms to read.
 */
export function loadDictionaryWords(path: string): Promise<ReadonlySet<string>> {
  let words = cache.get(path);
  if (!words) {
    words = readFile(path, 'utf8').then((text) => {
      const set = new Set<string>();
      for (const line of text.split('\n')) {
        const end = line.search(/[\s(]/);
        const word = end < 0 ? line : line.slice(0, end);
        if (word) set.add(word);
      }
      return set;
    });
    // A missing file is reported to this caller and retried by the next one.
    words.catch(() => cache.delete(path));
    cache.set(path, words);
  }
  return words;
}
