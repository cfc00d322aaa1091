import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgentConfig } from '@switchboard/core';
import { createEmbedderFactory, fakeEmbeddingsServer, type ResolvedProvider } from '@switchboard/providers';
import { resolveStoredProvider, type Store } from '@switchboard/store';
import { testBackends } from '@switchboard/store/testing';
import { searchKnowledge } from '../calls/knowledge-embedding.js';
import { knowledgeSource } from '../calls/knowledge-source.js';
import { bearer, createTestApp, type TestApp } from '../testing.js';

const HANDBOOK = `# Bayview Dental

## Opening hours
We are open Monday to Friday from 8 am to 6 pm. On Saturdays we open from 9 am to noon.

## Parking
Patients park for free in the garage behind the building. Bicycles go in the rack by the door.

## Aftercare
After a filling, wait two hours before eating. Avoid very hot drinks until the numbness wears off.
`;

/** What the stand-in model knows: these words mean the same to it (a paraphrase shares no word). */
const SYNONYMS = { vehicle: 'car', garage: 'car', cost: 'free', charge: 'free', leave: 'park' };
const PARAPHRASE = 'Is there somewhere to put my vehicle at no cost?';

/** The provider as the composition root resolves it: the row and its decrypted credential. */
const lookup =
  (store: Store) =>
  (workspaceId: string, id: string): Promise<ResolvedProvider> =>
    resolveStoredProvider(store, workspaceId, id);

for (const backend of testBackends()) {
  describe(`knowledge base embeddings over HTTP on ${backend}`, () => {
    let t: TestApp;
    let fake: Awaited<ReturnType<typeof fakeEmbeddingsServer>>;
    let held: (() => void) | undefined;
    let holdModel: string | undefined;
    let slowQuestions = false;
    let heldQuestion: (() => void) | undefined;
    let providerId: string;
    let member: string;
    const inject = (key: string, method: string, url: string, extra: Record<string, unknown> = {}) =>
      t.app.inject({
        method: method as 'GET',
        url,
        ...extra,
        headers: { ...bearer(key), ...((extra.headers as Record<string, string>) ?? {}) },
      });
    const admin = (method: string, url: string, payload?: unknown) =>
      inject(t.adminKey, method, url, payload === undefined ? {} : { payload });

    async function handbook(name: string): Promise<string> {
      const res = await admin('POST', '/v1/knowledge-bases', { name });
      const kb = res.json().id as string;
      const up = await inject(t.adminKey, 'POST', `/v1/knowledge-bases/${kb}/documents?name=handbook.md`, {
        headers: { 'content-type': 'text/markdown' },
        payload: HANDBOOK,
      });
      assert.equal(up.json().status, 'ready', up.body);
      return kb;
    }

    before(async () => {
      fake = await fakeEmbeddingsServer({
        dims: 128,
        synonyms: SYNONYMS,
        models: ['concepts-1', 'concepts-2'],
        // Holds the passage batches of `holdModel` (not single questions) until released.
        hold: (model, input) =>
          model === holdModel && input.length > 1
            ? new Promise<void>((resolve) => {
                held = resolve;
              })
            : slowQuestions && input.length === 1
              ? new Promise<void>((resolve) => {
                  heldQuestion = resolve;
                })
              : undefined,
      });
      t = await createTestApp({
        backend,
        embedderFor: ({ store, outbound }) => createEmbedderFactory(lookup(store), outbound),
      });
      member = (await t.store.apiKeys.create(t.workspaceId, { name: 'm', role: 'member' })).key;
      const cred = await admin('POST', '/v1/credentials', {
        name: 'local embeddings key',
        value: 'sk-local-embeddings',
        allowedHosts: ['127.0.0.1'],
      });
      assert.equal(cred.statusCode, 201, cred.body);
      const p = await admin('POST', '/v1/providers', {
        name: 'Local embeddings',
        kind: 'llm',
        type: 'openai-compatible',
        settings: { baseUrl: fake.baseUrl, model: 'chat-model' },
        credentialId: cred.json().id,
      });
      assert.equal(p.statusCode, 201, p.body);
      providerId = p.json().id;
    });
    after(async () => {
      held?.();
      heldQuestion?.();
      await t.close();
      await fake.close();
    });

    test('with embeddings, search is hybrid and finds a paraphrase that full-text misses', async () => {
      const kb = await handbook('Hybrid');
      const lexical = await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: PARAPHRASE });
      assert.equal(lexical.json().mode, 'lexical');
      assert.deepEqual(lexical.json().data, [], 'no word of the question is in the handbook');

      const set = await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
        embeddings: { providerId, model: 'concepts-1' },
      });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal(set.json().embeddings.model, 'concepts-1');
      await t.knowledge!.kick(t.workspaceId, kb);

      const view = (await inject(member, 'GET', `/v1/knowledge-bases/${kb}`)).json();
      assert.equal(view.embeddings.state, 'ready');
      assert.equal(view.embeddings.embedded, view.embeddings.total);
      assert.ok(view.embeddings.total >= 1);
      assert.equal(view.embeddings.dimensions, 128);
      assert.equal(view.vectorSearch, backend === 'pglite' ? 'pgvector' : view.vectorSearch);
      assert.ok(['pgvector', 'exact-scan'].includes(view.vectorSearch));
      const last = fake.requests.at(-1)!;
      assert.equal(
        last.headers.authorization,
        'Bearer sk-local-embeddings',
        'the credential goes to its host',
      );

      const hybrid = await inject(member, 'POST', `/v1/knowledge-bases/${kb}/search`, {
        payload: { query: PARAPHRASE, limit: 3 },
      });
      assert.equal(hybrid.json().mode, 'hybrid');
      const top = hybrid.json().data[0];
      assert.match(top.text, /garage behind the building/);
      assert.equal(top.source, 'handbook.md');
      assert.deepEqual(top.headingPath, ['Bayview Dental', 'Parking']);
      assert.equal(typeof top.position, 'number');

      // A question both lists answer keeps its full-text best first, with a fused score.
      const both = (
        await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: 'when are you open on saturdays' })
      ).json();
      assert.equal(both.mode, 'hybrid');
      assert.match(both.data[0].text, /Saturdays/);
      assert.ok(both.data[0].score > 1 / 61, 'found by both lists: more than one first place');

      // What calls use: the knowledge_search tool and per-turn retrieval.
      const config = { knowledge: { knowledgeBaseIds: [kb] } } as unknown as AgentConfig;
      const source = knowledgeSource(t.store, t.workspaceId, config, {
        embedderFor: createEmbedderFactory(lookup(t.store), t.outbound),
      });
      const hits = await source!.search(PARAPHRASE, { limit: 2 });
      assert.match(hits[0]?.text ?? '', /garage/);
      const lexicalOnly = await knowledgeSource(t.store, t.workspaceId, config)!.search(PARAPHRASE, {
        limit: 2,
      });
      assert.deepEqual(lexicalOnly, []);
    });

    test('changing the model re-embeds in the background while search keeps answering', async () => {
      const kb = await handbook('Re-embed');
      await admin('PATCH', `/v1/knowledge-bases/${kb}`, { embeddings: { providerId, model: 'concepts-1' } });
      await t.knowledge!.kick(t.workspaceId, kb);
      holdModel = 'concepts-2';
      const changed = await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
        embeddings: { providerId, model: 'concepts-2' },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      const during = changed.json().embeddings;
      assert.equal(during.model, 'concepts-2');
      assert.equal(during.state, 'embedding');
      assert.equal(during.embedded, 0);
      assert.ok(during.total > 0);
      await until(() => held !== undefined);
      const meanwhile = (
        await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: 'opening hours' })
      ).json();
      assert.match(meanwhile.data[0].text, /Monday to Friday/, 'full-text keeps answering');
      assert.equal(
        (await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: PARAPHRASE })).json().data.length,
        0,
        'no passage has a vector of the new model yet, and the old ones are not compared with it',
      );
      const run = t.knowledge!.kick(t.workspaceId, kb);
      held?.();
      holdModel = undefined;
      await run;
      const done = (await admin('GET', `/v1/knowledge-bases/${kb}`)).json().embeddings;
      assert.equal(done.state, 'ready');
      assert.equal(done.embedded, done.total);
      const after = (await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: PARAPHRASE })).json();
      assert.match(after.data[0].text, /garage/);
    });

    test('at start, passages left without their embeddings are embedded', async () => {
      const kb = await handbook('Left over');
      // Set while nothing embeds (as when the process stopped before the run).
      await t.store.knowledge.setEmbeddingConfig(t.workspaceId, kb, { providerId, model: 'concepts-1' });
      const before = await t.store.knowledge.embeddingProgress(kb, 'concepts-1');
      assert.equal(before.embedded, 0);
      await t.knowledge!.resumeAll();
      assert.ok(t.knowledge!.isRunning(kb), 'a run was started for it');
      await t.knowledge!.kick(t.workspaceId, kb);
      const after = await t.store.knowledge.embeddingProgress(kb, 'concepts-1');
      assert.equal(after.embedded, after.total);
    });

    test('a question the endpoint is slow to embed is searched by words alone', async () => {
      const kb = await handbook('Slow');
      await admin('PATCH', `/v1/knowledge-bases/${kb}`, { embeddings: { providerId, model: 'concepts-1' } });
      await t.knowledge!.kick(t.workspaceId, kb);
      slowQuestions = true;
      const deps = {
        store: t.store,
        embedderFor: createEmbedderFactory(lookup(t.store), t.outbound),
        embedTimeoutMs: 50,
      };
      const r = await searchKnowledge(deps, t.workspaceId, [kb], 'opening hours', 3);
      assert.ok(heldQuestion, 'the question reached the endpoint and is still unanswered');
      slowQuestions = false;
      heldQuestion?.();
      heldQuestion = undefined;
      assert.equal(r.mode, 'lexical');
      assert.match(r.hits[0]?.text ?? '', /Monday to Friday/);
      const caller = new AbortController();
      caller.abort(new Error('barge-in'));
      await assert.rejects(
        searchKnowledge(deps, t.workspaceId, [kb], 'opening hours', 3, caller.signal),
        /barge-in/,
      );
    });

    test('a model the endpoint refuses is reported, and search falls back to full-text', async () => {
      const kb = await handbook('Refused');
      await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
        embeddings: { providerId, model: 'no-such-model' },
      });
      await t.knowledge!.kick(t.workspaceId, kb);
      const view = (await admin('GET', `/v1/knowledge-bases/${kb}`)).json().embeddings;
      assert.equal(view.state, 'failed');
      assert.match(view.error, /404/);
      assert.equal(view.embedded, 0);
      const r = (await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: 'opening hours' })).json();
      assert.equal(r.mode, 'lexical');
      assert.match(r.data[0].text, /Monday to Friday/);
      const off = await admin('PATCH', `/v1/knowledge-bases/${kb}`, { embeddings: null });
      assert.equal(off.json().embeddings, null);
    });

    test('a credential narrowed after its provider was saved is never sent to the old host', async () => {
      const cred = await admin('POST', '/v1/credentials', {
        name: 'narrowed key',
        value: 'sk-narrowed',
        allowedHosts: ['127.0.0.1'],
      });
      const p = await admin('POST', '/v1/providers', {
        name: 'Narrowed embeddings',
        kind: 'llm',
        type: 'openai-compatible',
        settings: { baseUrl: fake.baseUrl, model: 'chat-model' },
        credentialId: cred.json().id,
      });
      assert.equal(p.statusCode, 201, p.body);
      const narrowed = await admin('PATCH', `/v1/credentials/${cred.json().id}`, {
        allowedHosts: ['embeddings.example.com'],
      });
      assert.equal(narrowed.statusCode, 200, narrowed.body);
      const kb = await handbook('Narrowed');
      const sent = fake.requests.length;
      await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
        embeddings: { providerId: p.json().id, model: 'concepts-1' },
      });
      await t.knowledge!.kick(t.workspaceId, kb);
      const view = (await admin('GET', `/v1/knowledge-bases/${kb}`)).json().embeddings;
      assert.equal(view.state, 'failed');
      assert.match(view.error, /not an allowed host for credential "narrowed key"/);
      const r = (await admin('POST', `/v1/knowledge-bases/${kb}/search`, { query: PARAPHRASE })).json();
      assert.equal(r.mode, 'lexical');
      assert.equal(fake.requests.length, sent, 'nothing reached the endpoint');
    });

    test('embeddings settings are checked: an OpenAI-compatible provider of the workspace, admins only', async () => {
      const kb = await handbook('Checks');
      const tts = await admin('POST', '/v1/providers', {
        name: 'Voice',
        kind: 'tts',
        type: 'espeak',
        settings: {},
      });
      assert.equal(tts.statusCode, 201, tts.body);
      for (const [id, pattern] of [
        [tts.json().id, /llm\/openai-compatible/],
        ['00000000-0000-4000-8000-000000000009', /no provider/],
      ] as const) {
        const bad = await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
          embeddings: { providerId: id, model: 'm' },
        });
        assert.equal(bad.statusCode, 400, bad.body);
        assert.equal(bad.json().error.details[0].path, 'body.embeddings.providerId');
        assert.match(bad.json().error.details[0].message, pattern);
      }
      const empty = await admin('PATCH', `/v1/knowledge-bases/${kb}`, {
        embeddings: { providerId, model: '' },
      });
      assert.equal(empty.statusCode, 400);
      const byMember = await inject(member, 'PATCH', `/v1/knowledge-bases/${kb}`, {
        payload: { embeddings: { providerId, model: 'concepts-1' } },
      });
      assert.equal(byMember.statusCode, 403);
      assert.equal((await admin('GET', `/v1/knowledge-bases/${kb}`)).json().embeddings, null);
    });
  });
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}
