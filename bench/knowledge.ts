/**
 * Knowledge base search, measured on PGlite (the embedded default):
 *  - recall@1, recall@5 and mean reciprocal rank of a question set over the documents shipped in
 *    bench/fixtures/knowledge (40 questions worded as callers ask them), alone and among 10,000
 *    distractor chunks;
 *  - search latency p50/p99 over those 10,000+ chunks, and how fast chunks are indexed;
 *  - the same for vector search (pgvector's cosine distance on PGlite) and hybrid search
 *    (reciprocal rank fusion of both), with the passages embedded through the OpenAI-compatible
 *    client from a stand-in `/v1/embeddings` server on loopback: hashed bag-of-words vectors (256
 *    dimensions), not a trained model. Its recall says little about a real model's; its latency is
 *    what the database costs for vectors of that length. For the latency, questions are embedded
 *    in-process by the same function, so the HTTP round trip to a real endpoint is not counted.
 * A question counts as found when a result comes from the right document and section.
 * Usage: node --import tsx bench/knowledge.ts [distractors=10000] [searches=1000]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { silentLogger } from '../packages/core/src/index.js';
import type { Embedder } from '../packages/knowledge/src/index.js';
import { chunkText } from '../packages/knowledge/src/index.js';
import { conceptEmbedding, fakeEmbeddingsServer, OpenAiEmbeddings } from '../packages/providers/src/index.js';
import { KnowledgeEmbedding, searchKnowledge } from '../packages/server/src/calls/knowledge-embedding.js';
import { ingestDocument } from '../packages/server/src/routes/knowledge-ingest.js';
import type { Store } from '../packages/store/src/store.js';
import { openTestStore } from '../packages/store/src/testing.js';
import { printTable, runQueueWaitMs, summarize } from './stats.js';

const DISTRACTORS = Number(process.argv[2] ?? 10_000);
const SEARCHES = Number(process.argv[3] ?? 1000);
const DIR = new URL('./fixtures/knowledge/', import.meta.url);

interface Question {
  q: string;
  doc: string;
  section: string;
}
const questions = JSON.parse(readFileSync(new URL('questions.json', DIR), 'utf8')) as Question[];
const documents = readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md');

/** Deterministic pseudo-random numbers (mulberry32), so every run indexes the same distractors. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Chunks of plausible prose made of the shipped documents' own vocabulary plus filler words, so
 * they compete with the real passages for the same query words.
 */
function distractorChunks(n: number): { content: string; headingPath: string[]; tokenCount: number }[] {
  const random = rng(42);
  const vocab = [
    ...new Set(
      documents.flatMap(
        (f) =>
          readFileSync(new URL(f, DIR), 'utf8')
            .toLowerCase()
            .match(/[a-z]{3,}/g) ?? [],
      ),
    ),
    ...'account order delivery service customer office manager meeting report schedule member request'.split(
      ' ',
    ),
  ];
  const headings = ['General', 'Policies', 'Services', 'Fees', 'Contact', 'Hours', 'Questions', 'Rules'];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: n }, () => {
    const sentences = Array.from({ length: 3 + Math.floor(random() * 4) }, () => {
      const words = Array.from({ length: 8 + Math.floor(random() * 10) }, () => pick(vocab));
      const s = words.join(' ');
      return `${s[0]?.toUpperCase()}${s.slice(1)}.`;
    });
    const content = sentences.join(' ');
    return {
      content,
      headingPath: [pick(headings), pick(headings)],
      tokenCount: Math.ceil(content.length / 4),
    };
  });
}

const MODEL = 'hashed-bow-256';
const DIMS = 256;
/** The stand-in model, in-process: what the loopback server answers, without the HTTP. */
const localEmbedder: Embedder = {
  embed: async (texts) => texts.map((t) => conceptEmbedding(t, MODEL, DIMS)),
};

type Mode = 'lexical' | 'vector' | 'hybrid';
type Search = (
  ws: string,
  kb: string,
  q: string,
  limit: number,
) => Promise<{ source: string; headingPath: string[] }[]>;

function searcher(store: Store, mode: Mode): Search {
  if (mode === 'lexical') return (ws, kb, q, limit) => store.knowledge.search(ws, [kb], q, limit);
  if (mode === 'vector') {
    return async (ws, kb, q, limit) => {
      const [v] = await localEmbedder.embed([q]);
      return store.knowledge.vectorSearch(ws, [kb], MODEL, v ?? [], limit);
    };
  }
  return async (ws, kb, q, limit) =>
    (await searchKnowledge({ store, embedderFor: async () => localEmbedder }, ws, [kb], q, limit)).hits;
}

async function recall(store: Store, ws: string, kb: string, search: Search = searcher(store, 'lexical')) {
  let at1 = 0;
  let at5 = 0;
  let rr = 0;
  for (const { q, doc, section } of questions) {
    const hits = await search(ws, kb, q, 5);
    const rank = hits.findIndex((h) => h.source === doc && h.headingPath.at(-1) === section);
    if (rank === 0) at1++;
    if (rank >= 0) {
      at5++;
      rr += 1 / (rank + 1);
    }
  }
  const n = questions.length;
  return { 'recall@1': at1 / n, 'recall@5': at5 / n, MRR: rr / n };
}

const store = await openTestStore('pglite');
try {
  const ws = (await store.accounts.createWorkspace('bench')).id;
  const kb = (await store.knowledge.createBase(ws, { name: 'bench' })).id;
  let realChunks = 0;
  for (const f of documents) {
    const doc = await ingestDocument(
      store,
      ws,
      kb,
      { data: readFileSync(new URL(f, DIR)), fileName: f },
      silentLogger(),
    );
    if (doc.status !== 'ready') throw new Error(`${f}: ${doc.error}`);
    realChunks += doc.chunkCount;
  }
  const rows: Record<string, string | number>[] = [];
  const small = await recall(store, ws, kb);
  rows.push({
    corpus: `${documents.length} documents, ${realChunks} chunks`,
    questions: questions.length,
    ...small,
  });

  const filler = distractorChunks(DISTRACTORS);
  const t0 = performance.now();
  const doc = await store.knowledge.createDocument(ws, kb, {
    sourceName: 'distractors.txt',
    sourceType: 'txt',
    sizeBytes: filler.reduce((n, c) => n + c.content.length, 0),
  });
  await store.knowledge.completeDocument(doc.id, filler);
  const indexMs = performance.now() - t0;
  const large = await recall(store, ws, kb);
  rows.push({
    corpus: `+ ${DISTRACTORS} distractor chunks`,
    questions: questions.length,
    ...large,
  });
  printTable('Knowledge search quality (lexical, PostgreSQL full-text on PGlite)', rows);

  // Embeddings: every chunk through the OpenAI-compatible client and the background embedder.
  const server = await fakeEmbeddingsServer({ dims: DIMS });
  const provider = await store.providers.create(ws, {
    name: 'bench embeddings',
    kind: 'llm',
    type: 'openai-compatible',
    settings: { baseUrl: server.baseUrl, model: 'chat' },
  });
  await store.knowledge.setEmbeddingConfig(ws, kb, { providerId: provider.id, model: MODEL });
  const embedding = new KnowledgeEmbedding({
    store,
    logger: silentLogger(),
    embedderFor: async (_w, _p, model) => new OpenAiEmbeddings({ baseUrl: server.baseUrl, model }),
  });
  const e0 = performance.now();
  await embedding.kick(ws, kb);
  const embedMs = performance.now() - e0;
  await server.close();
  const progress = await store.knowledge.embeddingProgress(kb, MODEL);
  if (progress.embedded !== progress.total)
    throw new Error(`embedded ${progress.embedded}/${progress.total}`);
  const quality: Record<string, string | number>[] = [];
  for (const mode of ['lexical', 'vector', 'hybrid'] as const) {
    quality.push({
      mode,
      chunks: progress.total,
      questions: questions.length,
      ...(await recall(store, ws, kb, searcher(store, mode))),
    });
  }
  printTable(
    `Knowledge search quality by mode (${progress.total} chunks; vectors: hashed bag of words, ${DIMS} dims)`,
    quality,
  );

  const waitBefore = runQueueWaitMs();
  const latency: Record<string, string | number>[] = [];
  for (const mode of ['lexical', 'vector', 'hybrid'] as const) {
    const search = searcher(store, mode);
    for (let i = 0; i < 20; i++) await search(ws, kb, (questions[i % questions.length] as Question).q, 5);
    const lat: number[] = [];
    for (let i = 0; i < SEARCHES; i++) {
      const q = questions[i % questions.length] as Question;
      const s = performance.now();
      await search(ws, kb, q.q, 5);
      lat.push(performance.now() - s);
    }
    const s = summarize(lat);
    latency.push({
      measure: `${mode} search`,
      n: s.n,
      'p50 ms': s.p50,
      'p99 ms': s.p99,
      'max ms': s.max,
      'mean ms': s.mean,
    });
  }
  const waited = runQueueWaitMs();
  printTable(
    `Knowledge search latency over ${realChunks + DISTRACTORS} chunks (PGlite, ${await store.knowledge.vectorSearchKind()}, top 5)`,
    [
      ...latency,
      {
        measure: `index ${DISTRACTORS} chunks (batches of 50)`,
        n: DISTRACTORS,
        'p50 ms': '',
        'p99 ms': '',
        'max ms': '',
        'mean ms': indexMs / DISTRACTORS,
      },
      {
        measure: `embed ${progress.total} chunks (loopback endpoint, batches of 64)`,
        n: progress.total,
        'p50 ms': '',
        'p99 ms': '',
        'max ms': '',
        'mean ms': embedMs / progress.total,
      },
    ],
  );
  const chunked = chunkText(readFileSync(new URL(documents[0] as string, DIR), 'utf8'));
  process.stdout.write(
    `\nchunks are at most 200 tokens with 40 tokens of overlap (${documents[0]}: ${chunked.length} chunks)` +
      (waitBefore !== undefined && waited !== undefined
        ? `; CPU run-queue wait during the searches: ${(waited - waitBefore).toFixed(0)} ms\n`
        : '\n'),
  );
} finally {
  await store.close();
}
