/**
 * The whole platform on embedded defaults, called over the built-in SIP endpoint by real peers:
 * the Demo receptionist runs on the offline stack (pocketsphinx → answerer → espeak) and what the
 * caller hears is transcribed again with pocketsphinx.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Running, start } from '@switchboard/cli';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import { startBaresip } from '../sip/baresip.js';
import {
  freeUdpPort,
  needBinaries,
  rtpRange,
  sippAnswerAndPlay,
  sippBase,
  spawnPeer,
  speak,
  tempDir,
  transcribe,
} from '../sip/peers.js';

const ANSWER = 'we are open every day from nine in the morning until ten at night';
const GREETING = 'hello thanks for calling switchboard how can i help you';
const FALLBACK = 'sorry i can answer questions about our opening hours location and bookings';

describe('the Demo receptionist over built-in SIP', () => {
  let platform: Running;
  const events: CallEvent[] = [];

  before(async () => {
    const [rtpMin, rtpMax] = rtpRange(60);
    const dataDir = join(tempDirOnce(), 'data');
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PORT: '0',
        SIP_PORT: '0',
        RTP_PORT_MIN: String(rtpMin),
        RTP_PORT_MAX: String(rtpMax),
        OWNER_EMAIL: 'owner@example.com',
        OWNER_PASSWORD: 'a-long-test-password',
        INTERNAL_TOKEN: 'e2e-internal-token-0123456789',
      }),
      createLogger({ level: (process.env.E2E_LOG_LEVEL as 'warn' | undefined) ?? 'warn', pii: true }),
      { banner: false },
    );
    platform.calls.bus.subscribe((e) => {
      events.push(e);
    });
  });
  after(() => platform?.stop());

  test('baresip asks a question and hears the answer', async (t) => {
    if (!needBinaries(t, 'baresip', 'flite', 'sox', 'pocketsphinx_continuous')) return;
    const dir = tempDir(t);
    // Silence while the greeting plays, then the question twice (a recogniser starved of CPU may
    // miss one), with time to hear each answer.
    const question = speak(dir, 'question', 'What are your opening hours?', 8);
    const src = join(dir, 'src.wav');
    execFileSync('sox', [question, question, src, 'pad', '8', '2']);
    const b = await startBaresip(t, dir, {
      sourceWav: src,
      dial: `sip:demo@127.0.0.1:${platform.sip!.port}`,
      quitAfterSeconds: 36,
    });
    await b.peer.done;
    // baresip records only the packets it received, so the replies follow the greeting with no
    // pause: the grammar lists the sequences the call can produce.
    const G = GREETING;
    const A = ANSWER;
    const F = FALLBACK;
    const heard = transcribe(dir, b.decodedWav(), [
      `${G} ${A} ${A}`,
      `${G} ${A}`,
      `${G} ${F} ${A}`,
      `${G} ${A} ${F}`,
      `${G} ${F} ${F}`,
      `${G} ${F}`,
      G,
    ]);
    const story = events.map(
      (e) =>
        `${e.type}${'text' in e.data ? `(${e.data.role}: ${e.data.text})` : ''}${e.type === 'call.ended' ? `(${e.data.endedReason})` : ''}`,
    );
    assert.match(heard, new RegExp(ANSWER), `the caller heard: "${heard}"; events: ${story.join(' | ')}`);
    const ended = await waitFor(() => events.find((e) => e.type === 'call.ended'));
    assert.ok(ended);
    const callerTurns = events.filter(
      (e) => e.type === 'transcript.final' && e.callId === ended.callId && e.data.role === 'caller',
    );
    assert.ok(callerTurns.some((e) => e.type === 'transcript.final' && /opening hours/.test(e.data.text)));
    // The call's story is in the database: row, status progression, transcript events, latencies.
    const row = await waitForAsync(async () => {
      const c = await platform.store.calls.get(ended.workspaceId, ended.callId).catch(() => undefined);
      return c?.status === 'ended' ? c : undefined;
    });
    assert.ok(row, 'call row written');
    assert.equal(row.connector, 'sip');
    assert.equal(row.endedReason, 'caller-hangup');
    assert.equal(row.agentVersion, 1);
    assert.deepEqual(
      row.statusProgression.map((s) => s.status).filter((s, i, a) => a.indexOf(s) === i),
      ['ringing', 'in-progress', 'ended'].filter((s) => row.statusProgression.some((p) => p.status === s)),
    );
    assert.ok(row.recordingPath, 'recording kept');
    const stored = await platform.store.calls.events(ended.workspaceId, ended.callId);
    assert.ok(
      stored.some(
        (e) => e.type === 'transcript.final' && String(e.data.text).includes('nine in the morning'),
      ),
    );
  });

  test('sipp with the uac_pcap scenario: the keypad digit reaches the session', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const dir = tempDir(t);
    mkdirSync(join(dir, 'pcap'));
    for (const f of readdirSync('/usr/share/sip-tester').filter((n) => n.endsWith('.pcap'))) {
      copyFileSync(join('/usr/share/sip-tester', f), join(dir, 'pcap', f));
    }
    const before = events.length;
    const [mp] = rtpRange(4);
    const sipp = spawnPeer(
      t,
      'sipp',
      [
        '-sn',
        'uac_pcap',
        `127.0.0.1:${platform.sip!.port}`,
        '-s',
        'demo',
        ...sippBase(0, mp),
        '-timeout',
        '40s',
      ],
      { cwd: dir, timeoutMs: 60_000 },
    );
    const r = await sipp.done;
    assert.equal(r.code, 0, r.stdout.slice(-2000));
    const dtmf = await waitFor(() => events.slice(before).find((e) => e.type === 'dtmf.received'));
    assert.ok(dtmf && dtmf.type === 'dtmf.received');
    assert.equal(dtmf.data.digit, '1');
  });
});

let dirOnce: string | undefined;
function tempDirOnce(): string {
  dirOnce ??= mkdtempSync(join(tmpdir(), 'sb-e2e-'));
  return dirOnce;
}

async function waitForAsync<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function waitFor<T>(fn: () => T | undefined, ms = 20_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

describe('outbound: the platform places a call through a SIP trunk', () => {
  let platform: Running;
  let sippPort: number;
  const events: CallEvent[] = [];

  before(async () => {
    const [rtpMin, rtpMax] = rtpRange(60);
    sippPort = await freeUdpPort();
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: join(mkdtempSync(join(tmpdir(), 'sb-e2e-')), 'data'),
        PORT: '0',
        SIP_PORT: '0',
        RTP_PORT_MIN: String(rtpMin),
        RTP_PORT_MAX: String(rtpMax),
        SIP_TRUNK_URI: `sip:127.0.0.1:${sippPort}`,
        INTERNAL_TOKEN: 'e2e-internal-token-0123456789',
      }),
      createLogger({ level: (process.env.E2E_LOG_LEVEL as 'warn' | undefined) ?? 'warn', pii: true }),
      { banner: false },
    );
    platform.calls.bus.subscribe((e) => {
      events.push(e);
    });
  });
  after(() => platform?.stop());

  test('POST /v1/calls dials sipp (uas, RTP echo), the agent greets, cancel hangs up', async (t) => {
    if (!needBinaries(t, 'sipp')) return;
    const ws = await platform.store.accounts.firstWorkspace();
    const { key } = await platform.store.apiKeys.create(ws!.id, { name: 'e2e', role: 'admin' });
    const agents = await platform.store.agents.list(ws!.id, { name: 'Demo receptionist' });
    const h = { authorization: `Bearer ${key}` };
    const num = await platform.app.inject({
      method: 'POST',
      url: '/v1/phone-numbers',
      headers: h,
      payload: { number: '+14155550123', connector: 'sip', agentId: agents.data[0]!.id },
    });
    assert.equal(num.statusCode, 201, num.body);
    const [mp] = rtpRange(4);
    const sipp = spawnPeer(
      t,
      'sipp',
      ['-sn', 'uas', ...sippBase(sippPort, mp), '-rtp_echo', '-timeout', '60s'],
      {
        timeoutMs: 90_000,
      },
    );
    await new Promise((r) => setTimeout(r, 500));
    const placed = await platform.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: h,
      payload: { agent: agents.data[0]!.id, to: '+14155550199', from: '+14155550123', customCallId: 'e2e-1' },
    });
    assert.equal(placed.statusCode, 202, placed.body);
    const callId = placed.json().id as string;
    const greeted = await waitFor(() =>
      events.find((e) => e.callId === callId && e.type === 'transcript.final' && e.data.role === 'agent'),
    );
    assert.ok(greeted, 'the agent spoke on the outbound call');
    const cancel = await platform.app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/cancel`,
      headers: h,
    });
    assert.ok([200, 202].includes(cancel.statusCode), cancel.body);
    const r = await sipp.done;
    assert.equal(r.code, 0, r.stdout.slice(-1500));
    const row = await waitForAsync(async () => {
      const c = await platform.store.calls.get(ws!.id, callId);
      return c.status === 'ended' ? c : undefined;
    });
    assert.ok(row);
    assert.equal(row.direction, 'outbound');
    assert.ok(row.statusProgression.some((s) => s.status === 'in-progress'));
  });

  test('a voicemail greeting with a beep: the platform hears the machine and leaves the message', async (t) => {
    if (!needBinaries(t, 'sipp', 'flite', 'sox')) return;
    const dir = tempDir(t);
    const greeting = speak(
      dir,
      'greeting',
      'hello you have reached the offices of the clinic. nobody can take your call right now, ' +
        'so please leave your name and your number after the tone and we will call you back',
    );
    const beep = join(dir, 'beep.wav');
    execFileSync('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      beep,
      'synth',
      '0.5',
      'sine',
      '1000',
      'vol',
      '0.3',
    ]);
    execFileSync('sox', [
      greeting,
      beep,
      '-t',
      'raw',
      '-e',
      'mu-law',
      '-r',
      '8000',
      '-c',
      '1',
      join(dir, 'machine.ulaw'),
    ]);
    writeFileSync(join(dir, 'machine.xml'), sippAnswerAndPlay('machine.ulaw'));
    const ws = await platform.store.accounts.firstWorkspace();
    const { key } = await platform.store.apiKeys.create(ws!.id, { name: 'e2e-vm', role: 'admin' });
    const agents = await platform.store.agents.list(ws!.id, { name: 'Demo receptionist' });
    const num = await platform.app.inject({
      method: 'POST',
      url: '/v1/phone-numbers',
      headers: { authorization: `Bearer ${key}` },
      payload: { number: '+14155550124', connector: 'sip', agentId: agents.data[0]!.id },
    });
    assert.equal(num.statusCode, 201, num.body);
    const [mp] = rtpRange(4);
    const sipp = spawnPeer(
      t,
      'sipp',
      ['-sf', 'machine.xml', ...sippBase(sippPort, mp), '-timeout', '60s', '-trace_err'],
      { cwd: dir, timeoutMs: 90_000 },
    );
    await new Promise((r) => setTimeout(r, 500));
    const message = 'this is the clinic, please call us back about your appointment';
    const placed = await platform.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${key}` },
      payload: {
        agent: agents.data[0]!.id,
        to: '+14155550198',
        from: '+14155550124',
        agentOverrides: { voicemailDetection: true, voicemailMessage: message },
      },
    });
    assert.equal(placed.statusCode, 202, placed.body);
    const callId = placed.json().id as string;
    const r = await sipp.done;
    assert.equal(r.code, 0, r.stdout.slice(-1500) + r.stderr);
    const row = await waitForAsync(async () => {
      const c = await platform.store.calls.get(ws!.id, callId);
      return c.status === 'ended' ? c : undefined;
    });
    assert.equal(row?.outcome, 'voicemail');
    assert.equal(row?.endedReason, 'machine-detected');
    const said = events.flatMap((e) =>
      e.callId === callId && e.type === 'transcript.final' && e.data.role === 'agent' ? [e.data.text] : [],
    );
    assert.deepEqual(said, [message], 'the message, and no greeting');
  });

  test('a person who answers "hello?" with voicemail detection on hears the greeting', async (t) => {
    if (!needBinaries(t, 'sipp', 'flite', 'sox')) return;
    const dir = tempDir(t);
    const hello = speak(dir, 'hello', 'hello?', 6);
    execFileSync('sox', [
      hello,
      '-t',
      'raw',
      '-e',
      'mu-law',
      '-r',
      '8000',
      '-c',
      '1',
      join(dir, 'person.ulaw'),
    ]);
    writeFileSync(join(dir, 'person.xml'), sippAnswerAndPlay('person.ulaw'));
    const ws = await platform.store.accounts.firstWorkspace();
    const { key } = await platform.store.apiKeys.create(ws!.id, { name: 'e2e-human', role: 'admin' });
    const agents = await platform.store.agents.list(ws!.id, { name: 'Demo receptionist' });
    const num = await platform.app.inject({
      method: 'POST',
      url: '/v1/phone-numbers',
      headers: { authorization: `Bearer ${key}` },
      payload: { number: '+14155550125', connector: 'sip', agentId: agents.data[0]!.id },
    });
    assert.equal(num.statusCode, 201, num.body);
    const [mp] = rtpRange(4);
    const sipp = spawnPeer(
      t,
      'sipp',
      ['-sf', 'person.xml', ...sippBase(sippPort, mp), '-timeout', '60s', '-trace_err'],
      { cwd: dir, timeoutMs: 90_000 },
    );
    await new Promise((r) => setTimeout(r, 500));
    const placed = await platform.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${key}` },
      payload: {
        agent: agents.data[0]!.id,
        to: '+14155550197',
        from: '+14155550125',
        agentOverrides: { voicemailDetection: true, voicemailMessage: 'please call the clinic back' },
      },
    });
    assert.equal(placed.statusCode, 202, placed.body);
    const callId = placed.json().id as string;
    const greeted = await waitFor(() =>
      events.find((e) => e.callId === callId && e.type === 'transcript.final' && e.data.role === 'agent'),
    );
    assert.ok(greeted?.type === 'transcript.final' && !/call the clinic back/.test(greeted.data.text));
    const hung = await platform.app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/hangup`,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(hung.statusCode, 202, hung.body);
    assert.equal((await sipp.done).code, 0);
    const row = await waitForAsync(async () => {
      const c = await platform.store.calls.get(ws!.id, callId);
      return c.status === 'ended' ? c : undefined;
    });
    assert.equal(row?.outcome, 'completed');
  });
});
