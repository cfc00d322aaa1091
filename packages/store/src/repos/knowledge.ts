import { notFound, validationFailed } from '@switchboard/core';
import { and, asc, count, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { type KbSourceType, kbChunks, kbDocuments, knowledgeBases } from '../schema.js';

export type KnowledgeBase = typeof knowledgeBases.$inferSelect;
export type KbDocument = typeof kbDocuments.$inferSelect;

export interface ChunkInput {
  content: string;
  headingPath: string[];
  tokenCount: number;
}

/** A chunk found by a search, with the document it comes from. */
export interface KbSearchHit {
  chunkId: string;
  documentId: string;
  knowledgeBaseId: string;
  source: string;
  headingPath: string[];
  position: number;
  text: string;
  score: number;
}

/** How vector search runs on this database: pgvector's cosine distance, or an exact scan of `real[]`. */
export type VectorSearchKind = 'pgvector' | 'exact-scan';

/** A knowledge base's embeddings settings, as search and the background embedder need them. */
export interface KbEmbeddingConfig {
  knowledgeBaseId: string;
  workspaceId: string;
  providerId: string;
  model: string;
}

/** A passage waiting for its embedding: the text that is embedded is its headings, then its content. */
export interface PendingChunk {
  id: string;
  text: string;
}

/** Scales a vector to length 1 (so cosine similarity is a dot product); a zero vector stays zero. */
export function normalize(v: readonly number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  return n > 0 ? v.map((x) => x / n) : v.map(() => 0);
}

/** Words a question is searched by; stemming and stop words are the database's (English). */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, 32);
}

/** Chunks written per statement (see completeDocument). */
const CHUNK_BATCH = 50;

export class KnowledgeRepo {
  constructor(private readonly db: Db) {}

  async createBase(workspaceId: string, input: { name: string; description?: string | null }) {
    const [row] = await this.db
      .insert(knowledgeBases)
      .values({ workspaceId, name: input.name, description: input.description ?? null })
      .returning();
    return row!;
  }

  async listBases(workspaceId: string, q: PageQuery) {
    const k = keyset(knowledgeBases.createdAt, knowledgeBases.id, q);
    const rows = await this.db
      .select()
      .from(knowledgeBases)
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), k.where))
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async getBase(workspaceId: string, id: string): Promise<KnowledgeBase> {
    const [row] = await this.db
      .select()
      .from(knowledgeBases)
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), eq(knowledgeBases.id, id)));
    if (!row) throw notFound('knowledge base', id);
    return row;
  }

  /** Documents by status, for the knowledge base's summary. */
  async documentCounts(knowledgeBaseId: string): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ status: kbDocuments.status, n: count() })
      .from(kbDocuments)
      .where(eq(kbDocuments.knowledgeBaseId, knowledgeBaseId))
      .groupBy(kbDocuments.status);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async updateBase(
    workspaceId: string,
    id: string,
    input: { name?: string | undefined; description?: string | null | undefined },
  ): Promise<KnowledgeBase> {
    await this.getBase(workspaceId, id);
    const [row] = await this.db
      .update(knowledgeBases)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), eq(knowledgeBases.id, id)))
      .returning();
    return row!;
  }

  /** Deletes the knowledge base with its documents and chunks. */
  async deleteBase(workspaceId: string, id: string): Promise<void> {
    const rows = await this.db
      .delete(knowledgeBases)
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), eq(knowledgeBases.id, id)))
      .returning({ id: knowledgeBases.id });
    if (rows.length === 0) throw notFound('knowledge base', id);
  }

  /** Throws a 400 naming each id that is not a knowledge base of the workspace. */
  async assertBases(workspaceId: string, ids: readonly string[], path: string): Promise<void> {
    if (ids.length === 0) return;
    const found = await this.db
      .select({ id: knowledgeBases.id })
      .from(knowledgeBases)
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), inArray(knowledgeBases.id, [...ids])));
    const known = new Set(found.map((r) => r.id));
    const details = ids.flatMap((id, i) =>
      known.has(id) ? [] : [{ path: `${path}.${i}`, message: `no knowledge base ${id} in this workspace` }],
    );
    if (details.length > 0) throw validationFailed('unknown knowledge base', details);
  }

  async createDocument(
    workspaceId: string,
    knowledgeBaseId: string,
    input: { sourceName: string; sourceType: KbSourceType; sizeBytes: number },
  ): Promise<KbDocument> {
    await this.getBase(workspaceId, knowledgeBaseId);
    const [row] = await this.db
      .insert(kbDocuments)
      .values({ workspaceId, knowledgeBaseId, ...input, status: 'processing' })
      .returning();
    return row!;
  }

  /**
   * Stores the document's chunks, then marks it ready. Chunks go in small batches, each its own
   * statement with a pause for the event loop between them: on the embedded database the indexing
   * runs on the process's one thread, and live calls must keep their audio flowing meanwhile.
   * Search only reads `ready` documents, so a half-written one is never found; if writing fails,
   * the chunks written so far are removed and the error is raised for the caller to record.
   */
  async completeDocument(documentId: string, chunks: readonly ChunkInput[]): Promise<KbDocument> {
    const [doc] = await this.db.select().from(kbDocuments).where(eq(kbDocuments.id, documentId));
    if (!doc) throw notFound('document', documentId);
    try {
      await this.db.delete(kbChunks).where(eq(kbChunks.documentId, documentId));
      for (let i = 0; i < chunks.length; i += CHUNK_BATCH) {
        await withDbErrors(() =>
          this.db.insert(kbChunks).values(
            chunks.slice(i, i + CHUNK_BATCH).map((c, j) => ({
              documentId,
              knowledgeBaseId: doc.knowledgeBaseId,
              position: i + j,
              headingPath: c.headingPath,
              content: c.content,
              tokenCount: c.tokenCount,
              tsv: sql`setweight(to_tsvector('english', ${c.headingPath.join(' ')}), 'A') || to_tsvector('english', ${c.content})`,
            })),
          ),
        );
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      await this.db
        .delete(kbChunks)
        .where(eq(kbChunks.documentId, documentId))
        .catch(() => {});
      throw e;
    }
    const [row] = await this.db
      .update(kbDocuments)
      .set({ status: 'ready', error: null, chunkCount: chunks.length, updatedAt: new Date() })
      .where(eq(kbDocuments.id, documentId))
      .returning();
    if (!row) throw notFound('document', documentId);
    return row;
  }

  /** Marks the document failed with the reason; it keeps no chunks. */
  async failDocument(documentId: string, error: string): Promise<KbDocument> {
    await this.db.delete(kbChunks).where(eq(kbChunks.documentId, documentId));
    const [row] = await this.db
      .update(kbDocuments)
      .set({ status: 'failed', error, chunkCount: 0, updatedAt: new Date() })
      .where(eq(kbDocuments.id, documentId))
      .returning();
    if (!row) throw notFound('document', documentId);
    return row;
  }

  async listDocuments(workspaceId: string, knowledgeBaseId: string, q: PageQuery) {
    await this.getBase(workspaceId, knowledgeBaseId);
    const k = keyset(kbDocuments.createdAt, kbDocuments.id, q);
    const rows = await this.db
      .select()
      .from(kbDocuments)
      .where(and(eq(kbDocuments.knowledgeBaseId, knowledgeBaseId), k.where))
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async getDocument(workspaceId: string, knowledgeBaseId: string, id: string): Promise<KbDocument> {
    const [row] = await this.db
      .select()
      .from(kbDocuments)
      .where(
        and(
          eq(kbDocuments.workspaceId, workspaceId),
          eq(kbDocuments.knowledgeBaseId, knowledgeBaseId),
          eq(kbDocuments.id, id),
        ),
      );
    if (!row) throw notFound('document', id);
    return row;
  }

  /** The document's chunks in order (up to `limit`). */
  async chunks(workspaceId: string, knowledgeBaseId: string, documentId: string, limit = 500) {
    await this.getDocument(workspaceId, knowledgeBaseId, documentId);
    return this.db
      .select({
        id: kbChunks.id,
        position: kbChunks.position,
        headingPath: kbChunks.headingPath,
        content: kbChunks.content,
        tokenCount: kbChunks.tokenCount,
      })
      .from(kbChunks)
      .where(eq(kbChunks.documentId, documentId))
      .orderBy(asc(kbChunks.position))
      .limit(limit);
  }

  async deleteDocument(workspaceId: string, knowledgeBaseId: string, id: string): Promise<void> {
    const rows = await this.db
      .delete(kbDocuments)
      .where(
        and(
          eq(kbDocuments.workspaceId, workspaceId),
          eq(kbDocuments.knowledgeBaseId, knowledgeBaseId),
          eq(kbDocuments.id, id),
        ),
      )
      .returning({ id: kbDocuments.id });
    if (rows.length === 0) throw notFound('document', id);
  }

  /**
   * Full-text search over the chunks of the given knowledge bases of one workspace. Any of the
   * question's words may match (a caller's question rarely has every word of the answer); chunks
   * matching more of them, more often, and in their headings rank first. The rank is divided by the
   * chunk's count of distinct words (normalization 8), so a long chunk that mentions everything
   * does not outrank a short one about the question: on the benchmark's question set among 10,000
   * distractor chunks this lifted recall@5 from 0.75 (length-log normalization) to 0.85.
   */
  async search(
    workspaceId: string,
    knowledgeBaseIds: readonly string[],
    query: string,
    limit: number,
  ): Promise<KbSearchHit[]> {
    const terms = queryTerms(query);
    if (terms.length === 0 || knowledgeBaseIds.length === 0) return [];
    const ids = sql.join(
      knowledgeBaseIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const result = await this.db.execute(sql`
      select c.id as chunk_id, c.document_id, c.knowledge_base_id, d.source_name, c.heading_path,
             c.position, c.content, ts_rank(c.tsv, q, 8) as score
      from kb_chunks c
      join kb_documents d on d.id = c.document_id
      cross join to_tsquery('english', ${terms.join(' | ')}) q
      where d.workspace_id = ${workspaceId}::uuid
        and d.status = 'ready'
        and c.knowledge_base_id in (${ids})
        and c.tsv @@ q
      order by score desc, c.id
      limit ${Math.max(1, Math.min(limit, 50))}`);
    return rows(result).map(toHit);
  }

  /**
   * `pgvector` when the passages' embedding column has the `vector` type (PGlite always; a
   * PostgreSQL server where the extension could be created when migrating), `exact-scan` when it
   * is `real[]`: the similarity is then summed in SQL over every passage of the searched bases,
   * still exact, and slower on large bases. Asked once per process.
   */
  vectorSearchKind(): Promise<VectorSearchKind> {
    this.#vectorKind ??= (async () => {
      const result = await this.db.execute(sql`
        select format_type(atttypid, atttypmod) as t from pg_attribute
        where attrelid = 'kb_chunks'::regclass and attname = 'embedding'`);
      const t = String(rows(result)[0]?.t ?? '');
      return t.startsWith('vector') ? 'pgvector' : 'exact-scan';
    })();
    this.#vectorKind.catch(() => {
      this.#vectorKind = undefined;
    });
    return this.#vectorKind;
  }

  #vectorKind: Promise<VectorSearchKind> | undefined;

  /**
   * Sets (or with null clears) the knowledge base's embeddings model. A new model or provider
   * forgets the learned dimensions and the last error; passages embedded by another endpoint under
   * the same model name are marked for embedding again. Passages of another model are left as they
   * are: search ignores them, and the background embedder replaces them.
   */
  async setEmbeddingConfig(
    workspaceId: string,
    id: string,
    config: { providerId: string; model: string } | null,
  ): Promise<{ base: KnowledgeBase; changed: boolean }> {
    const before = await this.getBase(workspaceId, id);
    const providerId = config?.providerId ?? null;
    const model = config?.model ?? null;
    const changed = before.embeddingProviderId !== providerId || before.embeddingModel !== model;
    if (!changed) return { base: before, changed };
    if (config && before.embeddingProviderId !== providerId) {
      await this.db
        .update(kbChunks)
        .set({ embeddingModel: null })
        .where(and(eq(kbChunks.knowledgeBaseId, id), isNotNull(kbChunks.embeddingModel)));
    }
    const [row] = await this.db
      .update(knowledgeBases)
      .set({
        embeddingProviderId: providerId,
        embeddingModel: model,
        embeddingDimensions: null,
        embeddingError: null,
        updatedAt: new Date(),
      })
      .where(and(eq(knowledgeBases.workspaceId, workspaceId), eq(knowledgeBases.id, id)))
      .returning();
    if (!row) throw notFound('knowledge base', id);
    return { base: row, changed };
  }

  /** Embeddings settings of those of the given bases that have them (all bases when ids is omitted). */
  async embeddingConfigs(workspaceId?: string, ids?: readonly string[]): Promise<KbEmbeddingConfig[]> {
    if (ids?.length === 0) return [];
    const rowsFound = await this.db
      .select({
        knowledgeBaseId: knowledgeBases.id,
        workspaceId: knowledgeBases.workspaceId,
        providerId: knowledgeBases.embeddingProviderId,
        model: knowledgeBases.embeddingModel,
      })
      .from(knowledgeBases)
      .where(
        and(
          isNotNull(knowledgeBases.embeddingProviderId),
          isNotNull(knowledgeBases.embeddingModel),
          workspaceId ? eq(knowledgeBases.workspaceId, workspaceId) : undefined,
          ids ? inArray(knowledgeBases.id, [...ids]) : undefined,
        ),
      );
    return rowsFound.map((r) => ({ ...r, providerId: r.providerId!, model: r.model! }));
  }

  /** Passages of ready documents, and how many of them carry an embedding of `model`. */
  async embeddingProgress(
    knowledgeBaseId: string,
    model: string,
  ): Promise<{ embedded: number; total: number }> {
    const result = await this.db.execute(sql`
      select count(*)::int as total,
             count(*) filter (where c.embedding_model = ${model})::int as embedded
      from kb_chunks c join kb_documents d on d.id = c.document_id
      where c.knowledge_base_id = ${knowledgeBaseId}::uuid and d.status = 'ready'`);
    const r = rows(result)[0] ?? {};
    return { embedded: Number(r.embedded ?? 0), total: Number(r.total ?? 0) };
  }

  /** Up to `limit` passages of ready documents without an embedding of `model`. */
  async pendingEmbeddings(knowledgeBaseId: string, model: string, limit: number): Promise<PendingChunk[]> {
    const result = await this.db.execute(sql`
      select c.id, c.heading_path, c.content
      from kb_chunks c join kb_documents d on d.id = c.document_id
      where c.knowledge_base_id = ${knowledgeBaseId}::uuid and d.status = 'ready'
        and c.embedding_model is distinct from ${model}
      order by c.id
      limit ${limit}`);
    return rows(result).map((r) => {
      const headings = parseTextArray(r.heading_path);
      const content = String(r.content);
      return { id: String(r.id), text: headings.length ? `${headings.join(' > ')}\n${content}` : content };
    });
  }

  /**
   * Stores embeddings of `model` for passages of the knowledge base, normalised. Nothing is written
   * when the base's model is no longer `model` (it was changed while these were being made). The
   * first stored embedding records the model's dimensions; one of other dimensions is refused.
   * Returns how many passages were written.
   */
  async storeEmbeddings(
    knowledgeBaseId: string,
    model: string,
    items: readonly { chunkId: string; vector: readonly number[] }[],
  ): Promise<number> {
    if (items.length === 0) return 0;
    const dims = items[0]!.vector.length;
    if (dims === 0 || items.some((i) => i.vector.length !== dims || !i.vector.every(Number.isFinite))) {
      const message = 'embeddings differ in length or are not numbers';
      throw validationFailed(message, [{ path: 'embedding', message }]);
    }
    const [base] = await this.db
      .update(knowledgeBases)
      .set({ embeddingDimensions: sql`coalesce(${knowledgeBases.embeddingDimensions}, ${dims})` })
      .where(and(eq(knowledgeBases.id, knowledgeBaseId), eq(knowledgeBases.embeddingModel, model)))
      .returning({ dims: knowledgeBases.embeddingDimensions });
    if (!base) return 0;
    if (base.dims !== dims) {
      const message = `the model answered ${dims} dimensions where it had answered ${base.dims}`;
      throw validationFailed(message, [{ path: 'embedding', message }]);
    }
    const values = sql.join(
      items.map((i) => sql`(${i.chunkId}::uuid, ${`{${normalize(i.vector).join(',')}}`})`),
      sql`, `,
    );
    // The text literal is cast to real[]; a `vector` column takes that by pgvector's assignment cast.
    const result = await this.db.execute(sql`
      update kb_chunks c set embedding = v.e::real[], embedding_model = ${model}
      from (values ${values}) as v(id, e)
      where c.id = v.id and c.knowledge_base_id = ${knowledgeBaseId}::uuid`);
    return Number(
      (result as unknown as { rowCount?: number; affectedRows?: number }).rowCount ??
        (result as unknown as { affectedRows?: number }).affectedRows ??
        items.length,
    );
  }

  /** Records why embedding stopped (null clears it). */
  async setEmbeddingError(knowledgeBaseId: string, error: string | null): Promise<void> {
    await this.db
      .update(knowledgeBases)
      .set({ embeddingError: error })
      .where(eq(knowledgeBases.id, knowledgeBaseId));
  }

  /**
   * The passages nearest to `vector` (cosine) among those embedded by `model` in the given bases of
   * one workspace, best first; `score` is the cosine similarity. Passages not yet embedded by the
   * model are not found here (lexical search still finds them).
   */
  async vectorSearch(
    workspaceId: string,
    knowledgeBaseIds: readonly string[],
    model: string,
    vector: readonly number[],
    limit: number,
  ): Promise<KbSearchHit[]> {
    if (knowledgeBaseIds.length === 0 || vector.length === 0) return [];
    const ids = sql.join(
      knowledgeBaseIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const q = normalize(vector);
    const kind = await this.vectorSearchKind();
    const similarity =
      kind === 'pgvector'
        ? sql`1 - (c.embedding <=> ${`[${q.join(',')}]`}::vector)`
        : sql`(select sum(a * b) from unnest(c.embedding, ${`{${q.join(',')}}`}::real[]) as t(a, b))`;
    const sameDims =
      kind === 'pgvector'
        ? sql`vector_dims(c.embedding) = ${q.length}`
        : sql`cardinality(c.embedding) = ${q.length}`;
    const result = await this.db.execute(sql`
      select c.id as chunk_id, c.document_id, c.knowledge_base_id, d.source_name, c.heading_path,
             c.position, c.content, ${similarity} as score
      from kb_chunks c
      join kb_documents d on d.id = c.document_id
      where d.workspace_id = ${workspaceId}::uuid
        and d.status = 'ready'
        and c.knowledge_base_id in (${ids})
        and c.embedding_model = ${model}
        and ${sameDims}
      order by score desc, c.id
      limit ${Math.max(1, Math.min(limit, 50))}`);
    return rows(result).map(toHit);
  }
}

const rows = (result: unknown): Record<string, unknown>[] =>
  (result as { rows: Record<string, unknown>[] }).rows;

const toHit = (r: Record<string, unknown>): KbSearchHit => ({
  chunkId: String(r.chunk_id),
  documentId: String(r.document_id),
  knowledgeBaseId: String(r.knowledge_base_id),
  source: String(r.source_name),
  headingPath: parseTextArray(r.heading_path),
  position: Number(r.position),
  text: String(r.content),
  score: Number(r.score),
});

/** A text[] as the driver returns it from a raw query: an array, or PostgreSQL's `{a,"b c"}` text. */
function parseTextArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string' || v === '{}') return [];
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,{}]+)/g;
  for (let m = re.exec(v); m; m = re.exec(v))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''));
  return out;
}
