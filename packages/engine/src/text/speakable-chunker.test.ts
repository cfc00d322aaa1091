import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpeakableChunker } from './speakable-chunker.js';

const feed = (c: SpeakableChunker, text: string, step = 3): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...c.push(text.slice(i, i + step)));
  return [...out, ...c.flush()];
};

test('splits at sentence ends as text streams in', () => {
  const c = new SpeakableChunker();
  assert.deepEqual(feed(c, 'Hello there. How can I help? I can book tables!'), [
    'Hello there.',
    'How can I help?',
    'I can book tables!',
  ]);
});

test('keeps abbreviations, initials and decimals inside a sentence', () => {
  const c = new SpeakableChunker();
  assert.deepEqual(feed(c, 'Dr. Smith and J. Doe paid 3.50 dollars. Done.'), [
    'Dr. Smith and J. Doe paid 3.50 dollars.',
    'Done.',
  ]);
});

test('cuts the first chunk early at a clause boundary', () => {
  const c = new SpeakableChunker();
  const out = feed(c, 'Let me check that for you, it will only take a second, maybe two or three at most');
  assert.equal(out[0], 'Let me check that for you,');
  assert.equal(
    out.join(' '),
    'Let me check that for you, it will only take a second, maybe two or three at most',
  );
});

test('caps run-on text at a space', () => {
  const c = new SpeakableChunker({ maxChars: 20 });
  const out = feed(c, 'one two three four five six seven eight nine ten');
  assert.ok(out.every((x) => x.length <= 20));
  assert.equal(out.join(' '), 'one two three four five six seven eight nine ten');
});

test('emits the first sentence before the stream ends', () => {
  const c = new SpeakableChunker();
  assert.deepEqual(c.push('Sure. And'), ['Sure.']);
  assert.equal(c.pending, 'And');
});
