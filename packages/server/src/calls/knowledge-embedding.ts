import type { Logger } from '@switchboard/core';
import { type Embedder, type Fused, reciprocalRankFusion } from '@switchboard/knowledge';
import type { KbSearchHit, Store } from '@switchboard/store';

/** Builds the embedder of a knowledge base: its provider (endpoint, credential) and model. */
export type EmbedderFor = (workspaceId: string, providerId: string, model: string) => Promise<Embedder>;

/** Passages embedded per request and per database write. */
export const EMBED_BATCH = 64;

/** How a search ran: full-text only, or fused with vector search. */
export type SearchMode = 'lexical' | 'hybrid';

/**
 * Embeds knowledge bases' passages in the background: after an upload, when a base's model
 * changes, and at start for whatever was left. One run per base at a time in this process (a run
 * asked for while one goes is run again after it); runs in several processes are harmless, since a
 * passage's embedding is the same whoever writes it. Each batch is written as it comes, so the
 * progress (`embedded/total`) moves, and search uses what is embedded while lexical search finds
 * the rest. A failure stops the run and is recorded on the base (`embeddingError`); the next
 * upload, change of settings or start tries again.
 */
export class KnowledgeEmbedding {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(
    private readonly o: {
      store: Store;
      embedderFor: EmbedderFor;
      logger: Logger;
      batchSize?: number;
    },
  ) {}

  /** Embeds what the base lacks; resolves when the run (and any asked for meanwhile) ends. */
  kick(workspaceId: string, knowledgeBaseId: string): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const running = this.#running.get(knowledgeBaseId);
    if (running) {
      this.#again.add(knowledgeBaseId);
      return running;
    }
    const run = (async () => {
      do {
        this.#again.delete(knowledgeBaseId);
        await this.#run(workspaceId, knowledgeBaseId);
      } while (this.#again.has(knowledgeBaseId) && !this.#stopped);
    })().finally(() => this.#running.delete(knowledgeBaseId));
    this.#running.set(knowledgeBaseId, run);
    return run;
  }

  /** Whether a run for the base is under way in this process. */
  isRunning(knowledgeBaseId: string): boolean {
    return this.#running.has(knowledgeBaseId);
  }

  /** Starts a run for every base that has embeddings settings (those with nothing to do end at once). */
  async resumeAll(): Promise<void> {
    for (const c of await this.o.store.knowledge.embeddingConfigs()) {
      void this.kick(c.workspaceId, c.knowledgeBaseId);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await Promise.allSettled([...this.#running.values()]);
  }

  async #run(workspaceId: string, knowledgeBaseId: string): Promise<void> {
    const repo = this.o.store.knowledge;
    const log = this.o.logger.child({ knowledgeBaseId });
    const [config] = await repo.embeddingConfigs(workspaceId, [knowledgeBaseId]).catch(() => []);
    if (!config) return;
    const size = this.o.batchSize ?? EMBED_BATCH;
    try {
      const embedder = await this.o.embedderFor(workspaceId, config.providerId, config.model);
      let cleared = false;
      while (!this.#stopped) {
        const pending = await repo.pendingEmbeddings(knowledgeBaseId, config.model, size);
        if (pending.length === 0) break;
        const vectors = await embedder.embed(
          pending.map((p) => p.text),
          this.#abort.signal,
        );
        // Settings changed meanwhile (another model, or another provider under the same model
        // name, whose vectors these are not): the run for the new settings takes over.
        const [now] = await repo.embeddingConfigs(workspaceId, [knowledgeBaseId]);
        if (now?.providerId !== config.providerId || now.model !== config.model) break;
        const written = await repo.storeEmbeddings(
          knowledgeBaseId,
          config.model,
          pending.map((p, i) => ({ chunkId: p.id, vector: vectors[i] ?? [] })),
        );
        // None written: the model changed since the check above (the next check stops the run),
        // or the batch's document was deleted (the next batch goes on).
        if (written === 0) continue;
        if (!cleared) {
          await repo.setEmbeddingError(knowledgeBaseId, null);
          cleared = true;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      if (this.#stopped) return;
      const message = e instanceof Error ? e.message : String(e);
      log.warn({ err: e }, 'knowledge base embedding stopped');
      await repo.setEmbeddingError(knowledgeBaseId, message).catch(() => {});
    }
  }
}

/** `work`, or a rejection as soon as `signal` aborts (whether or not `work` heeds it). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A search hit; `score` is the fused score when the search was hybrid. */
export interface KnowledgeSearchResult {
  mode: SearchMode;
  hits: KbSearchHit[];
}

/** Candidates each list contributes before fusion. */
const CANDIDATES = 20;

/**
 * How long a question may take to embed, retries included, before the search goes on by words
 * alone: a caller is waiting for the answer.
 */
export const QUESTION_EMBED_TIMEOUT_MS = 2000;

/**
 * Searches knowledge bases of one workspace: full-text always; for the bases that have an
 * embeddings model, also by vector (the question embedded once per model), the lists fused by
 * reciprocal rank. When embedding the question fails or takes longer than
 * QUESTION_EMBED_TIMEOUT_MS (the endpoint is down or slow), the search is lexical for that turn
 * rather than failing or waiting: a caller is on the line.
 */
export async function searchKnowledge(
  deps: {
    store: Store;
    embedderFor?: EmbedderFor | undefined;
    logger?: Logger | undefined;
    embedTimeoutMs?: number;
  },
  workspaceId: string,
  knowledgeBaseIds: readonly string[],
  query: string,
  limit: number,
  signal?: AbortSignal,
): Promise<KnowledgeSearchResult> {
  const repo = deps.store.knowledge;
  const configs = deps.embedderFor ? await repo.embeddingConfigs(workspaceId, knowledgeBaseIds) : [];
  if (configs.length === 0 || !deps.embedderFor) {
    return { mode: 'lexical', hits: await repo.search(workspaceId, knowledgeBaseIds, query, limit) };
  }
  const pool = Math.max(limit, CANDIDATES);
  const lexical = await repo.search(workspaceId, knowledgeBaseIds, query, pool);
  const groups = new Map<string, { providerId: string; model: string; ids: string[] }>();
  for (const c of configs) {
    const key = `${c.providerId}\u0000${c.model}`;
    const g = groups.get(key) ?? { providerId: c.providerId, model: c.model, ids: [] };
    g.ids.push(c.knowledgeBaseId);
    groups.set(key, g);
  }
  const lists: KbSearchHit[][] = [lexical];
  for (const g of groups.values()) {
    const timeout = AbortSignal.timeout(deps.embedTimeoutMs ?? QUESTION_EMBED_TIMEOUT_MS);
    const limitTo = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const embedder = await deps.embedderFor(workspaceId, g.providerId, g.model);
      const [vector] = await abortable(embedder.embed([query], limitTo), limitTo);
      if (vector) lists.push(await repo.vectorSearch(workspaceId, g.ids, g.model, vector, pool));
    } catch (e) {
      if (signal?.aborted) throw e;
      deps.logger?.warn(
        { err: e instanceof Error ? e.message : String(e), model: g.model },
        'question not embedded; searching by words only',
      );
    }
  }
  if (lists.length === 1) return { mode: 'lexical', hits: lexical.slice(0, limit) };
  const fused: Fused<KbSearchHit>[] = reciprocalRankFusion(lists, (h) => h.chunkId, { limit });
  return { mode: 'hybrid', hits: fused.map((f) => ({ ...f.item, score: f.score })) };
}
