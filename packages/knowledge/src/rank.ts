/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each list adds 1 / (k + rank) to the
 * items it holds, rank counted from 1, and items are ordered by their sum. Only ranks are used, so
 * lists whose scores are not comparable (full-text rank, cosine similarity, several embedding
 * models) fuse without calibration; k = 60 is the paper's constant, which damps the weight of the
 * very top ranks so that an item found by several lists beats one found high by one list only.
 */
export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  score: number;
}

/**
 * Fuses ranked lists of items identified by `key`; ties keep the order in which items were first
 * seen (earlier lists first). The item kept for a key is the first one seen.
 */
export function reciprocalRankFusion<T>(
  lists: readonly (readonly T[])[],
  key: (item: T) => string,
  options: { k?: number; limit?: number } = {},
): Fused<T>[] {
  const k = options.k ?? RRF_K;
  const fused = new Map<string, Fused<T> & { seen: number }>();
  let seen = 0;
  for (const list of lists) {
    list.forEach((item, i) => {
      const id = key(item);
      const entry = fused.get(id);
      const add = 1 / (k + i + 1);
      if (entry) entry.score += add;
      else fused.set(id, { item, score: add, seen: seen++ });
    });
  }
  const out = [...fused.values()].sort((a, b) => b.score - a.score || a.seen - b.seen);
  return out.slice(0, options.limit ?? out.length).map(({ item, score }) => ({ item, score }));
}

/** What embeds text for a knowledge base: one vector per input, in order. */
export interface Embedder {
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}
