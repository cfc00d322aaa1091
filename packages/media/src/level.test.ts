import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALAW_8K, MULAW_8K, PCM16_16K } from './format.js';
import { alawDecode, mulawDecode } from './g711.js';
import { DBFS_FLOOR, dbfs, rms, silence } from './level.js';
import { sineSamples } from './testing.js';

describe('levels', () => {
  it('rms of a full-scale square wave is 1 and 0 dBFS', () => {
    const sq = Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 32767 : -32768));
    assert.ok(Math.abs(rms(sq) - 1) < 1e-4);
    assert.ok(Math.abs(dbfs(sq)) < 0.01);
  });

  it('a half-scale sine is about -9 dBFS', () => {
    assert.ok(Math.abs(dbfs(sineSamples(1000, 8000, 100, 0.5)) - -9.03) < 0.1);
  });

  it('silence is the floor, never -Infinity; empty input is 0 rms', () => {
    assert.equal(dbfs(new Int16Array(10)), DBFS_FLOOR);
    assert.equal(rms(new Int16Array(0)), 0);
    assert.equal(dbfs(0), DBFS_FLOOR);
  });

  it('silence frames have the right size and decode to (near) zero', () => {
    const m = silence(MULAW_8K, 20);
    assert.equal(m.data.length, 160);
    assert.ok(mulawDecode(m.data).every((s) => s === 0));
    const a = silence(ALAW_8K, 20);
    assert.ok(alawDecode(a.data).every((s) => Math.abs(s) <= 8));
    const p = silence(PCM16_16K, 30);
    assert.equal(p.data.length, 960);
    assert.ok(p.data.every((b) => b === 0));
  });
});
