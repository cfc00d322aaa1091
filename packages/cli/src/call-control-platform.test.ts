import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readWav } from '@switchboard/media';
import { FakeRestServer } from '@switchboard/telephony';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const ACCOUNT = 'AC55555555555555555555555555555555';
const TOKEN = 'twilio-auth-token-for-tests-0005';
const NUMBER = '+15559870055';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent Events response to its end, keeping each event as it arrives. */
function readSse(res: Response): { events: SseEvent[]; closed: Promise<void> } {
  const events: SseEvent[] = [];
  const closed = (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let at = buf.indexOf('\n\n');
      while (at >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        at = buf.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return { events, closed };
}

// Call control through the whole platform: a caller on Twilio Media Streams (the scripted
// carrier), the platform's REST API driven over HTTP as a client would, and Twilio's REST API
// (a local fake) receiving the hang-up.
describe('controlling a live call over the API', () => {
  let t: TestPlatform;
  let rest: FakeRestServer;
  let admin: Record<string, string>;
  let viewer: Record<string, string>;

  before(async () => {
    rest = await FakeRestServer.start();
    // Twilio's create-call answer derives the call's SID from our ref, so the test can predict it.
    rest.fallback = (r) => {
      if (r.method === 'POST' && r.path.endsWith('/Calls.json')) {
        const ref = new URL(String(r.form.Url)).searchParams.get('ref') ?? '';
        return { status: 201, body: { sid: twilioSid(ref), status: 'queued' } };
      }
      return { status: 200, body: {} };
    };
    t = await startTestPlatform({ TWILIO_API_URL: rest.url }, { logLevel: 'warn' });
    const { store } = t.platform;
    await store.credentials.create(t.workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(t.workspaceId, {
      number: NUMBER,
      connector: 'twilio',
      agentId: t.demoAgentId,
    });
    const a = await store.apiKeys.create(t.workspaceId, { name: 'ops', role: 'member' });
    const v = await store.apiKeys.create(t.workspaceId, { name: 'wallboard', role: 'viewer' });
    admin = { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' };
    viewer = { authorization: `Bearer ${v.key}`, 'content-type': 'application/json' };
  });
  after(async () => {
    await t?.close();
    await rest?.close();
  });

  const post = (path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${t.appUrl}${path}`, {
      method: 'POST',
      headers: body === undefined ? { authorization: headers.authorization ?? '' } : headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('follow, say, inject, pause the recording, press keys and hang up an inbound call', async () => {
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const callSid = 'CA55555555555555555555555555555501';
    const answer = await twilio.voice({ To: NUMBER, CallSid: callSid });
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    await feedSilenceUntil(stream, 25, 60_000);
    const started = await waitFor('call.started', () => t.events.find((e) => e.type === 'call.started'));
    const callId = started.callId;
    const feeder = setInterval(() => stream.sendMedia(new Uint8Array(160).fill(0xff)), 20);
    try {
      // A viewer may follow the call…
      const live = await fetch(`${t.appUrl}/v1/calls/${callId}/live`, { headers: viewer });
      assert.equal(live.status, 200);
      assert.match(live.headers.get('content-type') ?? '', /^text\/event-stream/);
      const sse = readSse(live);
      // …and is refused everything that changes it.
      for (const path of ['hangup', 'say', 'inject', 'recording/pause', 'recording/resume']) {
        const r = await post(
          `/v1/calls/${callId}/${path}`,
          viewer,
          path === 'say' ? { text: 'hi' } : undefined,
        );
        assert.equal(r.status, 403, `viewer ${path}`);
      }
      const bad = await post(`/v1/calls/${callId}/say`, admin, { text: '', loud: true });
      assert.equal(bad.status, 400);
      const badBody = (await bad.json()) as { error: { details: { path: string }[] } };
      assert.ok(badBody.error.details.some((d) => d.path === 'body.text'));

      const said = await post(`/v1/calls/${callId}/say`, admin, {
        text: 'Your parcel left the depot.',
        interrupt: true,
      });
      assert.equal(said.status, 202, await said.clone().text());
      assert.deepEqual(await said.json(), { callId, action: 'say', result: 'applied' });
      await waitFor('the said line in the live stream', () =>
        sse.events.some(
          (e) =>
            e.event === 'transcript.final' &&
            (e.data.data as { text?: string }).text === 'Your parcel left the depot.',
        ),
      );

      const injected = await post(`/v1/calls/${callId}/inject`, admin, {
        message: 'The caller is a member.',
      });
      assert.equal(injected.status, 202);

      // The recording is paused while the agent speaks a long line, and resumed before it ends.
      const before = stream.mediaReceived().length;
      const long =
        'Your parcel left the depot this morning, and it will arrive tomorrow between nine and eleven.';
      assert.equal((await post(`/v1/calls/${callId}/say`, admin, { text: long })).status, 202);
      await waitFor('the long line playing', () => stream.mediaReceived().length > before + 25);
      const pause = await post(`/v1/calls/${callId}/recording/pause`, admin);
      assert.equal(pause.status, 202);
      assert.equal(((await pause.json()) as { recording: string }).recording, 'paused');
      await new Promise((r) => setTimeout(r, 1000));
      const resume = await post(`/v1/calls/${callId}/recording/resume`, admin);
      assert.equal(((await resume.json()) as { recording: string }).recording, 'recording');
      await waitFor('the long line said', () =>
        sse.events.some(
          (e) => e.event === 'transcript.final' && (e.data.data as { text?: string }).text === long,
        ),
      );

      // Keys pressed just before the hang-up: the entry is still open when the call ends.
      stream.sendDtmf('7');
      stream.sendDtmf('3');
      await waitFor('both digits', () => t.events.filter((e) => e.type === 'dtmf.received').length === 2);
      const hung = await post(`/v1/calls/${callId}/hangup`, admin);
      assert.equal(hung.status, 202);
      assert.equal(((await hung.json()) as { result: string }).result, 'applied');
      await sse.closed;

      const names = sse.events.map((e) => e.event);
      assert.equal(names[0], 'state', 'opens with the call as it is');
      for (const name of [
        'call.answered',
        'transcript.final',
        'context.injected',
        'recording.paused',
        'recording.resumed',
        'dtmf.received',
        'call.ended',
      ]) {
        assert.ok(names.includes(name), `${name} in ${names.join(',')}`);
      }
      assert.deepEqual(sse.events.at(-1), {
        event: 'end',
        data: { status: 'ended', outcome: 'completed', endedReason: 'api-hangup' },
      });
      // The carrier was told on its own wire.
      assert.ok(
        rest.requests.some((r) => r.path.includes(`/Calls/${callSid}.json`) && r.form.Status === 'completed'),
        JSON.stringify(rest.requests.map((r) => r.path)),
      );
    } finally {
      clearInterval(feeder);
    }

    const row = await t.endedCall(callId);
    assert.equal(row.endedReason, 'api-hangup');
    const stored = await t.platform.store.calls.events(t.workspaceId, callId);
    const types = stored.map((e) => e.type);
    for (const type of ['context.injected', 'recording.paused', 'recording.resumed'])
      assert.ok(types.includes(type), type);
    assert.ok(
      stored.some((e) => e.type === 'transcript.final' && e.data.text === 'Caller pressed keypad keys: 73'),
      'the keys pressed as the call ended are in its transcript',
    );
    const paused = stored.find((e) => e.type === 'recording.paused')?.data;
    const resumed = stored.find((e) => e.type === 'recording.resumed')?.data;
    const [from, to] = [Number(paused?.recordingMs), Number(resumed?.recordingMs)];
    assert.ok(to - from >= 500, `paused ${from}..${to} ms into the recording`);
    assert.ok(row.recordingPath);
    const wav = readWav(row.recordingPath);
    const agent = wav.samples[1] ?? new Int16Array(0);
    const perMs = wav.format.sampleRate / 1000;
    const at = (ms: number) => Math.round(ms * perMs);
    assert.ok(
      agent.subarray(at(from - 600), at(from)).some((s) => s !== 0),
      'the agent is heard up to the pause',
    );
    const gap = agent.subarray(at(from), at(to));
    assert.ok(gap.length > 0 && gap.every((s) => s === 0), 'the paused span is silence');

    // Once ended: the live stream gives the final state and closes; control is refused.
    const again = readSse(await fetch(`${t.appUrl}/v1/calls/${callId}/live`, { headers: viewer }));
    await again.closed;
    assert.deepEqual(
      again.events.map((e) => e.event),
      ['state', 'end'],
    );
    assert.equal(again.events[0]?.data.status, 'ended');
    const late = await post(`/v1/calls/${callId}/hangup`, admin);
    assert.equal(late.status, 409);
    const unknown = await post('/v1/calls/00000000-0000-4000-8000-000000000000/hangup', admin);
    assert.equal(unknown.status, 404);
  });

  test('an outbound call runs with its agentOverrides, keeps them, and is hung up over the API', async () => {
    const to = '+14155550301';
    const greeting = 'Hi Maria, this is a one-off greeting for this call only.';
    const placed = await post('/v1/calls', admin, {
      agent: t.demoAgentId,
      to,
      from: NUMBER,
      agentOverrides: { greeting, turnTaking: { endOfTurnSilenceMs: 950 } },
    });
    assert.equal(placed.status, 202, await placed.clone().text());
    const callId = ((await placed.json()) as { id: string }).id;
    const create = await waitFor('Calls.json', () => rest.requests.find((r) => r.form.To === to));
    const answerUrl = new URL(String(create.form.Url));
    const callSid = twilioSid(callId);
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice(
      { CallSid: callSid, Direction: 'outbound-api', From: NUMBER, To: to },
      { query: answerUrl.search },
    );
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    const feeder = setInterval(() => stream.sendMedia(new Uint8Array(160).fill(0xff)), 20);
    try {
      const first = await waitFor(
        'the greeting',
        () =>
          t.events.find(
            (e) => e.callId === callId && e.type === 'transcript.final' && e.data.role === 'agent',
          ),
        60_000,
      );
      assert.ok(first.type === 'transcript.final');
      assert.equal(first.data.text, greeting, 'the call greets with its own greeting');
      const hung = await post(`/v1/calls/${callId}/hangup`, admin);
      assert.equal(((await hung.json()) as { result: string }).result, 'applied');
      const row = await t.endedCall(callId);
      assert.equal(row.endedReason, 'api-hangup');
      const shown = await fetch(`${t.appUrl}/v1/calls/${callId}`, { headers: viewer });
      const view = (await shown.json()) as { agentOverrides: unknown; agentConfig: Record<string, unknown> };
      assert.deepEqual(view.agentOverrides, { greeting, turnTaking: { endOfTurnSilenceMs: 950 } });
      assert.equal(view.agentConfig.greeting, greeting);
      assert.equal((view.agentConfig.turnTaking as { endOfTurnSilenceMs: number }).endOfTurnSilenceMs, 950);
    } finally {
      clearInterval(feeder);
    }
  });

  test('a cold transfer over the API: Twilio is told to dial the target and the call ends transferred', async () => {
    const callSid = 'CA55555555555555555555555555555502';
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: NUMBER, CallSid: callSid });
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    await feedSilenceUntil(stream, 10, 60_000);
    const started = await waitFor('call.started', () =>
      t.events.find(
        (e) =>
          e.type === 'call.started' &&
          e.data.to === NUMBER &&
          !t.events.some((x) => x.type === 'call.ended' && x.callId === e.callId),
      ),
    );
    const callId = started.callId;
    const bad = await post(`/v1/calls/${callId}/transfer`, admin, { target: 'the front desk' });
    assert.equal(bad.status, 400);
    assert.equal(
      ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
      'body.target',
    );
    const warm = await post(`/v1/calls/${callId}/transfer`, admin, { to: '+14155550100', mode: 'warm' });
    assert.equal(warm.status, 409, 'Twilio has no warm transfer here');
    assert.match(
      ((await warm.json()) as { error: { message: string } }).error.message,
      /twilio connector cannot make a warm transfer/,
    );
    const summaryForCold = await post(`/v1/calls/${callId}/transfer`, admin, {
      target: '+14155550100',
      summary: 'A caller.',
    });
    assert.equal(summaryForCold.status, 400, 'a summary is for warm transfers');
    const moved = await post(`/v1/calls/${callId}/transfer`, admin, { target: '+14155550100' });
    assert.equal(moved.status, 202, await moved.clone().text());
    assert.equal(((await moved.json()) as { result: string }).result, 'applied');
    const update = await waitFor('the TwiML update', () =>
      rest.requests.find(
        (r) => r.path.includes(`/Calls/${callSid}.json`) && typeof r.form.Twiml === 'string',
      ),
    );
    assert.match(String(update.form.Twiml), /<Dial>.*\+14155550100.*<\/Dial>/s);
    stream.sendStop();
    const row = await t.endedCall(callId);
    assert.equal(row.endedReason, 'transfer');
  });

  test('hanging up an outbound call not answered yet cancels it', async () => {
    const placed = await post('/v1/calls', admin, {
      agent: t.demoAgentId,
      to: '+14155550302',
      from: NUMBER,
      scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const callId = ((await placed.json()) as { id: string }).id;
    const hung = await post(`/v1/calls/${callId}/hangup`, admin);
    assert.equal(hung.status, 202);
    assert.equal(((await hung.json()) as { result: string }).result, 'cancelled');
    const row = await t.endedCall(callId);
    assert.equal(row.outcome, 'cancelled');
  });
});

const twilioSid = (ref: string) => `CA${ref.replace(/-/g, '')}`;
