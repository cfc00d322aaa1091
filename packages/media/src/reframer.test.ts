import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MULAW_8K, PCM16_8K, PCM16_16K } from './format.js';
import { Reframer } from './reframer.js';
import { seededRandom } from './testing.js';

describe('Reframer', () => {
  it('cuts arbitrary chunks into exact frames and preserves every byte in order', () => {
    const rnd = seededRandom(3);
    const total = 320 * 50 + 77;
    const stream = Uint8Array.from({ length: total }, (_, i) => (i * 7) & 0xff);
    const r = new Reframer(PCM16_8K);
    const frames: Uint8Array[] = [];
    for (let at = 0; at < total; ) {
      const n = Math.min(total - at, Math.floor(rnd() * 700));
      for (const f of r.push(stream.subarray(at, at + n))) {
        assert.equal(f.data.length, 320);
        assert.equal(f.format, PCM16_8K);
        frames.push(f.data);
      }
      at += n;
    }
    assert.equal(frames.length, 50);
    assert.equal(r.pendingBytes, 77);
    const joined = Uint8Array.from(frames.flatMap((f) => [...f]));
    assert.deepEqual(joined, stream.subarray(0, 320 * 50));
  });

  it('holds a dangling pcm16 byte until its partner arrives', () => {
    const r = new Reframer(PCM16_8K, 10); // 160 bytes
    assert.equal(r.push(new Uint8Array(159).fill(1)).length, 0);
    const out = r.push(Uint8Array.of(2, 3));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.data[159], 2);
    assert.equal(r.pendingBytes, 1);
  });

  it('flush pads with the format silence and drops a half sample', () => {
    const m = new Reframer(MULAW_8K);
    m.push(new Uint8Array(40));
    const f = m.flush()!;
    assert.equal(f.data.length, 160);
    assert.ok(f.data.subarray(40).every((b) => b === 0xff));
    assert.equal(m.flush(), undefined);

    const p = new Reframer(PCM16_16K);
    p.push(new Uint8Array(101).fill(9));
    const g = p.flush()!;
    assert.equal(g.data.length, 640);
    assert.equal(g.data[99], 9);
    assert.equal(g.data[100], 0, 'the dangling byte is not kept as half a sample');
    assert.equal(p.pendingBytes, 0);
  });

  it('frames do not alias the caller buffer', () => {
    const r = new Reframer(MULAW_8K);
    const chunk = new Uint8Array(320).fill(5);
    const [a] = r.push(chunk);
    chunk.fill(6);
    assert.equal(a!.data[0], 5);
  });

  it('accepts frames, empty chunks and reports pending milliseconds', () => {
    const r = new Reframer(PCM16_8K);
    assert.deepEqual(r.push(new Uint8Array(0)), []);
    r.push({ format: PCM16_8K, data: new Uint8Array(161) });
    assert.equal(r.pendingMs, 10);
    assert.equal(r.reset(), 161);
    assert.equal(r.pendingBytes, 0);
  });
});
