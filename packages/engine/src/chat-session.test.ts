import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatSession } from './chat-session.js';
import { FakeLlm } from './fakes/fake-llm.js';
import { FakeProviderFactory } from './fakes/fake-provider-factory.js';
import { snapshotOf } from './fakes/session-harness.js';

test('text chat: same model and tools, typed turns, variables rendered', async () => {
  const llm = new FakeLlm({
    replies: [
      { toolCalls: [{ name: 'send_dtmf', args: { digits: '1' } }] },
      'Pressed one for you.',
      { text: 'Bye!', toolCalls: [{ name: 'end_call', args: {} }] },
    ],
  });
  const chat = await ChatSession.create({
    snapshot: snapshotOf({
      providers: { asr: ['local:a'], llm: ['local:llm'], tts: ['local:t'] },
      systemPrompt: 'You work for {{company}}.',
      greeting: 'Hi from {{company}}!',
      tools: [{ type: 'send_dtmf' }, { type: 'end_call' }],
    }),
    providers: new FakeProviderFactory({ llm: { 'local:llm': llm } }),
    variables: { company: 'Acme' },
  });
  assert.equal(chat.greeting, 'Hi from Acme!');
  const first = await chat.send('Press one');
  assert.equal(first.text, 'Pressed one for you.');
  assert.deepEqual(first.toolCalls, [
    { name: 'send_dtmf', args: { digits: '1' }, result: { sent: '1' }, ok: true },
  ]);
  assert.equal(first.ended, false);
  assert.equal(llm.requests[0]?.[0]?.content, 'You work for Acme.');
  const last = await chat.send('Thanks, bye');
  assert.equal(last.ended, true);
  assert.deepEqual(last.effect, { kind: 'end-call' });
  assert.deepEqual(
    chat.transcript.map((e) => e.role),
    ['agent', 'caller', 'tool', 'agent', 'caller', 'tool', 'agent'],
  );
  await chat.close();
});
