import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type EndedReason, silentLogger } from '@switchboard/core';
import type { AudioFrame } from '@switchboard/media';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { FakeRestServer } from '../ws-media/fake-rest-server.js';
import { loadFixture, ScriptedSocket } from '../ws-media/scripted-socket.js';
import { ScriptedTelnyx } from './scripted-telnyx.js';
import type { TelnyxCallLeg } from './telnyx-call-leg.js';
import { telnyxOutbound, telnyxPlugin } from './telnyx-plugin.js';

const PUBLIC = 'https://agent.example.net';
const CCID = 'v3:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const FAST = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 };

let app: FastifyInstance;
let rest: FakeRestServer;
let telnyx: ScriptedTelnyx;
let appUrl: string;
const legs: TelnyxCallLeg[] = [];
const statuses: CarrierStatusUpdate[] = [];

before(async () => {
  rest = await FakeRestServer.start();
  app = Fastify();
  telnyx = new ScriptedTelnyx({ appUrl: '' });
  const creds = { apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'conn-1' };
  await app.register(
    telnyxPlugin({
      publicUrl: PUBLIC,
      logger: silentLogger(),
      getCredentials: async ({ number }) => (number === '+15559870002' ? creds : null),
      resolveCall: (c) =>
        c.from === '+15550000000'
          ? { accept: false, reason: 'busy' }
          : { accept: true, parameters: { agentId: 'a1' } },
      onCall: (leg) => {
        legs.push(leg);
      },
      onStatus: (u) => {
        statuses.push(u);
      },
      rest: { baseUrl: rest.url, retry: FAST },
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  (telnyx.o as { appUrl: string }).appUrl = appUrl;
});

after(async () => {
  await app.close();
  await rest.close();
});

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

test('signed call.initiated → answer with a bidirectional PCMU stream; bad signature → 403', async () => {
  rest.requests.length = 0;
  assert.equal((await telnyx.webhook('webhook-call-initiated', {}, { sign: false })).status, 403);
  assert.equal(
    (await telnyx.webhook('webhook-call-initiated', {}, { timestamp: 1000 })).status,
    403,
    'stale timestamp',
  );
  assert.equal(rest.requests.length, 0);
  assert.equal((await telnyx.webhook('webhook-call-initiated')).status, 204);
  const [req] = rest.requests;
  assert.equal(req?.path, `/v2/calls/${encodeURIComponent(CCID)}/actions/answer`);
  assert.equal(req?.headers.authorization, 'Bearer KEY-telnyx');
  const body = req?.json as Record<string, string>;
  assert.match(
    body.stream_url ?? '',
    /^wss:\/\/agent\.example\.net\/telnyx\/media\/[A-Za-z0-9_-]+\/[0-9a-f]{32}$/,
  );
  assert.deepEqual(
    { ...body, stream_url: 'x' },
    {
      stream_url: 'x',
      stream_track: 'inbound_track',
      stream_bidirectional_mode: 'rtp',
      stream_bidirectional_codec: 'PCMU',
    },
  );
  await telnyx.webhook('webhook-call-initiated', { from: '+15550000000' });
  assert.deepEqual(rest.requests.at(-1)?.json, { cause: 'USER_BUSY' });
});

test('full call over the media socket, and a forged stream URL is refused', async () => {
  rest.requests.length = 0;
  await telnyx.webhook('webhook-call-initiated');
  const streamUrl = String((rest.requests[0]?.json as { stream_url?: string } | undefined)?.stream_url);
  await assert.rejects(
    ScriptedSocket.connect(
      `${appUrl.replace('http', 'ws')}${new URL(streamUrl).pathname.replace(/.$/, '0')}x`,
    ),
    /403/,
  );
  const s = await telnyx.stream(streamUrl, CCID);
  s.begin();
  await waitFor(() => legs.length === 1, 'onCall');
  const leg = legs[0];
  assert.ok(leg);
  assert.equal(leg.id, CCID);
  assert.equal(leg.from, '+15551230001');
  assert.equal(leg.to, '+15559870002');
  assert.deepEqual(leg.info.parameters, { agentId: 'a1' });
  const frames: AudioFrame[] = [];
  void (async () => {
    for await (const f of leg.audio) frames.push(f);
  })();
  const digits: string[] = [];
  const hangups: EndedReason[] = [];
  leg.on('dtmf', (d) => digits.push(d));
  leg.on('hangup', (r) => hangups.push(r));
  const sent = Uint8Array.from({ length: 160 }, (_, i) => 255 - i);
  s.sendMedia(sent);
  s.sendMedia('bad!');
  s.send('nope');
  s.send({ event: 'error', payload: { code: 100003, title: 'malformed frame' } });
  s.sendDtmf('1');
  await waitFor(() => frames.length === 1 && digits.length === 1, 'audio and dtmf');
  assert.deepEqual(Buffer.from(frames[0]?.data ?? []), Buffer.from(sent));

  leg.play({ format: leg.outputFormat, data: Uint8Array.from([0xff, 0xff, 0xff, 0xff]) });
  await s.untilEvents('media', 1);
  assert.deepEqual(s.events('media')[0], loadFixture('telnyx', 'out-media'));
  for (let i = 0; i < 5; i++) leg.play({ format: leg.outputFormat, data: new Uint8Array(160).fill(0xff) });
  const [mark] = await s.untilEvents('mark', 1);
  assert.deepEqual(mark, { ...loadFixture('telnyx', 'out-mark'), mark: { name: 'sb-1' } });
  s.echoMarks();
  await waitFor(() => leg.playedMs > 0, 'mark echo');
  leg.clear();
  await s.untilEvents('clear', 1);
  assert.deepEqual(s.events('clear'), [loadFixture('telnyx', 'out-clear')]);

  rest.requests.length = 0;
  await leg.sendDtmf('12#');
  assert.deepEqual(
    rest.requests.map((r) => [r.path, r.json]),
    [[`/v2/calls/${encodeURIComponent(CCID)}/actions/send_dtmf`, { digits: '12#' }]],
  );
  s.sendStop();
  await waitFor(() => hangups.length === 1, 'hangup');
  assert.deepEqual(hangups, ['caller-hangup']);
});

test('call.hangup maps to outcomes with the ref from client_state; outbound dial', async () => {
  statuses.length = 0;
  for (const cause of [
    'normal_clearing',
    'user_busy',
    'timeout',
    'originator_cancel',
    'unallocated_number',
  ]) {
    assert.equal((await telnyx.webhook('webhook-call-hangup', { hangup_cause: cause })).status, 204);
  }
  assert.deepEqual(
    statuses.map((u) => [u.status, u.outcome, u.endedReason, u.ref]),
    [
      ['ended', 'completed', undefined, 'call_9'],
      ['ended', 'busy', 'busy', 'call_9'],
      ['ended', 'no-answer', 'no-answer', 'call_9'],
      ['ended', 'cancelled', 'cancelled', 'call_9'],
      ['ended', 'failed', 'failed', 'call_9'],
    ],
  );
  rest.requests.length = 0;
  rest.script.push({ status: 200, body: { data: { call_control_id: 'v3:out', call_leg_id: 'l' } } });
  const dialer = telnyxOutbound({
    publicUrl: PUBLIC,
    getCredentials: async () => ({
      apiKey: 'KEY-telnyx',
      publicKey: telnyx.publicKey,
      connectionId: 'conn-1',
    }),
    rest: { baseUrl: rest.url, retry: FAST },
  });
  const placed = await dialer.placeCall({ from: '+15559870002', to: '+15551230001', ref: 'call_9' });
  assert.equal(placed.callControlId, 'v3:out');
  const body = rest.requests[0]?.json as Record<string, string>;
  assert.equal(rest.requests[0]?.path, '/v2/calls');
  assert.deepEqual(
    { ...body, stream_url: 'x' },
    {
      connection_id: 'conn-1',
      to: '+15551230001',
      from: '+15559870002',
      stream_url: 'x',
      stream_track: 'inbound_track',
      stream_bidirectional_mode: 'rtp',
      stream_bidirectional_codec: 'PCMU',
      webhook_url: `${PUBLIC}/telnyx/webhook`,
      webhook_url_method: 'POST',
      client_state: 'Y2FsbF85',
    },
  );
  await placed.hangup();
  assert.equal(rest.requests.at(-1)?.path, '/v2/calls/v3%3Aout/actions/hangup');
});

test('an outbound stream URL longer than the router allows one parameter still opens (was 414)', async () => {
  rest.script.push({ status: 200, body: { data: { call_control_id: 'v3:long' } } });
  const dialer = telnyxOutbound({
    publicUrl: PUBLIC,
    getCredentials: async () => ({ apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'c' }),
    rest: { baseUrl: rest.url, retry: FAST },
  });
  const ref = '0b7f3c52-8a4e-4c1b-9d2e-6f5a4b3c2d1e';
  await dialer.placeCall({ from: '+15559870002', to: '+15551230001', ref, parameters: { topic: 'billing' } });
  const body = rest.requests.at(-1)?.json as { stream_url?: string } | undefined;
  const streamUrl = String(body?.stream_url);
  assert.ok((new URL(streamUrl).pathname.split('/')[3] ?? '').length > 100, 'the context is long');
  const before = legs.length;
  const s = await telnyx.stream(streamUrl, 'v3:long');
  s.begin();
  await waitFor(() => legs.length === before + 1, 'onCall');
  const leg = legs.at(-1);
  assert.equal(leg?.direction, 'outbound');
  assert.equal(leg?.info.ref, ref);
  assert.deepEqual(leg?.info.parameters, { topic: 'billing' });
  s.sendStop();
  await s.closed;
});
