import assert from 'node:assert/strict';
import type dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import type { EndedReason } from '@switchboard/core';
import { type AudioFrame, MULAW_8K } from '@switchboard/media';
import { parseRtp, serializeRtp } from '../sip/rtp.js';
import { type AriStasisApp, OriginateError, type StasisCallInfo } from './ari-app.js';
import type { AriCallLeg } from './ari-leg.js';
import { type AriFixture, startAriFixture } from './ari-testkit.js';
import type { FakeAriServer } from './fake-ari-server.js';

let fixture: AriFixture;
let ari: FakeAriServer;
let app: AriStasisApp;
let asterisk: dgram.Socket;
let received: Buffer[];
const calls: { leg: AriCallLeg; info: StasisCallInfo }[] = [];

before(async () => {
  fixture = await startAriFixture({
    format: 'ulaw',
    rtpPortRange: [46000, 46999],
    reconnectMinMs: 20,
    onCall: async (leg, info) => {
      calls.push({ leg, info });
    },
  });
  ({ ari, app, asterisk, received } = fixture);
});

after(() => fixture?.close());

async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 5));
}

const channel = (id: string) => ({
  id,
  name: 'PJSIP/trunk-0000002a',
  state: 'Ring',
  caller: { name: '', number: '+15551230001' },
  dialplan: {
    context: 'from-trunk',
    exten: '+15559870002',
    priority: 2,
    app_name: 'Stasis',
    app_data: 'switchboard',
  },
});

test('StasisStart: answer, externalMedia to our RTP port, bridge; RTP both ways; DTMF; StasisEnd', async () => {
  const id = '1735725600.42';
  ari.emit({ type: 'StasisStart', args: ['agent=agent-7', 'inbound'], channel: channel(id) });
  await until(() => calls.length === 1);
  const { leg, info } = calls[0] ?? assert.fail('no call');
  assert.deepEqual(info, {
    channelId: id,
    from: '+15551230001',
    to: '+15559870002',
    args: { agent: 'agent-7', arg1: 'inbound' },
  });
  assert.equal(leg.connector, 'asterisk');
  assert.deepEqual(leg.inputFormat, MULAW_8K);
  assert.ok(ari.find('POST', `/channels/${id}/answer`), 'answered');
  assert.match(ari.requests[0]?.authorization ?? '', /^Basic /);
  const em = ari.find('POST', '/channels/externalMedia');
  assert.ok(em);
  const ourPort = leg.rtp?.localPort;
  assert.deepEqual(em.query, {
    app: 'switchboard',
    channelId: `sbmedia-${id}`,
    external_host: `127.0.0.1:${ourPort}`,
    format: 'ulaw',
    encapsulation: 'rtp',
    transport: 'udp',
    direction: 'both',
  });
  assert.deepEqual(ari.find('POST', '/bridges')?.query, { type: 'mixing', bridgeId: `sbbridge-${id}` });
  assert.deepEqual(ari.find('POST', `/bridges/sbbridge-${id}/addChannel`)?.query, {
    channel: `${id},sbmedia-${id}`,
  });

  // Asterisk → us: μ-law RTP comes out of the leg as frames.
  const frames: AudioFrame[] = [];
  void (async () => {
    for await (const f of leg.audio) frames.push(f);
  })();
  const ssrc = 0x1234;
  for (let i = 0; i < 8; i++) {
    const pkt = serializeRtp({
      payloadType: 0,
      sequence: 100 + i,
      timestamp: 1000 + 160 * i,
      ssrc,
      marker: i === 0,
      payload: new Uint8Array(160).fill(0x55),
    });
    asterisk.send(pkt, ourPort ?? 0, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => frames.length >= 3);
  assert.deepEqual(frames[0]?.format, MULAW_8K);
  assert.ok(frames.some((f) => f.data.every((b) => b === 0x55)));

  // Us → Asterisk: agent audio leaves as RTP with PT 0.
  leg.play({ format: MULAW_8K, data: new Uint8Array(160).fill(0x2a) });
  await until(() => received.length > 0);
  const out = parseRtp(received[0] ?? Buffer.alloc(0));
  assert.equal(out.payloadType, 0);
  assert.equal(out.payload.length, 160);
  assert.equal(out.payload[0], 0x2a);

  const digits: string[] = [];
  leg.on('dtmf', (d: string) => digits.push(d));
  ari.emit({ type: 'ChannelDtmfReceived', digit: '5', duration_ms: 120, channel: { id } });
  await until(() => digits.length === 1);
  assert.deepEqual(digits, ['5']);

  const ended = new Promise<EndedReason>((r) => leg.on('hangup', r));
  ari.emit({ type: 'StasisEnd', channel: { id } });
  assert.equal(await ended, 'caller-hangup');
  await ari.waitFor(
    () => !!ari.find('DELETE', `/channels/sbmedia-${id}`) && !!ari.find('DELETE', `/bridges/sbbridge-${id}`),
  );
  assert.equal(app.legs.size, 0);
});

test('the externalMedia channel entering the app is not taken for a call', async () => {
  const before = calls.length;
  ari.emit({ type: 'StasisStart', args: [], channel: { id: 'sbmedia-whatever' } });
  ari.emit({ type: 'SomethingNew', channel: { id: 'x' } });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls.length, before);
});

test('transfer continues in the dialplan or redirects; hangup deletes the channel', async () => {
  const id = '1735725600.50';
  ari.emit({ type: 'StasisStart', args: [], channel: channel(id) });
  await until(() => calls.some((c) => c.leg.id === id));
  const leg = calls.find((c) => c.leg.id === id)?.leg ?? assert.fail('no call');
  await leg.transfer('2001');
  assert.deepEqual(ari.find('POST', `/channels/${id}/continue`)?.query, {
    context: 'from-trunk',
    extension: '2001',
    priority: '1',
  });
  await leg.transfer('PJSIP/reception');
  assert.deepEqual(ari.find('POST', `/channels/${id}/redirect`)?.query, { endpoint: 'PJSIP/reception' });
  await leg.sendDtmf('12#');
  assert.deepEqual(ari.find('POST', `/channels/${id}/dtmf`)?.query, { dtmf: '12#' });
  const ended = new Promise<EndedReason>((r) => leg.on('hangup', r));
  ari.emit({ type: 'StasisEnd', channel: { id } });
  assert.equal(await ended, 'transfer', 'leaving Stasis after a transfer is a transfer');

  const id2 = '1735725600.51';
  ari.emit({ type: 'StasisStart', args: [], channel: channel(id2) });
  await until(() => calls.some((c) => c.leg.id === id2));
  await calls.find((c) => c.leg.id === id2)?.leg.hangup();
  assert.deepEqual(ari.find('DELETE', `/channels/${id2}`)?.query, { reason: 'normal' });
});

test('originate: the answered callee becomes an outbound leg', async () => {
  const call = await app.originate({ endpoint: 'PJSIP/+15551230009@trunk', callerId: '+15559870002' });
  const req = ari.find('POST', '/channels') ?? assert.fail('no originate');
  assert.equal(req.query.endpoint, 'PJSIP/+15551230009@trunk');
  assert.equal(req.query.app, 'switchboard');
  assert.equal(req.query.appArgs, 'outbound');
  const channelId = req.query.channelId ?? '';
  assert.equal(call.channelId, channelId);
  ari.emit({ type: 'StasisStart', args: ['outbound'], channel: { ...channel(channelId), state: 'Up' } });
  const leg = await call.answered;
  assert.equal(leg.direction, 'outbound');
  assert.equal(
    ari.find('POST', `/channels/${channelId}/answer`),
    undefined,
    'an answered callee is not answered again',
  );
  await leg.hangup();

  const busy = await app.originate({ endpoint: 'PJSIP/busy@trunk' });
  ari.emit({ type: 'ChannelDestroyed', cause: 17, cause_txt: 'User busy', channel: { id: busy.channelId } });
  await assert.rejects(
    busy.answered,
    (e: OriginateError) => e instanceof OriginateError && e.reason === 'busy',
  );
});

test('originate: a cancelled call is hung up, and answering it later only hangs it up', async () => {
  const call = await app.originate({ endpoint: 'PJSIP/+15551230010@trunk' });
  await call.cancel();
  await assert.rejects(call.answered, (e: OriginateError) => e.reason === 'cancelled');
  assert.deepEqual(ari.find('DELETE', `/channels/${call.channelId}`)?.query, { reason: 'normal' });
  const before = calls.length;
  ari.emit({ type: 'StasisStart', args: ['outbound'], channel: { ...channel(call.channelId), state: 'Up' } });
  await ari.waitFor(
    () =>
      ari.requests.filter((r) => r.method === 'DELETE' && r.path === `/channels/${call.channelId}`).length ===
      2,
  );
  assert.equal(calls.length, before, 'not taken for an inbound call');
  assert.equal(app.legs.has(call.channelId), false);
});

test('the events socket reconnects after Asterisk drops it', async () => {
  assert.equal(app.state, 'connected');
  ari.dropConnections();
  await until(() => app.state !== 'connected');
  await until(() => app.state === 'connected' && ari.connections === 1);
});
