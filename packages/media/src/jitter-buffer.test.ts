import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MULAW_8K } from './format.js';
import { JitterBuffer, type RtpPacketIn } from './jitter-buffer.js';
import { seededRandom } from './testing.js';

/** Packet whose payload encodes its index, so playout order can be checked. */
const packet = (index: number, firstSeq: number, marker = false): RtpPacketIn => {
  const payload = new Uint8Array(160);
  payload[0] = index & 0xff;
  payload[1] = (index >> 8) & 0xff;
  return { seq: (firstSeq + index) & 0xffff, timestamp: (index * 160) >>> 0, payload, marker };
};
const indexOf = (data: Uint8Array) => data[0]! | (data[1]! << 8);
const isSilence = (data: Uint8Array) => data.every((b) => b === 0xff);

describe('JitterBuffer', () => {
  it('waits for the depth, then plays in order', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 60 });
    jb.push(packet(0, 100));
    jb.push(packet(1, 100));
    assert.equal(jb.pop(), undefined);
    jb.push(packet(2, 100));
    assert.equal(jb.bufferedMs, 60);
    assert.deepEqual(
      [0, 1, 2].map(() => indexOf(jb.pop()!.data)),
      [0, 1, 2],
    );
  });

  it('survives random reordering, loss, duplicates and 16-bit wraparound (property)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = seededRandom(seed);
      const firstSeq = 65536 - 300 + Math.floor(rnd() * 200); // wraps inside the run
      const count = 1000;
      const lost = new Set<number>();
      for (let i = 5; i < count - 5; i++) if (rnd() < 0.05) lost.add(i);
      // Each packet is delayed by up to 2 frames of jitter: within the 60 ms depth.
      const arrivals: { at: number; p: RtpPacketIn }[] = [];
      for (let i = 0; i < count; i++) {
        if (lost.has(i)) continue;
        const at = i + rnd() * 1.99;
        arrivals.push({ at, p: packet(i, firstSeq) });
        if (rnd() < 0.02) arrivals.push({ at: at + rnd(), p: packet(i, firstSeq) });
      }
      arrivals.sort((a, b) => a.at - b.at);
      const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 60 });
      const played: (number | 'silence')[] = [];
      let k = 0;
      for (let tick = 0; played.length < count; tick++) {
        while (k < arrivals.length && arrivals[k]!.at <= tick) jb.push(arrivals[k++]!.p);
        const f = jb.pop();
        if (f) played.push(isSilence(f.data) ? 'silence' : indexOf(f.data));
      }
      const expected = Array.from({ length: count }, (_, i) => (lost.has(i) ? 'silence' : i));
      assert.deepEqual(played, expected, `seed ${seed}`);
      assert.equal(jb.stats.lost, lost.size, `seed ${seed} lost`);
      assert.equal(jb.stats.late, 0);
      assert.ok(jb.stats.reordered > 0, 'the property run actually reordered');
      assert.equal(jb.stats.duplicate, arrivals.length - (count - lost.size));
    }
  });

  it('drops late packets and counts them', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 40 });
    jb.push(packet(0, 65534));
    jb.push(packet(2, 65534));
    assert.equal(indexOf(jb.pop()!.data), 0);
    assert.ok(isSilence(jb.pop()!.data), 'index 1 concealed');
    jb.push(packet(1, 65534)); // too late: it arrived, so it is not lost, but it is dropped
    assert.equal(indexOf(jb.pop()!.data), 2);
    assert.deepEqual([jb.stats.lost, jb.stats.late], [0, 1]);
    jb.push(packet(0, 65534));
    assert.equal(jb.stats.duplicate, 1, 'a copy of a played packet is a duplicate, not late');
  });

  it('conceals an underrun with silence and re-buffers on a new talkspurt', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 40 });
    jb.push(packet(0, 10));
    jb.push(packet(1, 10));
    jb.pop();
    jb.pop();
    const dry = jb.pop()!;
    assert.equal(dry.data.length, 160);
    assert.ok(isSilence(dry.data));
    assert.equal(jb.stats.underruns, 1);
    jb.push(packet(2, 10, true));
    assert.equal(jb.pop(), undefined, 're-buffering');
    jb.push(packet(3, 10));
    assert.equal(indexOf(jb.pop()!.data), 2);
    assert.equal(jb.stats.lost, 0);
  });

  it('treats a huge sequence jump as a new stream', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 20 });
    jb.push(packet(0, 1));
    assert.equal(indexOf(jb.pop()!.data), 0);
    jb.push(packet(7, 30000));
    assert.equal(indexOf(jb.pop()!.data), 7);
    assert.equal(jb.stats.resets, 1);
  });

  it('bounds memory: beyond the maximum depth the oldest packets are dropped', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 60, maxDepthMs: 100 });
    for (let i = 0; i < 50; i++) jb.push(packet(i, 0));
    assert.equal(jb.bufferedMs, 100);
    assert.equal(jb.stats.overflow, 45);
    assert.equal(indexOf(jb.pop()!.data), 45);
  });

  it('adaptive depth grows on late packets and shrinks when calm', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 40, adaptive: true });
    let seq = 0;
    jb.push(packet(seq++, 0));
    jb.push(packet(seq++, 0));
    jb.pop();
    jb.pop();
    jb.pop(); // underrun
    assert.equal(jb.depthMs, 60);
    for (let i = 0; i < 600; i++) {
      jb.push(packet(seq++, 0));
      jb.pop();
    }
    assert.equal(jb.depthMs, 40);
  });
});

describe('JitterBuffer regressions', () => {
  it('follows a sender that fell behind the playout clock instead of dropping every packet as late', () => {
    const jb = new JitterBuffer({ format: MULAW_8K, depthMs: 40 });
    let seq = 0;
    jb.push(packet(seq++, 0));
    jb.push(packet(seq++, 0));
    jb.pop();
    jb.pop();
    assert.ok(isSilence(jb.pop()!.data)); // playout now one frame ahead of the sender
    const played: number[] = [];
    for (let i = 0; i < 20; i++) {
      jb.push(packet(seq++, 0));
      const f = jb.pop()!;
      if (!isSilence(f.data)) played.push(indexOf(f.data));
    }
    assert.deepEqual(
      played,
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    assert.equal(jb.stats.late, 0);
  });
});
