import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AppError } from '@switchboard/core';
import { sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import { openTestStore, testBackends } from '../testing.js';
import { queryTerms } from './knowledge.js';

for (const backend of testBackends()) {
  describe(`knowledge bases on ${backend}`, () => {
    let store: Store;
    let ws: string;
    let other: string;

    before(async () => {
      store = await openTestStore(backend);
      ws = (await store.accounts.createWorkspace('Acme')).id;
      other = (await store.accounts.createWorkspace('Other')).id;
    });
    after(() => store.close());

    async function docWith(kbId: string, name: string, chunks: [string[], string][]) {
      const doc = await store.knowledge.createDocument(ws, kbId, {
        sourceName: name,
        sourceType: 'md',
        sizeBytes: 100,
      });
      return store.knowledge.completeDocument(
        doc.id,
        chunks.map(([headingPath, content]) => ({
          headingPath,
          content,
          tokenCount: Math.ceil(content.length / 4),
        })),
      );
    }

    test('search finds chunks by stemmed words, ranks better matches first, cites the source', async () => {
      const kb = await store.knowledge.createBase(ws, { name: 'Clinic' });
      const doc = await docWith(kb.id, 'clinic.md', [
        [['Clinic', 'Opening hours'], 'We are open from nine to five on weekdays.'],
        [['Clinic', 'Parking'], 'Patients park behind the building; parking is free.'],
        [['Billing'], 'We accept cards and cash. Invoices are sent monthly.'],
      ]);
      assert.equal(doc.status, 'ready');
      assert.equal(doc.chunkCount, 3);
      const hits = await store.knowledge.search(ws, [kb.id], 'Where can I park my car?', 5);
      assert.equal(hits[0]?.text, 'Patients park behind the building; parking is free.');
      assert.deepEqual(hits[0]?.headingPath, ['Clinic', 'Parking']);
      assert.equal(hits[0]?.source, 'clinic.md');
      assert.equal(hits[0]?.position, 1);
      assert.equal(hits.length, 1, 'only chunks sharing a word match');
      const hours = await store.knowledge.search(ws, [kb.id], 'what are your opening hours', 5);
      assert.match(hours[0]?.text ?? '', /nine to five/);
      assert.deepEqual(await store.knowledge.search(ws, [kb.id], 'the and of', 5), [], 'stop words only');
      assert.deepEqual(await store.knowledge.search(ws, [kb.id], '?!', 5), []);
    });

    test('search stays inside the workspace and the knowledge bases asked for', async () => {
      const a = await store.knowledge.createBase(ws, { name: 'A' });
      const b = await store.knowledge.createBase(ws, { name: 'B' });
      await docWith(a.id, 'a.txt', [[[], 'Zebras live in the savanna.']]);
      await docWith(b.id, 'b.txt', [[[], 'Zebras in the zoo eat hay.']]);
      assert.equal((await store.knowledge.search(ws, [a.id], 'zebras', 5)).length, 1);
      assert.equal((await store.knowledge.search(ws, [a.id, b.id], 'zebras', 5)).length, 2);
      assert.deepEqual(await store.knowledge.search(other, [a.id, b.id], 'zebras', 5), []);
      await assert.rejects(store.knowledge.getBase(other, a.id), /not found/);
    });

    test('only ready documents are searched: one still being written is not found', async () => {
      const kb = await store.knowledge.createBase(ws, { name: 'Partial' });
      const doc = await docWith(kb.id, 'otters.txt', [[[], 'Otters hold hands while they sleep.']]);
      assert.equal((await store.knowledge.search(ws, [kb.id], 'otters', 5)).length, 1);
      await store.database.db.execute(
        sql`update kb_documents set status = 'processing' where id = ${doc.id}`,
      );
      assert.deepEqual(await store.knowledge.search(ws, [kb.id], 'otters', 5), []);
      const failed = await store.knowledge.failDocument(doc.id, 'stopped');
      assert.equal(failed.status, 'failed');
      assert.equal(
        (await store.knowledge.chunks(ws, kb.id, doc.id)).length,
        0,
        'a failed document keeps no chunks',
      );
    });

    test('a document of many chunks is written whole, in order', async () => {
      const kb = await store.knowledge.createBase(ws, { name: 'Long' });
      const chunks = Array.from(
        { length: 123 },
        (_, i) => [['Part'], `Paragraph number ${i} about kites.`] as [string[], string],
      );
      const doc = await docWith(kb.id, 'kites.md', chunks);
      assert.equal(doc.chunkCount, 123);
      const stored = await store.knowledge.chunks(ws, kb.id, doc.id);
      assert.deepEqual(
        stored.map((c) => c.position),
        Array.from({ length: 123 }, (_, i) => i),
      );
      assert.equal(stored[122]?.content, 'Paragraph number 122 about kites.');
    });

    test('unknown knowledge base ids are named, with their place in the list', async () => {
      const kb = await store.knowledge.createBase(ws, { name: 'Known' });
      const foreign = await store.knowledge.createBase(other, { name: 'Foreign' });
      const missing = '00000000-0000-4000-8000-000000000000';
      await store.knowledge.assertBases(ws, [kb.id], 'knowledge.knowledgeBaseIds');
      await assert.rejects(
        store.knowledge.assertBases(ws, [kb.id, missing, foreign.id], 'knowledge.knowledgeBaseIds'),
        (e: AppError) =>
          e.status === 400 &&
          e.details.map((d) => d.path).join() === 'knowledge.knowledgeBaseIds.1,knowledge.knowledgeBaseIds.2',
      );
    });

    test('a failed document keeps its reason; deleting a document or base removes its chunks', async () => {
      const kb = await store.knowledge.createBase(ws, { name: 'Docs' });
      const bad = await store.knowledge.createDocument(ws, kb.id, {
        sourceName: 'broken.pdf',
        sourceType: 'pdf',
        sizeBytes: 10,
      });
      const failed = await store.knowledge.failDocument(bad.id, 'not a PDF file');
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'not a PDF file');
      const good = await docWith(kb.id, 'walrus.txt', [[[], 'Walruses have tusks.']]);
      assert.deepEqual(await store.knowledge.documentCounts(kb.id), { failed: 1, ready: 1 });
      assert.equal((await store.knowledge.chunks(ws, kb.id, good.id)).length, 1);
      await store.knowledge.deleteDocument(ws, kb.id, good.id);
      assert.deepEqual(await store.knowledge.search(ws, [kb.id], 'walrus', 5), []);
      await docWith(kb.id, 'walrus2.txt', [[[], 'Walruses again.']]);
      await store.knowledge.deleteBase(ws, kb.id);
      assert.deepEqual(await store.knowledge.search(ws, [kb.id], 'walrus', 5), []);
      await assert.rejects(store.knowledge.deleteBase(ws, kb.id), /not found/);
    });
  });
}

test('query terms: lower-case words and numbers, deduplicated, no query syntax', () => {
  assert.deepEqual(queryTerms("What's the price of plan B? plan b!"), [
    'what',
    's',
    'the',
    'price',
    'of',
    'plan',
    'b',
  ]);
  assert.deepEqual(queryTerms("a & b | !c:* ' ) ("), ['a', 'b', 'c']);
  assert.deepEqual(queryTerms('Größe 42'), ['größe', '42']);
});
