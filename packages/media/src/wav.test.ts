import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeSamples } from './codec.js';
import { MULAW_8K, PCM16_8K, PCM16_16K } from './format.js';
import { mulawDecode } from './g711.js';
import { StereoWavWriter } from './stereo-wav-writer.js';
import { seededRandom } from './testing.js';
import { initMedia } from './wasm.js';
import { encodeWav, readWav, wavHeader, writeWavFile } from './wav.js';

let dir = '';
before(async () => {
  await initMedia();
  dir = await mkdtemp(join(tmpdir(), 'sb-wav-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const ramp = (n: number, from = 0) => Int16Array.from({ length: n }, (_, i) => from + i);
const pcm = (s: Int16Array) => ({ format: PCM16_8K, data: encodeSamples(s, 'pcm16') });

describe('WAV files', () => {
  it('writeWavFile → readWav round-trips mono and stereo', async () => {
    const path = join(dir, 'mono.wav');
    const rnd = seededRandom(5);
    const s = Int16Array.from({ length: 999 }, () => Math.round((rnd() * 2 - 1) * 30000));
    await writeWavFile(path, s, 16000);
    const w = readWav(path);
    assert.deepEqual(w.format, { encoding: 'pcm16', sampleRate: 16000 });
    assert.equal(w.channels, 1);
    assert.deepEqual(w.samples[0], s);
    const st = readWav(encodeWav([ramp(10), ramp(10, 100)], 8000));
    assert.deepEqual([...st.samples[1]!], [...ramp(10, 100)]);
  });

  it('reads μ-law WAV, skips unknown chunks and tolerates an unpatched data size', () => {
    const head = wavHeader(8000, 1, 0);
    const v = new DataView(head.buffer);
    v.setUint16(20, 7, true); // μ-law
    v.setUint16(34, 8, true);
    v.setUint16(32, 1, true);
    const list = Uint8Array.of(...[...'LIST'].map((c) => c.charCodeAt(0)), 3, 0, 0, 0, 1, 2, 3, 0);
    const data = Uint8Array.of(0xff, 0x80, 0x00);
    const file = new Uint8Array([...head.subarray(0, 36), ...list, ...head.subarray(36), ...data]);
    const w = readWav(file);
    assert.equal(w.format.encoding, 'mulaw');
    assert.deepEqual([...w.samples[0]!], [...mulawDecode(data)]);
    assert.throws(() => readWav(Uint8Array.of(1, 2, 3)), /RIFF/);
  });
});

describe('StereoWavWriter', () => {
  it('puts caller left and agent right, aligned to the caller timeline, with correct RIFF sizes', async () => {
    const path = join(dir, 'call.wav');
    const w = await StereoWavWriter.open(path, 8000);
    w.writeCaller(pcm(ramp(160, 1))); // 0–20 ms, agent silent
    w.writeAgent(pcm(ramp(160, 1000))); // played at 20 ms
    w.writeCaller(pcm(ramp(160, 200))); // 20–40 ms
    w.writeCaller(pcm(ramp(160, 400))); // 40–60 ms, agent gap
    w.writeAgent(pcm(ramp(240, 2000))); // played at 60 ms, runs past the caller's end
    w.writeCaller(pcm(ramp(160, 600))); // 60–80 ms
    const res = await w.close();
    const file = new Uint8Array(await readFile(path));
    assert.equal(res.bytes, file.length);
    const v = new DataView(file.buffer, file.byteOffset);
    assert.equal(v.getUint32(4, true), file.length - 8, 'RIFF size');
    assert.equal(v.getUint32(40, true), file.length - 44, 'data size');
    const { channels, samples, format } = readWav(file);
    assert.equal(channels, 2);
    assert.equal(format.sampleRate, 8000);
    const [left, right] = samples as [Int16Array, Int16Array];
    assert.equal(left.length, 720, '80 ms of caller + 10 ms of trailing agent audio');
    assert.equal(res.durationMs, 90);
    assert.deepEqual(
      [...left.subarray(0, 640)],
      [...ramp(160, 1), ...ramp(160, 200), ...ramp(160, 400), ...ramp(160, 600)],
    );
    assert.ok(left.subarray(640).every((x) => x === 0));
    const expectedRight = [
      ...new Int16Array(160),
      ...ramp(160, 1000),
      ...new Int16Array(160),
      ...ramp(240, 2000),
    ];
    assert.deepEqual([...right], expectedRight);
  });

  it('converts any input format to the writer rate', async () => {
    const path = join(dir, 'mixed.wav');
    const w = await StereoWavWriter.open(path, 16000);
    const mu = encodeSamples(
      Int16Array.from({ length: 160 }, () => 1000),
      'mulaw',
    );
    for (let i = 0; i < 10; i++) {
      w.writeCaller({ format: MULAW_8K, data: mu });
      w.writeAgent({ format: PCM16_16K, data: new Uint8Array(640) });
    }
    const res = await w.close();
    // Each agent frame follows the caller frame it was played after: the last ends at 220 ms.
    assert.equal(res.durationMs, 220);
    const { samples } = readWav(path);
    assert.equal(samples[0]!.length, 3520);
    assert.ok(Math.abs(samples[0]![2000]! - mulawDecode(mu)[0]!) < 60, 'the level survives resampling');
  });

  it('writes the file in blocks of 500 ms, not a write per 20 ms frame', async () => {
    const path = join(dir, 'blocks.wav');
    const w = await StereoWavWriter.open(path, 8000);
    const settle = () => new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 20; i++) w.writeCaller(pcm(ramp(160, i)));
    await settle();
    assert.equal((await stat(path)).size, 44, '400 ms are still in the block');
    for (let i = 20; i < 30; i++) w.writeCaller(pcm(ramp(160, i)));
    await settle();
    assert.equal((await stat(path)).size, 44 + 4000 * 4, 'one block of 500 ms (4000 stereo samples)');
    const res = await w.close();
    assert.equal(res.durationMs, 600, 'close writes the part-filled block');
    const [left] = readWav(path).samples as [Int16Array];
    assert.deepEqual([...left.subarray(4000, 4160)], [...ramp(160, 25)], 'samples in order across blocks');
  });

  it('close is idempotent and later writes are ignored', async () => {
    const w = await StereoWavWriter.open(join(dir, 'empty.wav'));
    const a = await w.close();
    w.writeCaller(pcm(ramp(160)));
    assert.deepEqual(await w.close(), a);
    assert.equal(a.bytes, 44);
    assert.equal(a.durationMs, 0);
  });
});
