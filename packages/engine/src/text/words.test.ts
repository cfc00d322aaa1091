import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBackchannel, leadingWords, words } from './words.js';

const bc = new Set(['okay', 'yeah', 'mm-hmm', 'got it']);

test('words strip punctuation and keep hyphens', () => {
  assert.deepEqual(words('Mm-hmm, okay!'), ['mm-hmm', 'okay']);
});

test('backchannel: only acknowledgements, phrases included', () => {
  assert.equal(isBackchannel('Yeah, okay.', bc), true);
  assert.equal(isBackchannel('got it', bc), true);
  assert.equal(isBackchannel('yeah but wait', bc), false);
  assert.equal(isBackchannel('', bc), false);
});

test('leadingWords rounds to the nearest word', () => {
  assert.equal(leadingWords('one two three four', 0.5), 'one two');
  assert.equal(leadingWords('one two three four', 0.6), 'one two');
  assert.equal(leadingWords('one two three four', 1.2), 'one two three four');
  assert.equal(leadingWords('one two three four', 0), '');
});
