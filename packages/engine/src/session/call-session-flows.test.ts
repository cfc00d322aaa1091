import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@switchboard/core';
import { type AudioFrame, PCM16_16K } from '@switchboard/media';
import { FakeLlm } from '../fakes/fake-llm.js';
import { SessionHarness } from '../fakes/session-harness.js';
import { ProviderError } from '../providers/provider-error.js';
import { sleep } from '../util/clock.js';

const fast = { endOfTurnSilenceMs: 300, minInterruptionMs: 200, falseInterruptionResumeMs: 500 };

function assertNoLeaks(h: SessionHarness): void {
  assert.equal(h.session.timers.active, 0, 'session timers');
  assert.equal(h.clock.pending, 0, 'clock timers');
  assert.equal(h.leg.activeListeners, 0, 'leg listeners');
}

async function callerSays(h: SessionHarness): Promise<void> {
  await h.speak(300);
  await h.silence(20);
}

test('http tool round trip: signed request, result fed back to the model, transcript and event', async () => {
  const seen: { sig: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ sig: String(req.headers['x-switchboard-signature']), body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ booked: true, table: 7 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/book`;
  const credentialId = '00000000-0000-4000-8000-00000000000a';
  const h = new SessionHarness({
    config: {
      turnTaking: fast,
      tools: [
        { type: 'http', name: 'book', description: 'Book a table', url, signingCredentialId: credentialId },
      ],
    },
    asr: { utterances: ['Book a table for two'] },
    llm: { replies: [{ toolCalls: [{ name: 'book', args: { people: 2 } }] }, 'Table seven is yours.'] },
    session: { resolveSecret: async (id) => (id === credentialId ? 'shh' : undefined) },
  });
  await h.start();
  await callerSays(h);
  assert.ok(await h.until(() => h.of('tool.called').length > 0 && h.leg.playedMs > 0, 5000, 20));
  await h.advance(2000);
  server.close();
  const [call] = h.of('tool.called');
  assert.deepEqual(call?.data.args, { people: 2 });
  assert.deepEqual(call?.data.result, { booked: true, table: 7 });
  assert.equal(call?.data.ok, true);
  const sig = /^t=(\d+),v1=([0-9a-f]+)$/.exec(seen[0]?.sig ?? '');
  assert.ok(sig);
  assert.equal(sig[2], createHmac('sha256', 'shh').update(`${sig[1]}.${seen[0]?.body}`).digest('hex'));
  const toolMsg = h.llm.requests[1]?.find((m) => m.role === 'tool');
  assert.equal(toolMsg?.role === 'tool' && toolMsg.content, '{"booked":true,"table":7}');
  const roles = h.of('transcript.final').map((e) => e.data.role);
  assert.deepEqual(roles, ['caller', 'tool', 'agent']);
  await h.hangup();
  assertNoLeaks(h);
});

test('the model sees how sure the recogniser was of a spoken turn (the lowest of its finals)', async () => {
  const h = new SessionHarness({ config: { turnTaking: fast }, llm: { replies: ['Sure.'] } });
  await h.start();
  await h.speak(300);
  h.asr.stream?.final('goodbye', 0.9);
  h.asr.stream?.final('see you', 0.3);
  await h.silence(20);
  assert.ok(await h.until(() => h.llm.requests.length > 0, 5000, 20));
  const user = h.llm.requests[0]?.filter((m) => m.role === 'user');
  assert.deepEqual(user, [{ role: 'user', content: 'goodbye see you', confidence: 0.3 }]);
  await h.hangup();
  assertNoLeaks(h);
});

test('a slow tool gets a filler phrase, then the answer', async () => {
  let h: SessionHarness | undefined;
  const slowFetch = (async () => {
    await sleep(h!.clock, 3000);
    return new Response('{"status":"shipped"}', { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  h = new SessionHarness({
    config: {
      turnTaking: { ...fast, fillerAfterMs: 1000, fillerPhrases: ['Just a moment.'] },
      tools: [{ type: 'http', name: 'track', description: 'Track', url: 'http://example.invalid/t' }],
    },
    asr: { utterances: ['Where is my order'] },
    llm: { replies: [{ toolCalls: [{ name: 'track', args: {} }] }, 'It has shipped.'] },
    session: { fetch: slowFetch },
  });
  await h.start();
  await callerSays(h);
  await h.advance(6000, 20);
  assert.deepEqual(h.tts.requests, ['Just a moment.', 'It has shipped.']);
  const agent = h.of('transcript.final').filter((e) => e.data.role === 'agent');
  assert.equal(agent[0]?.data.text, 'Just a moment. It has shipped.');
  await h.hangup();
  assertNoLeaks(h);
});

test('a silent caller is re-prompted, then the call ends with silence-timeout', async () => {
  const h = new SessionHarness({
    config: {
      idle: {
        repromptAfterMs: 1000,
        repromptMessages: ['Are you there?'],
        maxReprompts: 2,
        hangupMessage: 'Bye now.',
      },
    },
  });
  await h.start();
  const r = await (async () => {
    await h.until(() => !!h.ended, 20_000, 20);
    return h.finish();
  })();
  assert.deepEqual(h.tts.requests, ['Are you there?', 'Are you there?', 'Bye now.']);
  assert.equal(r.endedReason, 'silence-timeout');
  assert.equal(h.leg.hungUp?.reason, 'silence-timeout');
  assert.equal(h.leg.playedMs, 3 * 300 + 3 * 300 + 2 * 300);
  assertNoLeaks(h);
});

test('max duration ends the call after the goodbye', async () => {
  const h = new SessionHarness({
    config: {
      maxDurationSeconds: 10,
      goodbyeMessage: 'Time is up, goodbye.',
      idle: { repromptAfterMs: 60_000 },
    },
  });
  await h.start();
  await h.until(() => !!h.ended, 15_000, 20);
  const r = await h.finish();
  assert.equal(r.endedReason, 'max-duration');
  assert.deepEqual(h.tts.requests, ['Time is up, goodbye.']);
  assert.equal(h.leg.playedMs, 4 * 300);
  assert.ok(r.durationMs >= 10_000 + 4 * 300);
  assertNoLeaks(h);
});

test('end_call: the goodbye finishes playing before the hang-up', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast, tools: [{ type: 'end_call' }] },
    asr: { utterances: ['That is all, thanks'] },
    llm: { replies: [{ text: 'Thanks for calling, goodbye!', toolCalls: [{ name: 'end_call', args: {} }] }] },
  });
  await h.start();
  await callerSays(h);
  await h.until(() => !!h.ended, 5000, 20);
  const r = await h.finish();
  assert.equal(r.endedReason, 'agent-ended');
  assert.equal(h.leg.playedMs, 4 * 300, 'the whole goodbye played');
  assert.deepEqual(h.leg.actions.at(-1), { type: 'hangup', reason: 'agent-ended' });
  assert.equal(h.leg.actions.at(-2)?.type, 'play');
  assertNoLeaks(h);
});

test('transfer and send_dtmf tools act on the leg', async () => {
  const h = new SessionHarness({
    config: {
      turnTaking: fast,
      tools: [
        { type: 'send_dtmf' },
        {
          type: 'transfer',
          destinations: [{ label: 'sales', target: '+15550001' }],
          message: 'Connecting you.',
        },
      ],
    },
    asr: { utterances: ['Sales please'] },
    llm: {
      replies: [
        { toolCalls: [{ name: 'send_dtmf', args: { digits: '1#' } }] },
        { toolCalls: [{ name: 'transfer', args: { destination: 'sales' } }] },
      ],
    },
  });
  await h.start();
  await callerSays(h);
  await h.until(() => !!h.ended, 5000, 20);
  const r = await h.finish();
  assert.deepEqual(h.leg.dtmfSent, ['1#']);
  assert.deepEqual(h.leg.transfers, ['+15550001']);
  assert.equal(r.endedReason, 'transfer');
  assert.equal(h.leg.hungUp, undefined, 'a transferred leg is not hung up');
  assert.equal(h.leg.playedMs, 2 * 300);
  assertNoLeaks(h);
});

test('a provider failing mid-call: apology, then provider-error', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast, greeting: 'Hi.' },
    asr: { utterances: ['Question'] },
    llm: {
      replies: [{ text: 'Let me see', error: new ProviderError('auth', 'key revoked'), failAfterTokens: 1 }],
    },
  });
  await h.start();
  await h.advance(400);
  await callerSays(h);
  await h.until(() => !!h.ended, 10_000, 20);
  const r = await h.finish();
  assert.equal(r.endedReason, 'provider-error');
  assert.equal(r.outcome, 'completed');
  assert.match(h.tts.requests.join(' '), /technical difficulties. Please call again later.$/);
  assert.equal(h.leg.hungUp?.reason, 'provider-error');
  assertNoLeaks(h);
});

test('the next provider in the chain serves when the first cannot connect', async () => {
  const h = new SessionHarness({
    config: { providers: { asr: ['local:asr'], llm: ['local:broken', 'local:llm'], tts: ['local:tts'] } },
    extra: (clock) => ({
      llm: { 'local:broken': new FakeLlm({ clock, failConnect: new ProviderError('auth', 'no') }) },
    }),
  });
  await h.start();
  const r = await h.hangup();
  assert.equal(r.providers.llm, 'local:llm');
  assert.equal(h.of('call.ended')[0]?.data.endedReason, 'caller-hangup');
  assertNoLeaks(h);
});

test('no provider connects: the call fails cleanly', async () => {
  const h = new SessionHarness({
    config: { providers: { asr: ['local:asr'], llm: ['local:none'], tts: ['local:tts'] } },
  });
  await h.start();
  const r = await h.finish();
  assert.equal(r.outcome, 'failed');
  assert.equal(r.endedReason, 'provider-error');
  assert.equal(h.asr.stream?.closed, true, 'the recogniser that did connect was closed');
  assertNoLeaks(h);
});

test('a recogniser that cannot start: the caller hears the line is unavailable, the row names why', async () => {
  const h = new SessionHarness({
    config: { greeting: 'Hi.' },
    asr: { failConnect: new ProviderError('unavailable', 'needs the system binary pocketsphinx_continuous') },
    session: { unavailableTts: 'local:tts' },
  });
  await h.start();
  await h.until(() => !!h.ended, 10_000, 20);
  const r = await h.finish();
  assert.equal(r.outcome, 'failed');
  assert.equal(r.endedReason, 'provider-error');
  assert.ok(h.of('call.answered').length === 1, 'the call was answered, not left ringing');
  assert.match(h.tts.requests.join(' '), /cannot take calls right now/);
  assert.ok(h.leg.playedMs > 0, 'the caller heard it');
  assert.equal(h.leg.hungUp?.reason, 'provider-error');
  assert.equal(
    h.of('call.ended')[0]?.data.error,
    'call could not start: asr provider local:asr: needs the system binary pocketsphinx_continuous',
  );
  assertNoLeaks(h);
});

test('providers down: the keypad menu still reads the FAQ answers, then the call ends with why', async () => {
  const h = new SessionHarness({
    config: {
      greeting: 'Hi.',
      knowledge: {
        faq: [
          { question: 'What are your opening hours?', answer: 'Nine to five.', keywords: [] },
          { question: 'Where are you?', answer: 'On Main Street.', keywords: [] },
        ],
      },
    },
    asr: { failConnect: new ProviderError('unavailable', 'cannot reach the recogniser') },
    session: { unavailableTts: 'local:tts' },
  });
  await h.start();
  const spoken = () => h.tts.requests.join(' | ');
  assert.ok(await h.until(() => spoken().includes('press 2'), 10_000, 20), spoken());
  assert.match(spoken(), /For What are your opening hours, press 1\. For Where are you, press 2\./);
  h.leg.pressDigit('2');
  assert.ok(await h.until(() => spoken().includes('On Main Street.'), 10_000, 20), spoken());
  h.leg.pressDigit('7');
  assert.ok(await h.until(() => spoken().includes('from 1 to 2'), 10_000, 20), spoken());
  assert.equal(h.ended, undefined, 'the call stays up while the caller uses the menu');
  // No further key within the wait: goodbye, and the call ends as it would have without a menu.
  await h.until(() => !!h.ended, 60_000, 200);
  const r = await h.finish();
  assert.match(spoken(), /Goodbye\.$/);
  assert.doesNotMatch(spoken(), /Nine to five/, 'only the chosen answer was read');
  assert.equal(r.outcome, 'failed');
  assert.equal(r.endedReason, 'provider-error');
  assert.deepEqual(
    h.of('dtmf.received').map((e) => e.data.digit),
    ['2', '7'],
  );
  // What the caller heard is in the transcript, as the agent's lines.
  const heard = h.of('transcript.final').map((e) => `${e.data.role}: ${e.data.text}`);
  assert.ok(heard.includes('agent: On Main Street.'), heard.join('\n'));
  assert.match(heard[0] ?? '', /^agent: Sorry, this line cannot take calls/);
  assertNoLeaks(h);
});

test('malformed caller frames are repaired or dropped, the call goes on', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast },
    asr: { utterances: ['Still works'] },
    llm: { replies: ['Yes it does.'] },
  });
  await h.start();
  h.leg.pushAudio({ format: h.leg.inputFormat, data: new Uint8Array(161) }); // odd byte count
  h.leg.pushAudio({ format: PCM16_16K, data: new Uint8Array(640) }); // wrong rate
  h.leg.pushAudio({
    format: { encoding: 'opus', sampleRate: 8000 },
    data: new Uint8Array(10),
  } as unknown as AudioFrame);
  h.leg.pushAudio(null as unknown as AudioFrame);
  h.leg.pushAudio({ format: h.leg.inputFormat, data: new Uint8Array(0) });
  await h.advance(100);
  await callerSays(h);
  await h.advance(2000);
  assert.equal(h.leg.playedMs, 3 * 300);
  await h.hangup();
  assertNoLeaks(h);
});

test('recording writes a stereo WAV when enabled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-rec-'));
  try {
    const h = new SessionHarness({ config: { greeting: 'Hello there.' }, session: { recordingDir: dir } });
    await h.start();
    await h.silence(1000);
    const r = await h.hangup();
    assert.ok(r.recording);
    assert.equal(r.recording.path, join(dir, 'fake-leg.wav'));
    assert.ok((await stat(r.recording.path)).size > 44);
    assertNoLeaks(h);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('keypad: digits within the inter-digit timeout are one caller turn for the model', async () => {
  const h = new SessionHarness({
    config: { keypad: { interDigitTimeoutMs: 1000, terminator: 'none' } },
    llm: { replies: ['Account 1234 found.'] },
  });
  await h.start();
  for (const d of '1234') {
    h.leg.pressDigit(d);
    await h.advance(300);
  }
  assert.equal(h.llm.requests.length, 0, 'still collecting');
  await h.advance(1000);
  assert.ok(await h.until(() => h.llm.requests.length === 1, 2000, 20));
  const last = h.llm.requests[0]?.at(-1);
  assert.deepEqual(last, { role: 'user', content: 'Caller pressed keypad keys: 1234' });
  await h.advance(3000);
  assert.equal(h.of('dtmf.received').length, 4);
  await h.hangup();
  assertNoLeaks(h);
});

test('keypad: with toModel off, digits are reported but not answered', async () => {
  const h = new SessionHarness({ config: { keypad: { toModel: false } } });
  await h.start();
  h.leg.pressDigit('5');
  h.leg.pressDigit('#');
  await h.advance(3000);
  assert.equal(h.llm.requests.length, 0);
  assert.equal(h.of('dtmf.received').length, 2);
  await h.hangup();
  assertNoLeaks(h);
});

test('log lines of a call carry callId and agentId once when the runner already bound them', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const runnerLog = createLogger({ destination }).child({ callId: 'fake-leg', agentId: 'agent-1' });
  const h = new SessionHarness({
    config: { turnTaking: fast },
    session: {
      logger: runnerLog,
      emit: () => {
        throw new Error('subscriber failed');
      },
    },
  });
  await h.start();
  await h.advance(100);
  h.leg.callerHangup();
  await h.result;
  assert.ok(lines.length > 0, 'the failing subscriber was logged');
  for (const line of lines) {
    assert.equal(line.match(/"callId"/g)?.length, 1, line);
    assert.equal(line.match(/"agentId"/g)?.length, 1, line);
  }
});

test('caller audio queued while the providers connect is not replayed as delay: only the last 200 ms', async () => {
  const h = new SessionHarness({ config: { turnTaking: fast } });
  // Two seconds of caller audio arrive before the call is set up (a slow provider connect).
  for (let t = 0; t < 2000; t += 20) h.leg.pushSilence(20);
  await h.start();
  await h.advance(20);
  assert.ok(h.asr.stream, 'the recogniser is connected');
  assert.equal(h.asr.stream.receivedMs, 200, 'the backlog was cut to its newest 200 ms');
  h.leg.pushSilence(20);
  await h.advance(20);
  assert.equal(h.asr.stream.receivedMs, 220, 'live audio flows as before');
  await h.hangup();
  assertNoLeaks(h);
});
