import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkText, sentences } from './chunk.js';

const sentence = (n: number) => `Sentence number ${n} says something about topic ${n}.`;

test('chunks follow headings: none spans two sections, each carries its heading path', () => {
  const md =
    '# Guide\nIntro text.\n\n## Install\nRun the installer.\n\n### Linux\nUse apt.\n\n## Use\nCall us.';
  assert.deepEqual(
    chunkText(md).map((c) => [c.headingPath.join(' > '), c.content]),
    [
      ['Guide', 'Intro text.'],
      ['Guide > Install', 'Run the installer.'],
      ['Guide > Install > Linux', 'Use apt.'],
      ['Guide > Use', 'Call us.'],
    ],
  );
});

test('long sections are packed by sentences up to the limit, with the last sentences repeated', () => {
  const text = Array.from({ length: 30 }, (_, i) => sentence(i)).join(' ');
  const chunks = chunkText(text, { maxTokens: 60, overlapTokens: 15 });
  assert.ok(chunks.length > 3);
  for (const c of chunks) assert.ok(c.tokenCount <= 60, `chunk of ${c.tokenCount} tokens`);
  for (let i = 1; i < chunks.length; i++) {
    const prevLast = sentences((chunks[i - 1] as { content: string }).content).at(-1);
    assert.ok(chunks[i]?.content.startsWith(prevLast as string), `chunk ${i} starts with the overlap`);
  }
  // Every sentence is in some chunk, in order.
  const seen = chunks.flatMap((c) => sentences(c.content));
  const unique = [...new Set(seen)];
  assert.deepEqual(
    unique,
    Array.from({ length: 30 }, (_, i) => sentence(i)),
  );
});

test('a sentence longer than a chunk is cut between words; a giant word by characters', () => {
  const long = `${'word '.repeat(300).trim()}.`;
  const chunks = chunkText(long, { maxTokens: 50, overlapTokens: 0 });
  assert.ok(chunks.length >= 6);
  for (const c of chunks) assert.ok(c.tokenCount <= 50);
  const blob = chunkText('x'.repeat(1000), { maxTokens: 50, overlapTokens: 0 });
  assert.equal(blob.map((c) => c.content).join(''), 'x'.repeat(1000));
});

test('plain text keeps # lines as text; empty documents have no chunks', () => {
  assert.deepEqual(
    chunkText('# not a heading\nbody', { headings: false }).map((c) => [c.headingPath, c.content]),
    [[[], '# not a heading body']],
  );
  assert.deepEqual(chunkText(''), []);
  assert.deepEqual(chunkText('# Only a heading'), []);
});

test('sentences split after . ! ? before a capital or digit, not inside abbreviations like e.g. x', () => {
  assert.deepEqual(sentences('Open now. Closed at 5! Why? 24 hours a day e.g. weekends.'), [
    'Open now.',
    'Closed at 5!',
    'Why?',
    '24 hours a day e.g. weekends.',
  ]);
});
