import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJsgf, normalizePhrase } from './jsgf.js';
import { spellNumber } from './number-words.js';

const dict = new Set(
  "what are your opening hours i would like to book a table for two that's all my order number is four five six seven twenty".split(
    ' ',
  ),
);

describe('JSGF grammar', () => {
  it('builds the exact grammar for a small phrase list', () => {
    const r = buildJsgf(
      [
        'What are your opening hours?',
        'I would like to book a table for 2.',
        "That's all!",
        'what are your OPENING hours',
        'Book at Luigi’s Trattoria',
      ],
      dict,
    );
    assert.equal(
      r.grammar,
      [
        '#JSGF V1.0;',
        'grammar caller;',
        'public <utterance> = <p0> | <p1> | <p2>;',
        '<p0> = what are your opening hours;',
        '<p1> = i would like to book a table for two;',
        "<p2> = that's all;",
        '',
      ].join('\n'),
    );
    assert.deepEqual(r.skipped, [
      { phrase: 'Book at Luigi’s Trattoria', unknownWords: ['at', "luigi's", 'trattoria'] },
    ]);
  });

  it('has no grammar when no phrase survives', () => {
    assert.equal(buildJsgf(['Zyxw qrst'], dict).grammar, undefined);
    assert.equal(buildJsgf([], dict).grammar, undefined);
  });

  it('normalises punctuation, case and digits', () => {
    assert.deepEqual(normalizePhrase('My order number is 4567.'), [
      'my',
      'order',
      'number',
      'is',
      'four',
      'five',
      'six',
      'seven',
    ]);
    assert.deepEqual(normalizePhrase('Table for 20, e-mail & fax'), [
      'table',
      'for',
      'twenty',
      'e',
      'mail',
      'and',
      'fax',
    ]);
    assert.deepEqual(normalizePhrase("'quoted' words"), ['quoted', 'words']);
  });

  it('spells numbers the way callers say them', () => {
    assert.equal(spellNumber('7'), 'seven');
    assert.equal(spellNumber('13'), 'thirteen');
    assert.equal(spellNumber('40'), 'forty');
    assert.equal(spellNumber('42'), 'forty two');
    assert.equal(spellNumber('911'), 'nine one one');
    assert.equal(spellNumber('007'), 'zero zero seven');
  });
});
