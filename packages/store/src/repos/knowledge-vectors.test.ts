import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import { type Backend, openTestStore, testBackends } from '../testing.js';
import { normalize } from './knowledge.js';

/** Whether the server can have pgvector, which decides the column type migration 0013 leaves. */
async function serverHasVector(store: Store): Promise<boolean> {
  const r = await store.database.db.execute(
    sql`select count(*)::int as n from pg_available_extensions where name = 'vector'`,
  );
  return Number((r as unknown as { rows: { n: number }[] }).rows[0]?.n) > 0;
}

const unit = (i: number, dims = 4) => Array.from({ length: dims }, (_, j) => (j === i ? 1 : 0));

for (const backend of testBackends()) {
  describe(`knowledge base embeddings on ${backend}`, () => {
    let store: Store;
    let ws: string;
    let providerId: string;

    before(async () => {
      store = await openTestStore(backend as Backend);
      ws = (await store.accounts.createWorkspace('Acme')).id;
      providerId = (
        await store.providers.create(ws, {
          name: 'embedder',
          kind: 'llm',
          type: 'openai-compatible',
          settings: { baseUrl: 'http://127.0.0.1:9/v1', model: 'chat' },
        })
      ).id;
    });
    after(() => store.close());

    async function baseWith(texts: string[]) {
      const kb = await store.knowledge.createBase(ws, { name: `kb ${Math.random()}` });
      const doc = await store.knowledge.createDocument(ws, kb.id, {
        sourceName: 'guide.md',
        sourceType: 'md',
        sizeBytes: 10,
      });
      await store.knowledge.completeDocument(
        doc.id,
        texts.map((content) => ({ headingPath: ['Guide'], content, tokenCount: 5 })),
      );
      return kb;
    }

    test('PGlite ranks with pgvector; PostgreSQL without the extension scans real[] exactly', async () => {
      const expected = backend === 'pglite' || (await serverHasVector(store)) ? 'pgvector' : 'exact-scan';
      assert.equal(await store.knowledge.vectorSearchKind(), expected);
    });

    test('embeddings are stored normalised and searched by cosine, best first, with citations', async () => {
      const kb = await baseWith(['north', 'east', 'south', 'north-east']);
      await store.knowledge.setEmbeddingConfig(ws, kb.id, { providerId, model: 'm1' });
      const pending = await store.knowledge.pendingEmbeddings(kb.id, 'm1', 10);
      assert.equal(pending.length, 4);
      assert.ok(
        pending.every((p) => p.text.startsWith('Guide\n')),
        'headings are embedded with the text',
      );
      const byText = new Map(pending.map((p) => [p.text.split('\n')[1], p.id]));
      const vectors: Record<string, number[]> = {
        north: [3, 0, 0, 0],
        east: [0, 5, 0, 0],
        south: [-2, 0, 0, 0],
        'north-east': [1, 1, 0, 0],
      };
      const written = await store.knowledge.storeEmbeddings(
        kb.id,
        'm1',
        [...byText].map(([text, chunkId]) => ({ chunkId, vector: vectors[text!]! })),
      );
      assert.equal(written, 4);
      assert.deepEqual(await store.knowledge.embeddingProgress(kb.id, 'm1'), { embedded: 4, total: 4 });
      assert.equal((await store.knowledge.getBase(ws, kb.id)).embeddingDimensions, 4);
      const hits = await store.knowledge.vectorSearch(ws, [kb.id], 'm1', [2, 0.5, 0, 0], 4);
      assert.deepEqual(
        hits.map((h) => h.text),
        ['north', 'north-east', 'east', 'south'],
      );
      assert.ok(Math.abs((hits[0]?.score ?? 0) - 2 / Math.hypot(2, 0.5)) < 1e-4, 'cosine similarity');
      assert.equal(hits[0]?.source, 'guide.md');
      assert.deepEqual(hits[0]?.headingPath, ['Guide']);
      assert.equal(hits[0]?.position, 0);
      assert.deepEqual(await store.knowledge.vectorSearch(ws, [kb.id], 'other-model', unit(0), 4), []);
      const other = (await store.accounts.createWorkspace('Other')).id;
      assert.deepEqual(await store.knowledge.vectorSearch(other, [kb.id], 'm1', unit(0), 4), []);
    });

    test('a change of model leaves old vectors unused, and a batch of the old model is not written', async () => {
      const kb = await baseWith(['one', 'two']);
      await store.knowledge.setEmbeddingConfig(ws, kb.id, { providerId, model: 'm1' });
      const pending = await store.knowledge.pendingEmbeddings(kb.id, 'm1', 10);
      await store.knowledge.storeEmbeddings(
        kb.id,
        'm1',
        pending.map((p, i) => ({ chunkId: p.id, vector: unit(i) })),
      );
      const { changed } = await store.knowledge.setEmbeddingConfig(ws, kb.id, { providerId, model: 'm2' });
      assert.equal(changed, true);
      assert.equal((await store.knowledge.getBase(ws, kb.id)).embeddingDimensions, null);
      assert.deepEqual(await store.knowledge.embeddingProgress(kb.id, 'm2'), { embedded: 0, total: 2 });
      assert.equal((await store.knowledge.pendingEmbeddings(kb.id, 'm2', 10)).length, 2);
      assert.equal(
        await store.knowledge.storeEmbeddings(kb.id, 'm1', [{ chunkId: pending[0]!.id, vector: unit(1) }]),
        0,
        'a late batch of the old model is dropped',
      );
      assert.deepEqual(await store.knowledge.vectorSearch(ws, [kb.id], 'm2', unit(0), 5), []);
      // 8 dimensions for m2 is fine (a new model), but then every vector of m2 must have 8.
      await store.knowledge.storeEmbeddings(kb.id, 'm2', [{ chunkId: pending[0]!.id, vector: unit(0, 8) }]);
      await assert.rejects(
        store.knowledge.storeEmbeddings(kb.id, 'm2', [{ chunkId: pending[1]!.id, vector: unit(0, 4) }]),
        /8/,
      );
      const same = await store.knowledge.setEmbeddingConfig(ws, kb.id, { providerId, model: 'm2' });
      assert.equal(same.changed, false);
      await store.knowledge.setEmbeddingConfig(ws, kb.id, null);
      assert.deepEqual(await store.knowledge.embeddingConfigs(ws, [kb.id]), []);
    });

    test('deleting the provider turns the base back to full-text search', async () => {
      const kb = await baseWith(['alpha']);
      const p = await store.providers.create(ws, {
        name: `gone ${Math.random()}`,
        kind: 'llm',
        type: 'openai-compatible',
        settings: { baseUrl: 'http://127.0.0.1:9/v1', model: 'chat' },
      });
      await store.knowledge.setEmbeddingConfig(ws, kb.id, { providerId: p.id, model: 'm1' });
      assert.equal((await store.knowledge.embeddingConfigs(ws, [kb.id])).length, 1);
      await store.providers.delete(ws, p.id);
      assert.deepEqual(await store.knowledge.embeddingConfigs(ws, [kb.id]), []);
    });
  });
}

test('normalize scales to length 1 and leaves a zero vector zero', () => {
  assert.deepEqual(normalize([3, 4]), [0.6, 0.8]);
  assert.deepEqual(normalize([0, 0]), [0, 0]);
});
