import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.js';
import { type AudioFrame, MULAW_8K, PCM16_8K } from './format.js';
import { Pacer } from './pacer.js';
import { seededRandom } from './testing.js';

interface Emit {
  at: number;
  frame: AudioFrame;
}

function setup(clock: FakeClock, spinMs = 0) {
  const emits: Emit[] = [];
  let idles = 0;
  const pacer = new Pacer({
    format: MULAW_8K,
    clock,
    spinMs,
    onFrame: (frame) => emits.push({ at: clock.now(), frame }),
    onIdle: () => idles++,
  });
  return { pacer, emits, idles: () => idles };
}

const mulaw = (ms: number, fill = 0x55) => ({ format: MULAW_8K, data: new Uint8Array(ms * 8).fill(fill) });

describe('Pacer', () => {
  it('hands out one 20 ms frame per deadline from an arbitrary push', () => {
    const clock = new FakeClock();
    const { pacer, emits, idles } = setup(clock);
    const t0 = clock.now();
    pacer.push(mulaw(100));
    assert.equal(pacer.queuedMs, 100);
    clock.advance(45);
    assert.deepEqual(
      emits.map((e) => Math.round(e.at - t0)),
      [0, 20, 40],
    );
    assert.equal(pacer.playedMs, 60);
    assert.equal(pacer.queuedMs, 40);
    clock.advance(100);
    assert.equal(emits.length, 5);
    assert.ok(emits.every((e) => e.frame.data.length === 160));
    assert.equal(idles(), 1, 'idle once the last frame has played');
    assert.equal(pacer.playedMs, 100);
  });

  it('never emits two frames for one deadline and never drifts over 10,000 frames of a late loop', () => {
    const clock = new FakeClock();
    const rnd = seededRandom(11);
    clock.lateness = () => rnd() * 6; // each timer fires 0–6 ms late
    const { pacer, emits } = setup(clock, 1);
    const t0 = clock.now();
    for (let i = 0; i < 100; i++) pacer.push(mulaw(2000)); // 200 s of audio
    while (emits.length < 10_000 && clock.tick()) {}
    assert.equal(emits.length, 10_000);
    for (let n = 0; n < emits.length; n++) {
      const deadline = t0 + n * 20;
      const at = emits[n]!.at;
      assert.ok(at >= deadline, `frame ${n} early by ${deadline - at}`);
      assert.ok(at < deadline + 20, `frame ${n} late by ${at - deadline}`);
      if (n > 0) assert.ok(at > emits[n - 1]!.at, `frame ${n} shares a deadline`);
    }
    assert.equal(pacer.stats.stalls, 0);
  });

  it('after a stall the owed frames are made up at once and the 20 ms grid is kept (no added latency)', () => {
    const clock = new FakeClock();
    const { pacer, emits } = setup(clock);
    const t0 = clock.now();
    pacer.push(mulaw(1000));
    clock.advance(40); // frames at 0, 20, 40
    clock.lateness = () => 95; // the next timer fires 95 ms after its deadline
    clock.tick();
    clock.lateness = () => 0;
    clock.advance(200);
    // The stall owed the frames due at 60, 80, 100 and 120: all four go out at 155, in order.
    assert.deepEqual(
      emits.slice(3, 7).map((e) => e.at - t0),
      [155, 155, 155, 155],
    );
    // Then the original grid again: the frame due at 140 at 140 + 15 (lateness 15 < one frame is
    // owed at 155 too), and every later one exactly on its deadline.
    const later = emits.slice(8).map((e) => e.at - t0);
    assert.ok(
      later.every((at, i) => at === 160 + i * 20),
      `later frames at ${later}`,
    );
    assert.equal(pacer.stats.stalls, 1);
    assert.equal(pacer.stats.caughtUp, 4);
    assert.equal(pacer.stats.dropped, 0);
    assert.equal(pacer.playedMs + pacer.queuedMs, 1000, 'nothing lost');
  });

  it('a stall longer than maxCatchUpMs drops only the frames later than the bound', () => {
    const clock = new FakeClock();
    const emits: number[] = [];
    const pacer = new Pacer({
      format: MULAW_8K,
      clock,
      maxCatchUpMs: 100,
      onFrame: () => emits.push(clock.now()),
    });
    const t0 = clock.now();
    pacer.push(mulaw(2000));
    clock.advance(10); // frame 0 at 0
    assert.equal(emits.length, 1);
    clock.lateness = () => 1000; // the loop is stuck for a second
    clock.tick();
    clock.lateness = () => 0;
    clock.advance(100);
    // At 1020 the frames due at 20 … 1020 are owed (51); the bound lets 1 + 100/20 = 6 through.
    assert.equal(pacer.stats.dropped, 45);
    const rel = emits.map((at) => Math.round(at - t0));
    assert.equal(rel.filter((at) => at === 1020).length, 6);
    // Then on the grid: latency stays bounded, however long the stall was.
    assert.deepEqual(
      rel.filter((at) => at > 1020),
      [1040, 1060, 1080, 1100, 1120],
    );
  });

  it('idles on underrun without inventing frames and re-anchors on the next push', () => {
    const clock = new FakeClock();
    const { pacer, emits, idles } = setup(clock);
    pacer.push(mulaw(40));
    clock.advance(1000);
    assert.equal(emits.length, 2);
    assert.equal(idles(), 1);
    assert.equal(clock.pending, 0, 'no timer left running while idle');
    const t1 = clock.now();
    pacer.push(mulaw(40));
    clock.advance(100);
    assert.deepEqual(
      emits.slice(2).map((e) => Math.round(e.at - t1)),
      [0, 20],
    );
  });

  it('plays a lone partial frame padded after one frame time, counting only real audio', () => {
    const clock = new FakeClock();
    const { pacer, emits } = setup(clock);
    const t0 = clock.now();
    pacer.push(mulaw(5));
    clock.advance(19);
    assert.equal(emits.length, 0);
    clock.advance(5);
    assert.equal(emits.length, 1);
    assert.equal(emits[0]!.at - t0, 20);
    assert.ok(emits[0]!.frame.data.subarray(40).every((b) => b === 0xff));
    assert.equal(pacer.playedMs, 5);
  });

  it('queues whole frames without copying and reframes audio that follows a partial one', () => {
    const clock = new FakeClock();
    const { pacer, emits } = setup(clock);
    const whole = mulaw(40, 0x11);
    pacer.push(whole);
    pacer.push(mulaw(10, 0x22));
    pacer.push(mulaw(30, 0x33));
    clock.advance(100);
    assert.equal(emits.length, 4);
    assert.equal(emits[0]!.frame.data.buffer, whole.data.buffer, 'a view of the pushed bytes');
    assert.equal(emits[1]!.frame.data.buffer, whole.data.buffer);
    const third = emits[2]!.frame.data;
    assert.deepEqual([third[0], third[80], third[159]], [0x22, 0x33, 0x33]);
    assert.ok(emits.every((e) => e.frame.data.length === 160));
    assert.equal(pacer.playedMs, 80);
  });

  it('clear drops queued audio, reports it and stops the timer', () => {
    const clock = new FakeClock();
    const { pacer, emits } = setup(clock);
    pacer.push(mulaw(1010));
    clock.advance(30); // frames at 0 and 20
    assert.equal(pacer.clear(), 970);
    assert.equal(pacer.queuedMs, 0);
    assert.equal(clock.pending, 0);
    clock.advance(200);
    assert.equal(emits.length, 2);
    assert.equal(pacer.playedMs, 40);
    assert.equal(pacer.resetPlayedMs(), 40);
    assert.equal(pacer.playedMs, 0);
  });

  it('close stops everything and ignores later pushes; wrong formats are rejected', () => {
    const clock = new FakeClock();
    const { pacer, emits } = setup(clock);
    assert.throws(() => pacer.push({ format: PCM16_8K, data: new Uint8Array(320) }), TypeError);
    pacer.push(mulaw(100));
    pacer.close();
    pacer.push(mulaw(100));
    clock.advance(500);
    assert.equal(emits.length, 0);
    assert.equal(clock.pending, 0);
  });

  it('an onFrame error goes to onError and playback continues', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let n = 0;
    const pacer = new Pacer({
      format: MULAW_8K,
      clock,
      onFrame: () => {
        if (n++ === 0) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    pacer.push(mulaw(60));
    clock.advance(100);
    assert.equal(n, 3);
    assert.equal(errors.length, 1);
  });
});
