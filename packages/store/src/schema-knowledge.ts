import { sql } from 'drizzle-orm';
import { check, customType, index, integer, pgTable, real, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { providers, workspaces } from './schema.js';

/**
 * Knowledge bases: documents a workspace uploads, split into chunks that agents search. Full-text
 * search runs on a stored tsvector (English stemming), which PGlite and PostgreSQL both have.
 *
 * Embeddings are configured per knowledge base, not per workspace: a knowledge base is what a
 * document set is indexed for, and changing its model re-embeds only its own passages (in the
 * background, lexical search answering meanwhile). A search over several knowledge bases embeds the
 * question once per distinct model and fuses every list by rank (reciprocal rank fusion), so bases
 * on different models still rank together without comparing their scores.
 */

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const knowledgeBases = pgTable(
  'knowledge_bases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    /**
     * The OpenAI-compatible provider (`llm`/`openai-compatible`: its base URL and credential) whose
     * `/embeddings` endpoint embeds the passages; null for lexical search only. Deleting the
     * provider turns vector search off rather than being refused.
     */
    embeddingProviderId: uuid('embedding_provider_id').references(() => providers.id, {
      onDelete: 'set null',
    }),
    /** The embeddings model, as the endpoint names it (`text-embedding-3-small`, `nomic-embed-text`). */
    embeddingModel: text('embedding_model'),
    /** Learned from the first answer of the model; null until then. */
    embeddingDimensions: integer('embedding_dimensions'),
    /** Why embedding last stopped (the endpoint refused, say); cleared when it runs again. */
    embeddingError: text('embedding_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('knowledge_bases_workspace_idx').on(t.workspaceId, t.createdAt)],
);

export const KB_SOURCE_TYPES = ['txt', 'md', 'html', 'pdf', 'docx'] as const;
export type KbSourceType = (typeof KB_SOURCE_TYPES)[number];
export const KB_DOCUMENT_STATUSES = ['processing', 'ready', 'failed'] as const;
export type KbDocumentStatus = (typeof KB_DOCUMENT_STATUSES)[number];

export const kbDocuments = pgTable(
  'kb_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    sourceName: text('source_name').notNull(),
    sourceType: text('source_type', { enum: KB_SOURCE_TYPES }).notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    status: text('status', { enum: KB_DOCUMENT_STATUSES }).notNull().default('processing'),
    /** Why the document could not be read, when `failed`. */
    error: text('error'),
    chunkCount: integer('chunk_count').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('kb_documents_kb_idx').on(t.knowledgeBaseId, t.createdAt),
    check('kb_documents_status_ck', sql`${t.status} in ('processing','ready','failed')`),
    check('kb_documents_type_ck', sql`${t.sourceType} in ('txt','md','html','pdf','docx')`),
  ],
);

export const kbChunks = pgTable(
  'kb_chunks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => kbDocuments.id, { onDelete: 'cascade' }),
    knowledgeBaseId: uuid('knowledge_base_id')
      .notNull()
      .references(() => knowledgeBases.id, { onDelete: 'cascade' }),
    /** Order within the document, from 0. */
    position: integer('position').notNull(),
    /** The headings above the chunk, outermost first. */
    headingPath: text('heading_path').array().notNull().default(sql`'{}'::text[]`),
    content: text('content').notNull(),
    tokenCount: integer('token_count').notNull(),
    /**
     * Written with the chunk (KnowledgeRepo.addChunks): headings weigh more than body text. Not a
     * generated column, because joining the heading array is not an immutable expression.
     */
    tsv: tsvector('tsv').notNull(),
    /**
     * The passage's embedding, normalised to length 1. Declared `real[]` so the migrations run on a
     * PostgreSQL without pgvector; where the `vector` extension is available (PGlite always, a
     * server with pgvector installed) migration 0013 turns the column into `vector`, and search
     * ranks by cosine distance in the database (`KnowledgeRepo.vectorSearchKind`). Raw SQL only:
     * never select it through drizzle, whose row type says `real[]`.
     */
    embedding: real('embedding').array(),
    /** The model `embedding` came from; a passage whose model is not its base's is re-embedded. */
    embeddingModel: text('embedding_model'),
  },
  (t) => [
    index('kb_chunks_document_idx').on(t.documentId, t.position),
    index('kb_chunks_kb_idx').on(t.knowledgeBaseId),
    index('kb_chunks_tsv_idx').using('gin', t.tsv),
  ],
);
