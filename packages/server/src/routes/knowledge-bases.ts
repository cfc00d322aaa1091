import { AppError, validationFailed } from '@switchboard/core';
import {
  KB_DOCUMENT_STATUSES,
  KB_SOURCE_TYPES,
  type KbDocument,
  type KnowledgeBase,
} from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { searchKnowledge } from '../calls/knowledge-embedding.js';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';
import { multipartFile } from './campaign-uploads.js';
import { ingestDocument, UPLOAD_MEDIA_TYPES, type Upload } from './knowledge-ingest.js';

const EXAMPLE_KB_ID = '3c9d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const EXAMPLE_DOC_ID = '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b';

const embeddingsView = z
  .object({
    providerId: z.uuid().describe('the OpenAI-compatible provider whose `/embeddings` endpoint is used'),
    model: z.string(),
    dimensions: z.number().int().nullable().describe("the model's vector length, once it has answered"),
    state: z
      .enum(['ready', 'embedding', 'failed'])
      .describe(
        '`embedding` while passages wait for a vector of this model (search is hybrid over those that ' +
          'have one, full-text finds the rest), `failed` when the last run stopped on `error`',
      ),
    embedded: z.number().int().describe('passages of ready documents embedded by this model'),
    total: z.number().int().describe('passages of ready documents'),
    error: z.string().nullable(),
  })
  .meta({ id: 'KnowledgeBaseEmbeddings' });

const kbView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    /** Documents by status; only on the single-item read. */
    documents: z.partialRecord(z.enum(KB_DOCUMENT_STATUSES), z.number().int()).optional(),
    embeddings: embeddingsView
      .nullable()
      .optional()
      .describe(
        'The embeddings model and how far its passages are embedded (single-item read and after a ' +
          'change); null when search is full-text only',
      ),
    vectorSearch: z
      .enum(['pgvector', 'exact-scan'])
      .optional()
      .describe(
        'How this database ranks by vector: `pgvector` (cosine distance in the database: PGlite, or ' +
          'PostgreSQL with the extension) or `exact-scan` (PostgreSQL without pgvector: every passage ' +
          'is compared, exact and slower on large bases). Single-item read only.',
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'KnowledgeBase',
    examples: [
      {
        id: EXAMPLE_KB_ID,
        name: 'Bayview Dental handbook',
        description: 'Opening hours, prices, insurance and aftercare',
        documents: { ready: 3, failed: 1 },
        embeddings: {
          providerId: '8e4f1a2b-3c5d-4e6f-9a7b-1c2d3e4f5a6b',
          model: 'text-embedding-3-small',
          dimensions: 1536,
          state: 'embedding',
          embedded: 640,
          total: 1024,
          error: null,
        },
        vectorSearch: 'pgvector',
        createdAt: '2026-03-02T09:14:05.120Z',
        updatedAt: '2026-03-02T09:14:05.120Z',
      },
    ],
  });

const documentView = z
  .object({
    id: z.uuid(),
    knowledgeBaseId: z.uuid(),
    sourceName: z.string(),
    sourceType: z.enum(KB_SOURCE_TYPES),
    sizeBytes: z.number().int(),
    status: z.enum(KB_DOCUMENT_STATUSES),
    error: z.string().nullable(),
    chunkCount: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'KnowledgeDocument',
    examples: [
      {
        id: EXAMPLE_DOC_ID,
        knowledgeBaseId: EXAMPLE_KB_ID,
        sourceName: 'aftercare.pdf',
        sourceType: 'pdf',
        sizeBytes: 48213,
        status: 'ready',
        error: null,
        chunkCount: 12,
        createdAt: '2026-03-02T09:15:41.002Z',
        updatedAt: '2026-03-02T09:15:41.870Z',
      },
    ],
  });

const chunkView = z
  .object({
    id: z.uuid(),
    position: z.number().int(),
    headingPath: z.array(z.string()),
    content: z.string(),
    tokenCount: z.number().int(),
  })
  .meta({
    id: 'KnowledgeChunk',
    examples: [
      {
        id: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
        position: 3,
        headingPath: ['Aftercare', 'After a filling'],
        content: 'Wait two hours before eating. Avoid very hot drinks until the numbness wears off.',
        tokenCount: 21,
      },
    ],
  });

const hitView = z
  .object({
    chunkId: z.uuid(),
    documentId: z.uuid(),
    knowledgeBaseId: z.uuid(),
    source: z.string().describe("the document's name"),
    headingPath: z.array(z.string()),
    position: z.number().int(),
    text: z.string(),
    score: z
      .number()
      .describe(
        'higher is better; comparable within one search only (the full-text rank, or the fused ' +
          'reciprocal-rank score when the search was hybrid)',
      ),
  })
  .meta({
    id: 'KnowledgeSearchHit',
    examples: [
      {
        chunkId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
        documentId: EXAMPLE_DOC_ID,
        knowledgeBaseId: EXAMPLE_KB_ID,
        source: 'aftercare.pdf',
        headingPath: ['Aftercare', 'After a filling'],
        position: 3,
        text: 'Wait two hours before eating. Avoid very hot drinks until the numbness wears off.',
        score: 0.42,
      },
    ],
  });

const view = (kb: KnowledgeBase) =>
  json({
    id: kb.id,
    name: kb.name,
    description: kb.description,
    createdAt: kb.createdAt,
    updatedAt: kb.updatedAt,
  });
const docView = ({ workspaceId: _w, ...rest }: KbDocument) => json(rest);
const docParams = z.strictObject({ id: z.uuid(), documentId: z.uuid() });

const UPLOAD_HOWTO =
  'Send the file as the raw body with its `Content-Type` (`text/plain`, `text/markdown`, `text/html`, ' +
  '`application/pdf`, the Word .docx type, or `application/octet-stream` with `?name=` ending in the ' +
  'extension), or as the file part of a `multipart/form-data` upload (its file name gives the type). ' +
  'Example: `curl -H "Authorization: Bearer $KEY" -F file=@handbook.pdf $URL/v1/knowledge-bases/$KB/documents` ' +
  'or `curl -H "Authorization: Bearer $KEY" -H "Content-Type: text/markdown" --data-binary @faq.md ' +
  '"$URL/v1/knowledge-bases/$KB/documents?name=faq.md"`.';

export const knowledgeBaseRoutes =
  ({ store, config, logger, knowledge }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /** The base with its documents counted, its embeddings progress and the vector search kind. */
    const fullView = async (kb: KnowledgeBase) => {
      let embeddings: z.infer<typeof embeddingsView> | null = null;
      if (kb.embeddingProviderId && kb.embeddingModel) {
        const p = await store.knowledge.embeddingProgress(kb.id, kb.embeddingModel);
        embeddings = {
          providerId: kb.embeddingProviderId,
          model: kb.embeddingModel,
          dimensions: kb.embeddingDimensions,
          state: p.embedded >= p.total ? 'ready' : kb.embeddingError ? 'failed' : 'embedding',
          ...p,
          error: kb.embeddingError,
        };
      }
      return {
        ...view(kb),
        documents: await store.knowledge.documentCounts(kb.id),
        embeddings,
        vectorSearch: await store.knowledge.vectorSearchKind(),
      };
    };
    const kick = (workspaceId: string, id: string) => {
      void knowledge?.embedding.kick(workspaceId, id).catch(() => {});
    };
    const tags = ['knowledge bases'];
    const admin = { role: 'admin' as const };
    const member = { role: 'member' as const };

    // Uploads arrive as bytes: a raw body of a document type, or multipart (its file part).
    app.addContentTypeParser(
      [...UPLOAD_MEDIA_TYPES, 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: config.KB_MAX_UPLOAD_BYTES },
      (_req, body, done) => done(null, body),
    );
    app.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: config.KB_MAX_UPLOAD_BYTES },
      (req, body, done) => {
        try {
          done(null, multipartFile(body as Buffer, req.headers['content-type'] ?? ''));
        } catch (e) {
          done(e as Error);
        }
      },
    );

    app.get(
      '/knowledge-bases',
      {
        config: member,
        schema: {
          tags,
          summary: 'List knowledge bases',
          description: `The workspace's knowledge bases; needs the member role. ${PAGED}`,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(kbView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.knowledge.listBases(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/knowledge-bases',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create a knowledge base',
          description:
            "An empty knowledge base; upload documents to it, then list its id in an agent's " +
            '`knowledge.knowledgeBaseIds`. Needs the admin role.',
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(200),
              description: z.string().max(2000).nullable().optional(),
            })
            .meta({
              examples: [
                {
                  name: 'Bayview Dental handbook',
                  description: 'Opening hours, prices, insurance and aftercare',
                },
              ],
            }),
          response: { 201: kbView, ...stdErrors },
        },
      },
      async (req, reply) => reply.status(201).send(view(await store.knowledge.createBase(ws(req), req.body))),
    );

    app.get(
      '/knowledge-bases/:id',
      {
        config: member,
        schema: {
          tags,
          summary: 'Get a knowledge base',
          description:
            'One knowledge base with its documents counted by status; needs the member role. 404 when no ' +
            'knowledge base of this workspace has the id.',
          params: idParams,
          response: { 200: kbView, ...stdErrors },
        },
      },
      async (req) => fullView(await store.knowledge.getBase(ws(req), req.params.id)),
    );

    app.patch(
      '/knowledge-bases/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Rename, describe or set the embeddings of a knowledge base',
          description:
            'Updates only the fields given. `embeddings` turns on hybrid search (full-text and vector, ' +
            'fused by reciprocal rank): `providerId` is an `openai-compatible` LLM provider of the workspace, ' +
            'whose base URL serves `/embeddings` (OpenAI, Ollama, vLLM…) and whose credential is sent only to ' +
            'the hosts it allows; `model` is the embeddings model there. The passages are embedded in the ' +
            'background: the answer shows `embeddings.embedded`/`total`, and search stays available ' +
            'meanwhile (hybrid over what is embedded, full-text for the rest). Changing the model or ' +
            'provider embeds everything again the same way; `null` returns to full-text search. Needs the ' +
            'admin role; 404 for an unknown id; 400 for a provider that is not an OpenAI-compatible one of ' +
            'this workspace.',
          params: idParams,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(200).optional(),
              description: z.string().max(2000).nullable().optional(),
              embeddings: z
                .strictObject({ providerId: z.uuid(), model: z.string().trim().min(1).max(200) })
                .nullable()
                .optional(),
            })
            .meta({
              examples: [
                { name: 'Bayview Dental handbook (2026)' },
                {
                  embeddings: {
                    providerId: '8e4f1a2b-3c5d-4e6f-9a7b-1c2d3e4f5a6b',
                    model: 'text-embedding-3-small',
                  },
                },
              ],
            }),
          response: { 200: kbView, ...stdErrors },
        },
      },
      async (req) => {
        const { embeddings, ...rest } = req.body;
        if (embeddings) {
          const provider = await store.providers.get(ws(req), embeddings.providerId).catch(() => null);
          const problem = !provider
            ? `no provider ${embeddings.providerId} in this workspace`
            : provider.kind !== 'llm' || provider.type !== 'openai-compatible'
              ? `provider ${embeddings.providerId} is ${provider.kind}/${provider.type}; embeddings need an llm/openai-compatible provider`
              : undefined;
          if (problem) {
            throw validationFailed(problem, [{ path: 'body.embeddings.providerId', message: problem }]);
          }
        }
        let kb = await store.knowledge.updateBase(ws(req), req.params.id, rest);
        if (embeddings !== undefined) {
          const r = await store.knowledge.setEmbeddingConfig(ws(req), kb.id, embeddings);
          kb = r.base;
          if (embeddings) kick(ws(req), kb.id);
          return fullView(kb);
        }
        return view(kb);
      },
    );

    app.delete(
      '/knowledge-bases/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a knowledge base',
          description:
            'Deletes the knowledge base with all its documents and chunks. Agents that list it find nothing ' +
            'in it from then on; remove it from their `knowledge.knowledgeBaseIds` as well. Needs the admin ' +
            'role; 404 for an unknown id.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.knowledge.deleteBase(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/knowledge-bases/:id/documents',
      {
        config: admin,
        bodyLimit: config.KB_MAX_UPLOAD_BYTES,
        schema: {
          tags,
          summary: 'Upload a document (.txt, .md, .html, .pdf, .docx)',
          description:
            `${UPLOAD_HOWTO} The document is read, split into passages along its headings and sentences, ` +
            'and indexed for full-text search before the answer: `status` is `ready` with its `chunkCount`, or ' +
            '`failed` with the ' +
            'reason in `error` (a damaged PDF, a file that is not what its name says); a failed document is ' +
            'kept so the reason can be read, and can be deleted. Needs the admin role. An empty body, an ' +
            'unsupported type or a JSON body is a 400; a file over `KB_MAX_UPLOAD_BYTES` (20 MB by default) ' +
            'a 413; an unknown knowledge base a 404. When the knowledge base has an embeddings model, the ' +
            "passages are embedded in the background after the answer; the knowledge base's " +
            '`embeddings.embedded`/`total` shows how far.',
          params: idParams,
          querystring: z.strictObject({
            name: z
              .string()
              .trim()
              .min(1)
              .max(255)
              .optional()
              .describe('the document name for a raw body; its extension can give the type'),
          }),
          response: { 201: documentView, 413: stdErrors[400], ...stdErrors },
        },
      },
      async (req, reply) => {
        const kb = await store.knowledge.getBase(ws(req), req.params.id);
        const upload = toUpload(req.body, req.headers['content-type'], req.query.name);
        const doc = await ingestDocument(store, ws(req), kb.id, upload, logger.child({ requestId: req.id }));
        if (doc.status === 'ready' && kb.embeddingModel) kick(ws(req), kb.id);
        return reply.status(201).send(docView(doc));
      },
    );

    app.get(
      '/knowledge-bases/:id/documents',
      {
        config: member,
        schema: {
          tags,
          summary: "List a knowledge base's documents",
          description: `Each document with its status, size and passage count; needs the member role. 404 for an unknown knowledge base. ${PAGED}`,
          params: idParams,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(documentView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.knowledge.listDocuments(ws(req), req.params.id, req.query);
        return { data: r.data.map(docView), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/knowledge-bases/:id/documents/:documentId',
      {
        config: member,
        schema: {
          tags,
          summary: 'Get a document',
          description:
            'One document: its status, and why it failed when it did. Needs the member role; 404 for an ' +
            'unknown knowledge base or document.',
          params: docParams,
          response: { 200: documentView, ...stdErrors },
        },
      },
      async (req) =>
        docView(await store.knowledge.getDocument(ws(req), req.params.id, req.params.documentId)),
    );

    app.get(
      '/knowledge-bases/:id/documents/:documentId/chunks',
      {
        config: member,
        schema: {
          tags,
          summary: "A document's passages",
          description:
            'The passages the document was split into, in order (the first 500), with the headings above ' +
            'each: what search and the agents see. Needs the member role; 404 for an unknown document.',
          params: docParams,
          response: { 200: z.object({ data: z.array(chunkView) }), ...stdErrors },
        },
      },
      async (req) => ({
        data: await store.knowledge.chunks(ws(req), req.params.id, req.params.documentId),
      }),
    );

    app.delete(
      '/knowledge-bases/:id/documents/:documentId',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a document',
          description:
            'Removes the document and its passages; searches stop finding them at once. Needs the admin ' +
            'role; 404 for an unknown knowledge base or document.',
          params: docParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.knowledge.deleteDocument(ws(req), req.params.id, req.params.documentId);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/knowledge-bases/:id/search',
      {
        config: member,
        schema: {
          tags,
          summary: 'Search a knowledge base',
          description:
            'Full-text search (English stemming) over the passages of the knowledge base, best first: any ' +
            'word of the query may match, passages matching more of its words, and in their headings, rank ' +
            'higher. When the knowledge base has an embeddings model, the query is also embedded and the ' +
            'nearest passages by cosine similarity are fused with the full-text ones by reciprocal rank ' +
            '(k = 60): `mode` is then `hybrid` (or `lexical` if the embeddings endpoint could not be reached). ' +
            "This is what an agent's `knowledge_search` tool and per-turn retrieval run. Needs the " +
            'member role; 404 for an unknown knowledge base.',
          params: idParams,
          body: z
            .strictObject({
              query: z.string().trim().min(1).max(1000),
              limit: z.number().int().min(1).max(50).default(5),
            })
            .meta({ examples: [{ query: 'How long should I wait to eat after a filling?', limit: 3 }] }),
          response: {
            200: z.object({
              mode: z.enum(['lexical', 'hybrid']).describe('how the search ran'),
              data: z.array(hitView),
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const kb = await store.knowledge.getBase(ws(req), req.params.id);
        const r = await searchKnowledge(
          { store, embedderFor: knowledge?.embedderFor, logger },
          ws(req),
          [kb.id],
          req.body.query,
          req.body.limit,
        );
        return { mode: r.mode, data: r.hits };
      },
    );
  };

/** The uploaded file from whichever body form was sent; a 400 naming the problem otherwise. */
function toUpload(body: unknown, contentType: string | undefined, name: string | undefined): Upload {
  const bad = (message: string) =>
    new AppError('validation_failed', message, { details: [{ path: 'body', message }] });
  if (Buffer.isBuffer(body)) {
    return { data: body, ...(name ? { fileName: name } : {}), ...(contentType ? { contentType } : {}) };
  }
  if (body && typeof body === 'object' && Buffer.isBuffer((body as { data?: unknown }).data)) {
    const file = body as Upload;
    return { ...file, ...(name ? { fileName: name } : {}) };
  }
  throw bad(
    body === undefined || body === null
      ? 'no document: send the file as the body, or as a multipart/form-data file part'
      : 'send the document itself (as the body or a multipart file part), not JSON',
  );
}
