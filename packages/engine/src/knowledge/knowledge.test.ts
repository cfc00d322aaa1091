import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KNOWLEDGE_SEARCH_TOOL } from '@switchboard/core';
import { ChatSession } from '../chat-session.js';
import { FakeLlm } from '../fakes/fake-llm.js';
import { FakeProviderFactory } from '../fakes/fake-provider-factory.js';
import { SessionHarness, snapshotOf } from '../fakes/session-harness.js';
import { contextMessage, type KnowledgePassage, type KnowledgeSource } from './knowledge.js';

const KB = '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const fast = { endOfTurnSilenceMs: 300, minInterruptionMs: 200, falseInterruptionResumeMs: 500 };

const passage = (text: string, n = 0): KnowledgePassage => ({
  text,
  source: 'handbook.md',
  headingPath: ['Parking'],
  documentId: 'doc-1',
  chunkId: `chunk-${n}`,
  position: n,
  score: 1 / (n + 1),
});

/** A knowledge source that answers every query with the passages given and records the queries. */
function source(passages: KnowledgePassage[]): KnowledgeSource & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async search(query, { limit }) {
      queries.push(query);
      return passages.slice(0, limit);
    },
  };
}

test('the FAQ is part of the instructions of an STS provider', async () => {
  const h = new SessionHarness({
    config: {
      mode: 'sts',
      systemPrompt: 'You answer for Bayview Dental.',
      knowledge: { faq: [{ question: 'Where do I park?', answer: 'Behind the building, free.' }] },
    },
  });
  await h.start();
  const instructions = h.sts.sessions[0]?.options.instructions ?? '';
  assert.match(instructions, /^You answer for Bayview Dental\./);
  assert.match(instructions, /Q: Where do I park\?\nA: Behind the building, free\./);
  await h.hangup();
});

test('each caller turn brings knowledge passages as context, placed before the turn and not kept', async () => {
  const kb = source([passage('Parking is behind the building and free for patients.')]);
  const h = new SessionHarness({
    config: { turnTaking: fast, knowledge: { knowledgeBaseIds: [KB], searchTool: false } },
    asr: { utterances: ['where can I park', 'thanks'] },
    llm: { replies: ['Behind the building.', 'You are welcome.'] },
    session: { knowledge: kb },
  });
  await h.start();
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.llm.requests.length > 0, 5000, 20));
  await h.advance(2000);
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.llm.requests.length > 1, 5000, 20));
  assert.deepEqual(kb.queries, ['where can I park', 'thanks']);
  const [first, second] = h.llm.requests;
  const roles = (first ?? []).map((m) => m.role);
  assert.deepEqual(roles, ['system', 'system', 'user']);
  const context = first?.[1];
  assert.equal(context?.role, 'system');
  assert.match(context?.content ?? '', /\[1\] handbook\.md › Parking\nParking is behind the building/);
  // The second request has its own context, and the first turn's is gone from the history.
  assert.deepEqual(
    (second ?? []).map((m) => m.role),
    ['system', 'user', 'assistant', 'system', 'user'],
  );
  assert.deepEqual(h.llm.toolNames[0], [], 'no search tool when the agent turns it off');
  await h.hangup();
});

test('knowledge_search is offered to the model, and its citations are recorded on tool.called', async () => {
  const kb = source([passage('Parking is free.', 0), passage('Bikes go in the rack.', 1)]);
  const h = new SessionHarness({
    config: {
      turnTaking: fast,
      knowledge: { knowledgeBaseIds: [KB], retrieval: { enabled: false } },
    },
    asr: { utterances: ['is parking free'] },
    llm: {
      replies: [
        { toolCalls: [{ name: KNOWLEDGE_SEARCH_TOOL, args: { query: 'parking price' } }] },
        'It is free.',
      ],
    },
    session: { knowledge: kb },
  });
  await h.start();
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.of('tool.called').length > 0, 5000, 20));
  await h.advance(2000);
  assert.deepEqual(h.llm.toolNames[0], [KNOWLEDGE_SEARCH_TOOL]);
  assert.deepEqual(kb.queries, ['parking price'], 'retrieval off: only the tool searched');
  const [call] = h.of('tool.called');
  assert.equal(call?.data.ok, true);
  const result = call?.data.result as { results: { citation: string; text: string }[] };
  assert.deepEqual(
    result.results.map((r) => [r.citation, r.text]),
    [
      ['[1] handbook.md › Parking', 'Parking is free.'],
      ['[2] handbook.md › Parking', 'Bikes go in the rack.'],
    ],
  );
  const transcriptTool = h.of('transcript.final').find((e) => e.data.role === 'tool');
  assert.match(transcriptTool?.data.text ?? '', /handbook\.md › Parking/);
  await h.hangup();
});

test('a failing knowledge search leaves the reply without context instead of failing the turn', async () => {
  const llm = new FakeLlm({ replies: ['Hello.'] });
  const chat = await ChatSession.create({
    snapshot: snapshotOf({
      knowledge: { knowledgeBaseIds: [KB] },
      providers: { asr: ['local:a'], llm: ['local:llm'], tts: ['local:t'] },
    }),
    providers: new FakeProviderFactory({ llm: { 'local:llm': llm } }),
    knowledge: {
      search: async () => {
        throw new Error('database unavailable');
      },
    },
  });
  const reply = await chat.send('hi');
  assert.equal(reply.text, 'Hello.');
  assert.deepEqual(
    llm.requests[0]?.map((m) => m.role),
    ['system', 'user'],
  );
  await chat.close();
});

test('context is cut to the token budget; a first passage longer than the budget is shortened', () => {
  const long = passage('word '.repeat(400).trim());
  const one = contextMessage([long, passage('second')], 100);
  assert.equal(one?.passages?.length, 1);
  assert.ok((one?.content.length ?? 0) <= 100 * 4 + 4, `content is ${one?.content.length} chars`);
  const both = contextMessage([passage('short one'), passage('short two', 1)], 200);
  assert.equal(both?.passages?.length, 2);
  assert.equal(contextMessage([], 200), undefined);
});
