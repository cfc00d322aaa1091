import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfigSchema } from '@switchboard/core';
import { type ChatMessage, keypadText, type LlmChunk, toolDefinition } from '@switchboard/engine';
import { AnswererLlm, CONFIRM_END, chunks } from './answerer-llm.js';
import { stem } from './matcher.js';

const config = agentConfigSchema.parse({
  tools: [{ type: 'end_call' }],
  knowledge: {
    faq: [
      {
        question: 'What are your opening hours?',
        answer: 'We are open from nine to five, Monday to Saturday.',
        keywords: ['hours', 'open', 'close', 'closing time'],
      },
      {
        question: 'Where are you located?',
        answer: 'We are at 12 Harbour Street, next to the station.',
        keywords: ['address', 'location', 'directions', 'find you'],
      },
      {
        question: 'How can I book a table?',
        answer: 'You can book a table by phone or on our website.',
        keywords: ['book', 'reservation', 'reserve'],
      },
      { question: 'Do you have vegetarian dishes?', answer: 'Yes, half of our menu is vegetarian.' },
    ],
    fallbackAnswer: 'Sorry, I can only answer questions about the restaurant.',
  },
});

async function ask(llm: AnswererLlm, content: string, withTools = true) {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are a helpful phone assistant.' },
    { role: 'user', content },
  ];
  const out: LlmChunk[] = [];
  const tools = withTools ? config.tools.map(toolDefinition) : [];
  for await (const c of llm.chat({ messages, tools, signal: new AbortController().signal })) out.push(c);
  const text = out.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
  const calls = out.flatMap((c) => (c.type === 'tool-call' ? [c.call] : []));
  return { out, text, calls };
}

describe('AnswererLlm', () => {
  const llm = new AnswererLlm(AnswererLlm.optionsFrom(config));

  const paraphrases: [string, number][] = [
    ['When do you open on Saturday?', 0],
    ['what time do you close tonight', 0],
    ['What are the opening hours', 0],
    ["what's your address", 1],
    ['how do I find you', 1],
    ['where is the restaurant located', 1],
    ["I'd like to make a reservation for four", 2],
    ['can I book a table for tomorrow', 2],
    ['any vegetarian dishes on the menu?', 3],
  ];
  for (const [question, index] of paraphrases) {
    it(`answers "${question}" from FAQ entry ${index + 1}`, async () => {
      const { text, calls } = await ask(llm, question);
      assert.equal(text, config.knowledge.faq[index]?.answer);
      assert.equal(calls.length, 0);
    });
  }

  it('falls back when nothing matches', async () => {
    const { text } = await ask(llm, 'Can I bring my dog?');
    assert.equal(text, config.knowledge.fallbackAnswer);
  });

  it('streams the answer as a few chunks', async () => {
    const { out } = await ask(llm, 'where are you located');
    const texts = out.filter((c) => c.type === 'text');
    assert.ok(texts.length >= 2 && texts.length <= 5, `${texts.length} chunks`);
    assert.deepEqual(out.at(-1), { type: 'done', finishReason: 'stop' });
  });

  for (const bye of ['ok bye', 'Goodbye!', "No, that's all, thanks.", 'you can hang up now']) {
    it(`calls end_call on "${bye}"`, async () => {
      const { text, calls, out } = await ask(llm, bye);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]?.name, 'end_call');
      assert.equal(calls[0]?.arguments, '{}');
      assert.equal(text, 'Thank you for calling. Goodbye!');
      assert.deepEqual(out.at(-1), { type: 'done', finishReason: 'tool_calls' });
    });
  }

  it('leaves the goodbye line to the engine when the agent has one', async () => {
    const withLine = new AnswererLlm(AnswererLlm.optionsFrom({ ...config, goodbyeMessage: 'Bye now.' }));
    const { text, calls } = await ask(withLine, 'bye');
    assert.equal(text, '');
    assert.equal(calls.length, 1);
  });

  it('only says goodbye when the agent has no end_call tool', async () => {
    const { text, calls } = await ask(llm, 'goodbye', false);
    assert.equal(calls.length, 0);
    assert.equal(text, 'Thank you for calling. Goodbye!');
  });

  it('picks the n-th FAQ entry for a single digit (IVR style)', async () => {
    assert.equal((await ask(llm, '2')).text, config.knowledge.faq[1]?.answer);
    assert.equal((await ask(llm, 'three')).text, config.knowledge.faq[2]?.answer);
    assert.equal((await ask(llm, '9')).text, config.knowledge.fallbackAnswer);
  });

  it('answers a keypad entry by its digit, and only by its digit', async () => {
    assert.equal((await ask(llm, keypadText('2'))).text, config.knowledge.faq[1]?.answer);
    assert.equal((await ask(llm, keypadText('1#'))).text, config.knowledge.faq[0]?.answer);
    assert.equal((await ask(llm, keypadText('42#'))).text, config.knowledge.fallbackAnswer);
  });

  it('says nothing more after a tool result', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'bye' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'end_call', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', name: 'end_call', content: '{"ok":true}' },
    ];
    const out: LlmChunk[] = [];
    for await (const c of llm.chat({ messages, tools: [], signal: new AbortController().signal }))
      out.push(c);
    assert.deepEqual(out, [{ type: 'done', finishReason: 'stop' }]);
  });

  /** One reply to a conversation whose last user turn carries a recogniser confidence. */
  async function reply(turns: ChatMessage[]) {
    const out: LlmChunk[] = [];
    const tools = config.tools.map(toolDefinition);
    for await (const c of llm.chat({ messages: turns, tools, signal: new AbortController().signal }))
      out.push(c);
    return {
      text: out.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join(''),
      calls: out.flatMap((c) => (c.type === 'tool-call' ? [c.call.name] : [])),
    };
  }

  it('does not hang up on one low-confidence goodbye: it asks first', async () => {
    const first = await reply([{ role: 'user', content: 'goodbye', confidence: 0.3 }]);
    assert.deepEqual(first, { text: CONFIRM_END, calls: [] });
  });

  it('hangs up on a confident goodbye without asking', async () => {
    const r = await reply([{ role: 'user', content: 'goodbye', confidence: 0.9 }]);
    assert.deepEqual(r.calls, ['end_call']);
  });

  for (const [second, confidence] of [
    ['goodbye', 0.3],
    ['yes', 0.4],
    ['yes please', 0.9],
  ] as const) {
    it(`hangs up on "${second}" (confidence ${confidence}) after asking`, async () => {
      const r = await reply([
        { role: 'user', content: 'hang up', confidence: 0.2 },
        { role: 'assistant', content: CONFIRM_END },
        { role: 'user', content: second, confidence },
      ]);
      assert.deepEqual(r.calls, ['end_call']);
    });
  }

  it('carries on when the caller says no to ending the call', async () => {
    const r = await reply([
      { role: 'user', content: 'goodbye', confidence: 0.2 },
      { role: 'assistant', content: CONFIRM_END },
      { role: 'user', content: 'no thank you', confidence: 0.8 },
    ]);
    assert.deepEqual(r.calls, []);
    assert.notEqual(r.text, CONFIRM_END);
    assert.match(r.text, /what else/i);
  });

  it('a "yes" that answers nothing does not end the call', async () => {
    const r = await reply([
      { role: 'assistant', content: 'We are open from nine to five, Monday to Saturday.' },
      { role: 'user', content: 'yes', confidence: 0.9 },
    ]);
    assert.deepEqual(r.calls, []);
  });

  it('gives the fallback answer, not an FAQ entry, to a message the recogniser barely heard', async () => {
    const shaky = await reply([{ role: 'user', content: 'what are your opening hours', confidence: 0.1 }]);
    assert.equal(shaky.text, 'Sorry, I can only answer questions about the restaurant.');
    const clear = await reply([{ role: 'user', content: 'what are your opening hours', confidence: 0.8 }]);
    assert.equal(clear.text, 'We are open from nine to five, Monday to Saturday.');
  });

  it('stops streaming when aborted', async () => {
    const ctrl = new AbortController();
    const out: LlmChunk[] = [];
    const messages: ChatMessage[] = [{ role: 'user', content: 'opening hours' }];
    for await (const c of llm.chat({ messages, tools: [], signal: ctrl.signal })) {
      out.push(c);
      ctrl.abort();
    }
    assert.equal(out.length, 1);
  });
});

describe('answerer helpers', () => {
  it('cuts text into word chunks that join back to the input', () => {
    const text = 'We are open from nine to five, Monday to Saturday.';
    assert.equal(chunks(text, 4).join(''), text);
    assert.equal(chunks(text, 4).length, 3);
  });

  it('stems common suffixes to one form', () => {
    for (const w of ['open', 'opens', 'opening', 'opened']) assert.equal(stem(w), 'open');
    for (const w of ['close', 'closes', 'closing', 'closed']) assert.equal(stem(w), 'clos');
  });
});
