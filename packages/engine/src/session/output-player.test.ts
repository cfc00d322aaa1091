import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import { type AudioFrame, FakeClock, PCM16_8K } from '@switchboard/media';
import { OutputPlayer } from './output-player.js';

const frame = (v: number): AudioFrame => ({ format: PCM16_8K, data: new Uint8Array(320).fill(v) });

function player() {
  const clock = new FakeClock();
  const heard: number[] = [];
  const p = new OutputPlayer({
    format: PCM16_8K,
    clock,
    logger: silentLogger(),
    onFrame: (f) => heard.push(f.data[0] as number),
  });
  return { clock, heard, p };
}

test('a response streamed for minutes holds only its unplayed audio, not everything it played', () => {
  const { clock, heard, p } = player();
  const seg = p.begin('an endless stream');
  for (let i = 0; i < 3000; i++) {
    p.push(seg, frame(i % 256));
    clock.advance(20);
  }
  assert.equal(heard.length, 3000, 'every frame played');
  assert.ok(seg.frames.length <= 2, `frames still held: ${seg.frames.length}`);
  assert.equal(seg.synthMs, 60_000);
  p.close();
});

test('pause and resume after frames were released still play each remaining frame once, in order', () => {
  const { clock, heard, p } = player();
  const seg = p.begin('first sentence');
  for (let i = 1; i <= 20; i++) {
    p.push(seg, frame(i));
    clock.advance(20);
  }
  for (let i = 21; i <= 30; i++) p.push(seg, frame(i));
  clock.advance(50);
  p.pause();
  clock.advance(500);
  const before = heard.length;
  p.resume();
  clock.advance(400);
  assert.ok(before < 30, 'the pause cut the queue short');
  assert.deepEqual(
    heard,
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  p.close();
});
