import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decodeCorpusFile, FUZZ_TARGETS, runTarget } from './targets.js';

/** Replays fuzz/corpus/<target>/: nothing may crash; `ok-*` must parse, `bad-*` must be rejected. */
const corpusDir = new URL('../../fuzz/corpus/', import.meta.url);
const strict = new Set(['sip', 'sdp', 'rtp']);

for (const target of FUZZ_TARGETS) {
  describe(`fuzz corpus: ${target.name}`, () => {
    const dir = new URL(`${target.name}/`, corpusDir);
    const files = readdirSync(dir).sort();
    test('has seed inputs', () => assert.ok(files.length > 0));
    for (const file of files) {
      test(file, () => {
        const input = decodeCorpusFile(file, readFileSync(new URL(file, dir)));
        assert.equal(runTarget(target, input), undefined);
        if (!strict.has(target.name)) return;
        if (file.startsWith('ok-')) target.run(input);
        if (file.startsWith('bad-'))
          assert.throws(
            () => target.run(input),
            (e) => target.expected(e),
          );
      });
    }
  });
}
