import assert from 'node:assert/strict';
import type dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import { type AudioFrame, MULAW_8K, PCM16_16K } from '@switchboard/media';
import { parseRtp, serializeRtp } from '../sip/rtp.js';
import type { AriCallLeg } from './ari-leg.js';
import { type AriFixture, startAriFixture } from './ari-testkit.js';
import type { FakeAriServer } from './fake-ari-server.js';

// External media negotiated as slin16: 16 kHz L16, big-endian on the wire (RTP PT 118), 640-byte
// payloads per 20 ms both ways; the leg speaks little-endian PCM16 at 16 kHz to the engine.
let fixture: AriFixture;
let ari: FakeAriServer;
let asterisk: dgram.Socket;
let received: Buffer[];
const legs: AriCallLeg[] = [];

before(async () => {
  fixture = await startAriFixture({
    format: 'slin16',
    rtpPortRange: [47000, 47999],
    onCall: async (leg) => {
      legs.push(leg);
    },
  });
  ({ ari, asterisk, received } = fixture);
});

after(() => fixture?.close());

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A 20 ms slin16 payload (320 samples) holding `sample`, big-endian as RTP carries L16. */
function bigEndianPayload(sample: number): Uint8Array {
  const b = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) b.writeInt16BE(sample, i * 2);
  return b;
}

test('slin16 external media: 640-byte frames every 20 ms both ways, byte order swapped at the edge', async () => {
  const id = '1735725600.77';
  ari.emit({
    type: 'StasisStart',
    args: [],
    channel: { id, caller: { number: '+15551230001' }, dialplan: { context: 'in', exten: '200' } },
  });
  await until(() => legs.length === 1);
  const leg = legs[0] ?? assert.fail('no call');
  assert.deepEqual(leg.inputFormat, PCM16_16K);
  assert.deepEqual(leg.outputFormat, PCM16_16K);
  const em = ari.find('POST', '/channels/externalMedia') ?? assert.fail('no externalMedia');
  assert.equal(em.query.format, 'slin16');
  const ourPort = leg.rtp?.localPort ?? 0;

  // Asterisk → us: 25 packets of 20 ms, paced like a real sender.
  const frames: { at: number; frame: AudioFrame }[] = [];
  void (async () => {
    for await (const f of leg.audio) frames.push({ at: Date.now(), frame: f });
  })();
  for (let i = 0; i < 25; i++) {
    const pkt = serializeRtp({
      payloadType: 118,
      sequence: 500 + i,
      timestamp: 9000 + 320 * i,
      ssrc: 0x5151,
      marker: i === 0,
      payload: bigEndianPayload(1000 + i),
    });
    asterisk.send(pkt, ourPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => frames.filter((f) => f.frame.data.some((b) => b !== 0)).length >= 20);
  const audible = frames.filter((f) => f.frame.data.some((b) => b !== 0));
  for (const { frame } of frames) {
    assert.deepEqual(frame.format, PCM16_16K);
    assert.equal(frame.data.length, 640, '20 ms of 16 kHz L16 per frame');
  }
  const first = audible[0]?.frame ?? assert.fail('no audio');
  const samples = new Int16Array(first.data.buffer, first.data.byteOffset, first.data.length / 2);
  assert.equal(samples[0], 1000, 'little-endian towards the engine');
  // Playout keeps the sender's pace: 20 frames take about 400 ms, not 800 ms.
  const span = (audible[19]?.at ?? 0) - (audible[0]?.at ?? 0);
  assert.ok(span < 600, `20 frames played out over ${span} ms`);

  // Us → Asterisk: little-endian 16 kHz frames leave as big-endian 640-byte RTP payloads.
  const le = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) le.writeInt16LE(-1234, i * 2);
  for (let i = 0; i < 3; i++) leg.play({ format: PCM16_16K, data: le });
  await until(() => received.length >= 3);
  const out = received.slice(0, 3).map((b) => parseRtp(b));
  for (const p of out) {
    assert.equal(p.payloadType, 118);
    assert.equal(p.payload.length, 640);
    assert.equal(Buffer.from(p.payload).readInt16BE(0), -1234);
  }
  assert.equal(((out[1]?.timestamp ?? 0) - (out[0]?.timestamp ?? 0)) >>> 0, 320, '320 samples per packet');

  // Telephone-rate agent audio is resampled to 16 kHz on the way out.
  received.length = 0;
  leg.play({ format: MULAW_8K, data: new Uint8Array(160).fill(0xff) });
  await until(() => received.length >= 1);
  assert.equal(parseRtp(received[0] ?? Buffer.alloc(0)).payload.length, 640);

  await leg.hangup();
});
