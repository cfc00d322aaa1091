import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EndedReason, silentLogger } from '@switchboard/core';
import { type AudioFrame, initMedia, PCM16_8K, PCM16_16K } from '@switchboard/media';
import { AudioSocketKind } from './audiosocket-codec.js';
import type { AudioSocketLeg } from './audiosocket-leg.js';
import { AudioSocketServer } from './audiosocket-server.js';
import { AvrCallRegistry, avrCallDetails } from './avr-call-hook.js';
import { ScriptedAudioSocket } from './scripted-audiosocket.js';

interface Seen {
  leg: AudioSocketLeg;
  frames: AudioFrame[];
  digits: string[];
  hangup: Promise<EndedReason>;
}

const registry = new AvrCallRegistry();
const seen = new Map<string, Seen>();
const arrivals = new Set<(s: Seen) => void>();
let server: AudioSocketServer;

before(async () => {
  await initMedia();
  server = new AudioSocketServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    registry,
    uuidTimeoutMs: 2000,
    onCall: async (leg) => {
      const s: Seen = {
        leg,
        frames: [],
        digits: [],
        hangup: new Promise((r) => leg.on('hangup', r)),
      };
      leg.on('dtmf', (d) => s.digits.push(d));
      seen.set(leg.id, s);
      for (const a of arrivals) a(s);
      void (async () => {
        for await (const f of leg.audio) s.frames.push(f);
      })();
    },
  });
  await server.start();
});

after(() => server.stop());

const UUID_A = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const UUID_B = '11111111-2222-4333-8444-555555555555';

function callArrives(id: string): Promise<Seen> {
  const have = seen.get(id);
  if (have) return Promise.resolve(have);
  return new Promise((resolve) => {
    const f = (s: Seen) => {
      if (s.leg.id !== id) return;
      arrivals.delete(f);
      resolve(s);
    };
    arrivals.add(f);
  });
}

async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 5));
}

const samples = (n: number, value: number): Buffer => {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE(value, i * 2);
  return b;
};

test('a call: UUID, slin audio both ways, DTMF, caller hangup', async () => {
  const ast = await ScriptedAudioSocket.connect(server.address.port);
  ast.uuid(UUID_A);
  ast.audio(samples(160, 1000));
  const call = await callArrives(UUID_A);
  assert.equal(call.leg.connector, 'asterisk');
  assert.deepEqual(call.leg.inputFormat, PCM16_8K);
  ast.audio(samples(160, 2000));
  ast.dtmf('5');
  ast.dtmf('#');
  await until(() => call.frames.length === 2 && call.digits.length === 2);
  assert.equal(call.frames[1]?.data.byteLength, 320);
  assert.equal(Buffer.from(call.frames[1]?.data ?? []).readInt16LE(0), 2000);
  assert.deepEqual(call.digits, ['5', '#']);

  call.leg.play({ format: PCM16_8K, data: samples(160, 42) });
  await ast.waitFor((fs) => fs.some((f) => f.type === 'audio'));
  const out = ast.received.find((f) => f.type === 'audio');
  assert.ok(out?.type === 'audio');
  assert.equal(out.kind, AudioSocketKind.Audio);
  assert.equal(out.payload.length, 320);
  assert.equal(out.payload.readInt16LE(0), 42);

  ast.hangup();
  assert.equal(await call.hangup, 'caller-hangup');
  await ast.closed;
});

test('the 16 kHz kind is answered in the same kind, converting agent audio', async () => {
  const id = '22222222-2222-4222-8222-222222222222';
  const ast = await ScriptedAudioSocket.connect(server.address.port);
  ast.uuid(id);
  ast.audio(samples(320, 7), AudioSocketKind.AudioSlin16);
  const call = await callArrives(id);
  assert.deepEqual(call.leg.outputFormat, PCM16_16K);
  call.leg.play({ format: PCM16_8K, data: samples(160, 0) });
  await ast.waitFor((fs) => fs.some((f) => f.type === 'audio'));
  const out = ast.received.find((f) => f.type === 'audio');
  assert.ok(out?.type === 'audio');
  assert.equal(out.kind, AudioSocketKind.AudioSlin16);
  await call.leg.hangup();
  await ast.waitFor((fs) => fs.some((f) => f.type === 'hangup'));
  await ast.closed;
});

test('agent hangup sends the hangup kind and closes', async () => {
  const id = '33333333-3333-4333-8333-333333333333';
  const ast = await ScriptedAudioSocket.connect(server.address.port);
  ast.uuid(id);
  ast.audio(samples(160, 0));
  const call = await callArrives(id);
  await call.leg.hangup('agent-ended');
  await ast.closed;
  assert.equal(ast.received.at(-1)?.type, 'hangup');
  assert.equal(call.leg.endedReason, 'agent-ended');
});

test('the pre-call details travel with the UUID (any case, dashes or not)', async () => {
  const id = '44444444-4444-4444-8444-44444444abcd';
  registry.put(avrCallDetails(id, { from: '+15551230001', exten: '2000', agent_id: 'agent-x', lang: 'en' }));
  const ast = await ScriptedAudioSocket.connect(server.address.port);
  ast.uuid(id.toUpperCase());
  ast.audio(samples(160, 0));
  const call = await callArrives(id);
  assert.equal(call.leg.from, '+15551230001');
  assert.equal(call.leg.to, '2000');
  assert.equal(call.leg.announced?.agentId, 'agent-x');
  assert.equal(call.leg.announced?.variables.lang, 'en');
  assert.equal(registry.take(id), undefined, 'one call per announcement');
  ast.destroy();
  assert.equal(await call.hangup, 'caller-hangup');
});

test('malformed frames: bad payloads are skipped, a broken length ends only that call', async () => {
  const good = await ScriptedAudioSocket.connect(server.address.port);
  good.uuid(UUID_B);
  good.audio(samples(160, 1));
  const ok = await callArrives(UUID_B);

  const badId = '55555555-5555-4555-8555-555555555555';
  const bad = await ScriptedAudioSocket.connect(server.address.port);
  bad.uuid(badId);
  bad.audio(samples(160, 1));
  const broken = await callArrives(badId);
  bad.raw(Buffer.from([0x10, 0x00, 0x03, 1, 2, 3])); // odd-length audio: skipped
  bad.raw(Buffer.from([0x42, 0x00, 0x01, 9])); // unknown kind: skipped
  bad.raw(Buffer.from([0x03, 0x00, 0x01, 0x5a])); // not a DTMF digit: skipped
  bad.audio(samples(160, 3));
  await until(() => broken.frames.length === 2);
  assert.ok(broken.leg.stats.malformed >= 3);
  assert.equal(broken.leg.endedReason, undefined);
  bad.raw(Buffer.from([0x10, 0xff, 0xff, 0, 0])); // length past the limit: stream untrusted
  assert.equal(await broken.hangup.catch(() => 'x'), 'connector-error');
  await bad.closed;

  // The other call is untouched.
  good.audio(samples(160, 9));
  await until(() => ok.frames.length === 2);
  assert.equal(ok.leg.endedReason, undefined);
  good.hangup();
  await ok.hangup;
});

test('a connection that starts with garbage or truncates is closed without a call', async () => {
  const before = server.stats.protocolErrors;
  const junk = await ScriptedAudioSocket.connect(server.address.port);
  junk.raw(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  await junk.closed;
  assert.ok(server.stats.protocolErrors > before);

  const truncated = await ScriptedAudioSocket.connect(server.address.port);
  truncated.raw(Buffer.from([0x01, 0x00, 0x10, 1, 2, 3])); // half a UUID frame, then gone
  truncated.destroy();
  await truncated.closed;
  await until(() => server.stats.active === 0 || server.legs.size > 0);
});

test('two concurrent calls are isolated', async () => {
  const ids = ['66666666-6666-4666-8666-666666666666', '77777777-7777-4777-8777-777777777777'];
  const asts = await Promise.all(ids.map(() => ScriptedAudioSocket.connect(server.address.port)));
  asts.forEach((a, i) => {
    a.uuid(ids[i] ?? '');
    a.audio(samples(160, 100 + i));
  });
  const calls = await Promise.all(ids.map(callArrives));
  for (let n = 0; n < 5; n++) {
    for (const [i, a] of asts.entries()) a.audio(samples(160, 100 + i));
  }
  asts[1]?.dtmf('9');
  await until(() => calls.every((c) => c.frames.length === 6) && calls[1]?.digits.length === 1);
  calls.forEach((c, i) => {
    for (const f of c.frames) assert.equal(Buffer.from(f.data).readInt16LE(0), 100 + i);
  });
  assert.deepEqual(calls[0]?.digits, []);
  calls[0]?.leg.play({ format: PCM16_8K, data: samples(160, 5) });
  await asts[0]?.waitFor((fs) => fs.some((f) => f.type === 'audio'));
  assert.equal(asts[1]?.received.length, 0);
  asts[0]?.hangup();
  assert.equal(await calls[0]?.hangup, 'caller-hangup');
  assert.equal(calls[1]?.leg.endedReason, undefined);
  asts[1]?.end();
  assert.equal(await calls[1]?.hangup, 'caller-hangup');
});
