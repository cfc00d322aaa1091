/**
 * Carrier credentials looked up through the composition root (the encrypted store), remembered
 * briefly: a call's webhooks and its media socket ask for the same account within seconds.
 * Misses are not remembered, so an account added a moment ago works on its next call.
 */
export function cachedLookup<K, V>(
  lookup: (key: K) => Promise<V | null | undefined>,
  keyOf: (key: K) => string,
  ttlMs = 30_000,
  maxEntries = 1000,
): (key: K) => Promise<V | undefined> {
  const cache = new Map<string, { value: V; until: number }>();
  return async (key) => {
    const k = keyOf(key);
    const hit = cache.get(k);
    const now = Date.now();
    if (hit && hit.until > now) return hit.value;
    const value = (await lookup(key)) ?? undefined;
    if (value !== undefined) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(k, { value, until: now + ttlMs });
    }
    return value;
  };
}
