/**
 * SIGTERM on the started platform with a live call on every connector: readiness turns 503 at
 * once, new calls are refused, and after the grace each live call hears a spoken goodbye and ends
 * with `call.ended` (webhook), a recording and a hang-up on its own wire, before the process exits 0.
 * Regression: the force-exit timer fired while the dialer and the runner each waited a full grace
 * in turn, so live calls were cut with no `call.ended`, recording, webhook or goodbye.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, type EndedReason } from '@switchboard/core';
import { WebhooksRepo } from '@switchboard/events';
import { startReceiver } from '@switchboard/events/testing';
import { TalkTokens } from '@switchboard/server';
import { openStore } from '@switchboard/store';
import {
  FakeAriServer,
  FakeRestServer,
  ScriptedAudioSocket,
  ScriptedPlivo,
  ScriptedSocket,
  ScriptedTelnyx,
  ScriptedTwilio,
} from '@switchboard/telephony';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  SIPP_WAIT_FOR_BYE,
  sippBase,
  spawnPeer,
  tempDir,
} from '../sip/peers.js';
import {
  freeTcpPort,
  INTERNAL_TOKEN,
  PUBLIC_URL,
  seedPlatform,
  spawnPlatform,
  until,
} from './spawned-platform.js';

const TWILIO_SID = 'AC44444444444444444444444444444444';
const TWILIO_TOKEN = 'twilio-auth-token-for-drain-0001';
const PLIVO_ID = 'MADRAINTEST000000001';
const PLIVO_TOKEN = 'plivo-auth-token-for-drain-0001';
const NUMBERS = { twilio: '+15559870011', plivo: '+14155550111', telnyx: '+15559870013' };
/** Long enough for the refusals below to be tried while the platform drains. */
const GRACE_MS = 6000;
const HANGUP_MS = 10_000;

/** Calls and expects 503 with Retry-After (then ACKs it). */
const SIPP_EXPECT_503 = SIPP_WAIT_FOR_BYE.replace(
  /<recv response="100"[\s\S]*$/,
  `<recv response="100" optional="true"/>
  <recv response="503">
    <action><ereg regexp=".+" search_in="hdr" header="Retry-After:" check_it="true" assign_to="ra"/></action>
  </recv>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <Reference variables="ra"/>
</scenario>
`,
);

const ariChannel = (id: string) => ({
  id,
  name: 'PJSIP/trunk-00000001',
  state: 'Ring',
  caller: { name: '', number: '+15551230001' },
  dialplan: {
    context: 'from-trunk',
    exten: '+15559870099',
    priority: 2,
    app_name: 'Stasis',
    app_data: 'switchboard',
  },
});

test('SIGTERM: readiness 503 at once, new calls refused, every live call ends with call.ended, recording and a goodbye; exit 0', async (t) => {
  if (!needBinaries(t, 'sipp')) return;
  const dir = tempDir(t, 'drain-e2e-');
  const dataDir = join(dir, 'data');
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const rest = await FakeRestServer.start();
  t.after(() => rest.close());
  const ari = await FakeAriServer.start();
  t.after(() => ari.close());
  const asteriskRtp = dgram.createSocket('udp4');
  await new Promise<void>((r) => asteriskRtp.bind(0, '127.0.0.1', r));
  t.after(() => asteriskRtp.close());
  ari.rtpTarget = { address: '127.0.0.1', port: asteriskRtp.address().port };
  const port = await freeTcpPort();
  const appUrl = `http://127.0.0.1:${port}`;
  const telnyx = new ScriptedTelnyx({ appUrl });

  const ids = await seedPlatform({ DATA_DIR: dataDir }, async (store, { workspaceId, demoAgentId }) => {
    await store.credentials.create(workspaceId, { name: `twilio:${TWILIO_SID}`, value: TWILIO_TOKEN });
    await store.credentials.create(workspaceId, { name: `plivo:${PLIVO_ID}`, value: PLIVO_TOKEN });
    await store.credentials.create(workspaceId, {
      name: 'telnyx',
      value: JSON.stringify({ apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'conn-1' }),
    });
    for (const [connector, number] of Object.entries(NUMBERS) as [keyof typeof NUMBERS, string][]) {
      await store.phoneNumbers.create(workspaceId, { number, connector, agentId: demoAgentId });
    }
    await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
      url: receiver.url,
      eventTypes: ['call.ended'],
    });
  });

  const sipPort = await freeUdpPort();
  const [rtpMin, rtpMax] = rtpRange(40);
  const audioSocketPort = await freeTcpPort();
  const p = await spawnPlatform(
    {
      DATA_DIR: dataDir,
      PORT: String(port),
      SIP_ENABLED: 'true',
      SIP_PORT: String(sipPort),
      SIP_TRANSPORTS: 'udp',
      RTP_PORT_MIN: String(rtpMin),
      RTP_PORT_MAX: String(rtpMax),
      AUDIOSOCKET_ENABLED: 'true',
      AUDIOSOCKET_PORT: String(audioSocketPort),
      ARI_URL: ari.url,
      ARI_USERNAME: 'switchboard',
      ARI_PASSWORD: 'secret',
      TWILIO_API_URL: rest.url,
      PLIVO_API_URL: rest.url,
      TELNYX_API_URL: rest.url,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      SHUTDOWN_HANGUP_MS: String(HANGUP_MS),
    },
    (fn) => t.after(fn),
  );

  // --- a live call on every connector ---------------------------------------------------------
  const sippDir = tempDir(t, 'drain-sipp-');
  writeFileSync(join(sippDir, 'wait-bye.xml'), SIPP_WAIT_FOR_BYE);
  writeFileSync(join(sippDir, 'expect-503.xml'), SIPP_EXPECT_503);
  const sipp = (scenario: string, localPort: number, mediaPort: number) =>
    spawnPeer(
      t,
      'sipp',
      [
        '-sf',
        scenario,
        '-s',
        'demo',
        `127.0.0.1:${sipPort}`,
        ...sippBase(localPort, mediaPort),
        // Echoes the agent's audio back: the caller's RTP keeps the call alive.
        '-rtp_echo',
        '-timeout',
        '60s',
        '-trace_err',
      ],
      { cwd: sippDir, timeoutMs: 90_000 },
    );
  const sipCall = sipp('wait-bye.xml', await freeUdpPort(), await freeUdpPort());

  const twilio = new ScriptedTwilio({
    appUrl,
    publicUrl: PUBLIC_URL,
    accountSid: TWILIO_SID,
    authToken: TWILIO_TOKEN,
  });
  const twilioAnswer = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'5'.repeat(32)}` });
  assert.equal(twilioAnswer.status, 200, twilioAnswer.body);
  const twilioStream = await twilio.stream(twilioAnswer, `CA${'5'.repeat(32)}`);
  twilioStream.begin();
  // A second Twilio call whose caller hangs up during the drain: it ends as usual, not `shutdown`.
  const twilioAnswer2 = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'6'.repeat(32)}` });
  const twilioStream2 = await twilio.stream(twilioAnswer2, `CA${'6'.repeat(32)}`);
  twilioStream2.begin();

  const plivo = new ScriptedPlivo({
    appUrl,
    publicUrl: PUBLIC_URL,
    authId: PLIVO_ID,
    authToken: PLIVO_TOKEN,
  });
  const plivoUuid = randomUUID();
  const plivoAnswer = await plivo.answer({
    CallUUID: plivoUuid,
    From: '14155550100',
    To: NUMBERS.plivo.slice(1),
  });
  assert.equal(plivoAnswer.status, 200, plivoAnswer.body);
  const plivoStream = await plivo.stream(plivoAnswer, plivoUuid);
  plivoStream.sendStart();

  const ccid = 'v3:drain-telnyx-0001';
  const initiated = await telnyx.webhook('webhook-call-initiated', {
    to: NUMBERS.telnyx,
    call_control_id: ccid,
  });
  assert.equal(initiated.status, 204, initiated.body);
  const answered = await until('the Telnyx answer', () =>
    rest.requests.find((r) => r.path === `/v2/calls/${encodeURIComponent(ccid)}/actions/answer`),
  );
  const telnyxStream = await telnyx.stream(
    String((answered.json as { stream_url: string }).stream_url),
    ccid,
  );
  telnyxStream.begin();

  const audioSocket = await ScriptedAudioSocket.connect(audioSocketPort);
  audioSocket.uuid(randomUUID());
  audioSocket.audio(new Uint8Array(320));

  const browserToken = new TalkTokens(INTERNAL_TOKEN).mint(ids.demoAgentId, ids.workspaceId).token;
  const browser = new ScriptedSocket(
    await ScriptedSocket.connect(
      `${appUrl.replace(/^http/, 'ws')}/talk/ws?token=${encodeURIComponent(browserToken)}`,
    ),
  );

  await until('the ARI events socket', async () => {
    const r = await p.get('/health/ready');
    return JSON.stringify(r.body).includes('switchboard: connected');
  });
  const ariChannelId = '1735725600.77';
  ari.emit({ type: 'StasisStart', args: [], channel: ariChannel(ariChannelId) });

  // Every call is live in the platform (its metrics count them).
  const SILENCE = new Uint8Array(160).fill(0xff);
  const feeder = setInterval(() => {
    for (const s of [twilioStream, twilioStream2, plivoStream, telnyxStream])
      if (s.isOpen) s.sendMedia(SILENCE);
  }, 20);
  t.after(() => clearInterval(feeder));
  const live = async () => {
    const r = await fetch(`${appUrl}/metrics`, { headers: { 'x-internal-token': INTERNAL_TOKEN } });
    const m = await r.text();
    return [...m.matchAll(/^switchboard_calls_active\{connector="([^"]+)",direction="inbound"\} (\d+)$/gm)]
      .filter((x) => Number(x[2]) > 0)
      .map((x) => `${x[1]}=${x[2]}`)
      .sort();
  };
  const expectedLive = ['asterisk=2', 'plivo=1', 'sip=1', 'telnyx=1', 'twilio=2', 'web=1'];
  let seen: string[] = [];
  await until('live calls on every connector', async () => {
    seen = await live();
    return JSON.stringify(seen) === JSON.stringify(expectedLive);
  }).catch((e: Error) => {
    throw new Error(`${e.message}: ${seen.join(' ')}; output:\n${p.output().slice(-3000)}`);
  });

  // --- SIGTERM --------------------------------------------------------------------------------
  const sentAt = Date.now();
  p.child.kill('SIGTERM');
  const ready = await until('readiness to turn 503', async () => {
    const r = await p.get('/health/ready');
    return r.status === 503 ? r : undefined;
  });
  assert.equal((ready.body as { status: string }).status, 'draining');
  assert.equal(receiver.received.length, 0, 'readiness turned before any call was ended');
  // A caller who hangs up during the grace ends the usual way.
  twilioStream2.sendStop();

  // New calls are refused, each the way its protocol allows.
  const refused = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'7'.repeat(32)}` });
  assert.equal(refused.status, 503);
  const refusedSip = await sipp('expect-503.xml', await freeUdpPort(), await freeUdpPort()).done;
  assert.equal(
    refusedSip.code,
    0,
    `a new INVITE gets 503 with Retry-After: ${refusedSip.stdout.slice(-1500)}`,
  );
  // A proxy's OPTIONS probe gets 503 too, so the proxy takes this instance out before a call.
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  const probed = new Promise<string>((r) => probe.once('message', (m) => r(m.toString())));
  const probePort = probe.address().port;
  probe.send(
    `OPTIONS sip:127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${probePort};branch=z9hG4bK-drain-probe\r\n` +
      `From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1:${sipPort}>\r\nCall-ID: drain-probe-${randomUUID()}\r\n` +
      'CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    sipPort,
    '127.0.0.1',
  );
  const probeReply = await Promise.race([
    probed,
    new Promise<string>((r) => setTimeout(() => r('no answer in 5 s'), 5000)),
  ]);
  probe.close();
  assert.match(probeReply, /^SIP\/2\.0 503 /, probeReply);
  assert.match(probeReply, /\r\nRetry-After: 5\r\n/i, probeReply);
  const refusedBrowser = await ScriptedSocket.connect(
    `${appUrl.replace(/^http/, 'ws')}/talk/ws?token=${encodeURIComponent(browserToken)}`,
  ).then(
    () => 'opened',
    (e: Error) => e.message,
  );
  assert.match(refusedBrowser, /503/);
  const refusedPlivo = await plivo.answer({
    CallUUID: randomUUID(),
    From: '14155550100',
    To: NUMBERS.plivo.slice(1),
  });
  assert.equal(refusedPlivo.status, 503);
  const refusedTelnyx = await telnyx.webhook('webhook-call-initiated', {
    to: NUMBERS.telnyx,
    call_control_id: 'v3:drain-telnyx-0002',
  });
  assert.equal(refusedTelnyx.status, 503);
  // AudioSocket and ARI have no refusal before the call arrives: the new call is hung up at once.
  const lateAudioSocket = await ScriptedAudioSocket.connect(audioSocketPort).catch(() => undefined);
  if (lateAudioSocket) {
    lateAudioSocket.uuid(randomUUID());
    await lateAudioSocket.closed;
    assert.ok(
      lateAudioSocket.received.some((f) => f.type === 'hangup'),
      'a new AudioSocket call is hung up',
    );
  }
  ari.emit({ type: 'StasisStart', args: [], channel: ariChannel('1735725600.78') });
  await until('a new ARI call hung up', () => ari.find('DELETE', '/channels/1735725600.78'));

  // --- the goodbyes, on each wire ---------------------------------------------------------------
  const sipResult = await sipCall.done;
  assert.equal(
    sipResult.code,
    0,
    `the SIP caller got a BYE: ${sipResult.stdout.slice(-1500)}${sipResult.stderr}`,
  );
  await audioSocket.closed;
  assert.ok(
    audioSocket.received.some((f) => f.type === 'hangup'),
    'AudioSocket hangup frame',
  );
  for (const [name, s] of Object.entries({ twilioStream, plivoStream, telnyxStream, browser })) {
    const closed = await s.closed;
    assert.ok(closed.code === 1000 || closed.code === 1001, `${name} closed with ${closed.code}`);
  }
  assert.ok(
    browser.received.some((m) => m.type === 'hangup' && m.reason === 'shutdown'),
    'the browser is told why',
  );
  await until('the ARI hangup', () => ari.find('DELETE', `/channels/${ariChannelId}`));

  const exit = await p.exited;
  const tookMs = Date.now() - sentAt;
  assert.equal(exit.code, 0, `exit 0 (not forced); output:\n${p.output().slice(-3000)}`);
  assert.ok(tookMs < GRACE_MS + HANGUP_MS + 30_000, `sanity: exited after ${tookMs} ms`);
  t.diagnostic(`SIGTERM to exit with 8 live calls: ${tookMs} ms (grace ${GRACE_MS} ms)`);

  // --- call.ended for every call (and none for the refused ones): webhook, row, recording -------
  const ended = receiver.received.map((r) => (r.json as { data: Record<string, unknown> }).data);
  const byConnector = new Map<string, EndedReason[]>();
  for (const d of ended) {
    const list = byConnector.get(String(d.connector)) ?? [];
    list.push(d.endedReason as EndedReason);
    byConnector.set(String(d.connector), list);
  }
  assert.deepEqual(Object.fromEntries([...byConnector].map(([k, v]) => [k, v.sort()]).sort()), {
    asterisk: ['shutdown', 'shutdown'],
    plivo: ['shutdown'],
    sip: ['shutdown'],
    telnyx: ['shutdown'],
    twilio: ['caller-hangup', 'shutdown'],
    web: ['shutdown'],
  });
  // Each call still live at the deadline heard the agent's goodbye before its hang-up.
  for (const d of ended.filter((x) => x.endedReason === 'shutdown')) {
    const said = (d.transcript as { role: string; text: string }[]).filter((e) => e.role === 'agent');
    assert.equal(said.at(-1)?.text, 'Thank you for calling. Goodbye!', `${d.connector}: spoken goodbye`);
  }
  const db = await openStore({ dataDir, logger: createLogger({ level: 'error' }) });
  try {
    for (const d of ended) {
      const row = await db.calls.get(ids.workspaceId, String(d.callId));
      assert.equal(row.status, 'ended');
      assert.equal(row.owner, null);
      assert.ok(row.recordingPath && existsSync(row.recordingPath), `${row.connector}: recording kept`);
    }
    const stuck = (await db.calls.list(ids.workspaceId, { status: 'in-progress' })).data;
    assert.equal(stuck.length, 0, 'no call left in progress');
  } finally {
    await db.close();
  }
});
