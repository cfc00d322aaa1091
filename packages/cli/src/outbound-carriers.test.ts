import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import {
  FakeAriServer,
  FakeRestServer,
  type RecordedRequest,
  ScriptedPlivo,
  ScriptedTelnyx,
  type ScriptedTwilio,
} from '@switchboard/telephony';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const TWILIO_SID = 'AC44444444444444444444444444444444';
const TWILIO_TOKEN = 'twilio-auth-token-for-tests-0002';
const PLIVO_ID = 'MAOUTBOUNDTEST000001';
const PLIVO_TOKEN = 'plivo-auth-token-for-tests-0002';
const NUMBERS = {
  twilio: '+15559870010',
  plivo: '+14155550110',
  telnyx: '+15559870030',
  asterisk: '+15559870040',
} as const;
/** How long a placement waits for its media here: short, so the no-stream case is cheap. */
const ANSWER_TIMEOUT_MS = 5000;

// The whole platform placing calls through each carrier's REST API (a local fake) and ARI (a
// fake Asterisk): the scripted carrier then answers as the real one would, and the call row ends
// with the outcome the carrier reported or the conversation had.
describe('outbound calls through Twilio, Plivo, Telnyx and Asterisk ARI', () => {
  let t: TestPlatform;
  let rest: FakeRestServer;
  let ari: FakeAriServer;
  let rtp: dgram.Socket;
  const rtpIn: Buffer[] = [];
  let agentId: string;
  let auth: { authorization: string };
  let twilio: ScriptedTwilio;
  let plivo: ScriptedPlivo;
  let telnyx: ScriptedTelnyx;

  before(async () => {
    rest = await FakeRestServer.start();
    // Each create-call answer derives the carrier's id from our ref, so a test can predict it.
    rest.accounts = {
      twilio: { [TWILIO_SID]: { authToken: TWILIO_TOKEN } },
      plivo: { [PLIVO_ID]: { authToken: PLIVO_TOKEN } },
      telnyx: { apiKeys: ['KEY-telnyx'], connectionIds: ['conn-1'] },
    };
    rest.fallback = (r) => {
      if (r.method === 'POST' && r.path.endsWith('/Calls.json')) {
        const ref = new URL(String(r.form.Url)).searchParams.get('ref') ?? '';
        return { status: 201, body: { sid: twilioSid(ref), status: 'queued' } };
      }
      if (r.method === 'POST' && /^\/v1\/Account\/[^/]+\/Call\/$/.test(r.path)) {
        const ref = new URL(String((r.json as { answer_url: string }).answer_url)).searchParams.get('ref');
        return { status: 201, body: { message: 'call fired', request_uuid: `req-${ref}`, api_id: 'x' } };
      }
      if (r.method === 'POST' && r.path === '/v2/calls') {
        const state = String((r.json as { client_state?: string }).client_state ?? '');
        return { status: 200, body: { data: { call_control_id: telnyxId(fromBase64(state)) } } };
      }
      return { status: 200, body: {} };
    };
    ari = await FakeAriServer.start();
    rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    rtp.on('message', (m) => rtpIn.push(m));
    ari.rtpTarget = { address: '127.0.0.1', port: rtp.address().port };
    t = await startTestPlatform(
      {
        ARI_URL: ari.url,
        ARI_USERNAME: 'switchboard',
        ARI_PASSWORD: 'secret',
        RTP_PORT_MIN: '48100',
        RTP_PORT_MAX: '48199',
        // The carriers' REST APIs are the local fake; pointing at the real ones is this setting.
        TWILIO_API_URL: rest.url,
        PLIVO_API_URL: rest.url,
        TELNYX_API_URL: rest.url,
        ARI_DIAL_ENDPOINT: 'PJSIP/{to}@trunk',
      },
      { outbound: { answerTimeoutMs: ANSWER_TIMEOUT_MS } },
    );
    const { appUrl } = t;
    twilio = t.scriptedTwilio(TWILIO_SID, TWILIO_TOKEN);
    plivo = new ScriptedPlivo({ appUrl, publicUrl: t.publicUrl, authId: PLIVO_ID, authToken: PLIVO_TOKEN });
    telnyx = new ScriptedTelnyx({ appUrl });

    const { store } = t.platform;
    const { workspaceId } = t;
    agentId = t.demoAgentId;
    auth = {
      authorization: `Bearer ${(await store.apiKeys.create(workspaceId, { name: 't', role: 'admin' })).key}`,
    };
    // The accounts are saved through the API, so each is checked against its carrier (the fake,
    // through the *_API_URL settings) as an operator's would be.
    const telnyxSecret = { apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'conn-1' };
    for (const [name, value] of [
      [`twilio:${TWILIO_SID}`, TWILIO_TOKEN],
      [`plivo:${PLIVO_ID}`, PLIVO_TOKEN],
      ['telnyx', JSON.stringify(telnyxSecret)],
    ]) {
      const res = await t.platform.app.inject({
        method: 'POST',
        url: '/v1/credentials',
        headers: auth,
        payload: { name, value },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    for (const [connector, number] of Object.entries(NUMBERS))
      await store.phoneNumbers.create(workspaceId, { number, connector: connector as 'twilio', agentId });
  });

  after(async () => {
    await t?.close();
    await rest?.close();
    await ari?.close();
    rtp?.close();
  });

  /** POST /v1/calls; resolves with the call id once the dialer has it. */
  async function place(from: string, to: string, agent = agentId): Promise<string> {
    const res = await t.platform.app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: auth,
      payload: { agent, to, from },
    });
    assert.equal(res.statusCode, 202, res.body);
    return res.json().id as string;
  }

  const restRequest = (what: string, match: (r: RecordedRequest) => boolean) =>
    waitFor(what, () => rest.requests.find(match));

  const endedRow = (callId: string, ms?: number) => t.endedCall(callId, ms);

  test('carrier accounts are checked against the carrier at the configured URL when saved and tested', async () => {
    const api = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
      t.platform.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    const wrong = await api('POST', '/v1/credentials', {
      name: 'twilio:AC0000000000000000000000000000000a',
      value: 'x',
    });
    assert.equal(wrong.statusCode, 422, wrong.body);
    assert.equal(
      wrong.json().error.message,
      'twilio: account AC0000000000000000000000000000000a rejected the auth token (HTTP 401)',
    );
    const list = (await t.platform.app.inject({ url: '/v1/credentials?limit=100', headers: auth })).json();
    const telnyxId = (list.data as { id: string; name: string }[]).find((c) => c.name === 'telnyx')?.id;
    assert.ok(telnyxId);
    const rotated = await api('PATCH', `/v1/credentials/${telnyxId}`, {
      value: JSON.stringify({ apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'conn-9' }),
    });
    assert.equal(rotated.statusCode, 422, rotated.body);
    assert.equal(rotated.json().error.message, 'telnyx: connection conn-9 not found (HTTP 404)');
    const tested = await api('POST', `/v1/credentials/${telnyxId}/test`);
    assert.equal(tested.statusCode, 200, tested.body);
    assert.deepEqual(
      [tested.json().ok, tested.json().message],
      [true, 'telnyx: the API key works and connection conn-1 exists'],
    );
    assert.ok(rest.requests.some((r) => r.path === '/v2/call_control_applications/conn-1'));
  });

  /** Waits for the call row to end, and checks its outcome and ended reason. */
  async function expectEnded(callId: string, outcome: string, endedReason: string, ms?: number) {
    const row = await endedRow(callId, ms);
    assert.equal(row.outcome, outcome);
    assert.equal(row.endedReason, endedReason);
  }

  const started = (callId: string) =>
    waitFor('call.started', () => t.events.find((e) => e.type === 'call.started' && e.callId === callId));

  test('Twilio: Calls.json with our ref → voice webhook → stream → the agent greets; hangup ends it completed', async () => {
    const callId = await place(NUMBERS.twilio, '+14155550201');
    const create = await restRequest('Calls.json', (r) => r.form.To === '+14155550201');
    assert.equal(create.path, `/2010-04-01/Accounts/${TWILIO_SID}/Calls.json`);
    assert.equal(create.form.From, NUMBERS.twilio);
    const answerUrl = new URL(String(create.form.Url));
    assert.equal(answerUrl.searchParams.get('ref'), callId, 'the dialer call id travels as ref');
    assert.equal(new URL(String(create.form.StatusCallback)).searchParams.get('ref'), callId);

    const callSid = twilioSid(callId);
    const answer = await twilio.voice(
      { CallSid: callSid, Direction: 'outbound-api', From: NUMBERS.twilio, To: '+14155550201' },
      { query: answerUrl.search },
    );
    assert.ok(answer.streamUrl, answer.body);
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    await feedSilenceUntil(stream, 25);
    const ev = await started(callId);
    assert.ok(
      ev.type === 'call.started' && ev.data.direction === 'outbound' && ev.data.connector === 'twilio',
    );
    assert.ok(
      stream.mediaReceived().every((m) => m.length === 160),
      '20 ms μ-law frames',
    );
    stream.sendStop();
    await expectEnded(callId, 'completed', 'callee-hangup');
  });

  test('Twilio: a busy status callback before any stream ends the call busy', async () => {
    const callId = await place(NUMBERS.twilio, '+14155550202');
    const create = await restRequest('Calls.json', (r) => r.form.To === '+14155550202');
    const q = new URL(String(create.form.StatusCallback)).search;
    const status = await twilio.status(
      {
        CallSid: twilioSid(callId),
        CallStatus: 'busy',
        Direction: 'outbound-api',
        From: NUMBERS.twilio,
        To: '+14155550202',
      },
      q,
    );
    assert.equal(status, 204);
    await expectEnded(callId, 'busy', 'busy');
    // Receivers hear of it like any other call: one call.ended, though no agent ever ran.
    const ended = await waitFor('call.ended', () =>
      t.events.find((e) => e.type === 'call.ended' && e.callId === callId),
    );
    assert.ok(
      ended.type === 'call.ended' && ended.data.outcome === 'busy' && ended.data.endedReason === 'busy',
    );
    assert.equal(t.events.filter((e) => e.type === 'call.ended' && e.callId === callId).length, 1);
    // A stream that turns up anyway is refused: nobody waits for it any more.
    const late = await twilio.voice(
      { CallSid: twilioSid(callId), Direction: 'outbound-api', From: NUMBERS.twilio, To: '+14155550202' },
      { query: `?ref=${callId}` },
    );
    assert.match(late.body, /<Reject/);
  });

  test('Twilio: an agent with voicemail detection asks for AMD; a machine is hung up, outcome voicemail', async () => {
    const { store } = t.platform;
    const screener = await store.agents.create(t.workspaceId, {
      name: 'Screened caller',
      publish: true,
      config: { greeting: 'Hello from Acme.', voicemailDetection: true },
    });
    const callId = await place(NUMBERS.twilio, '+14155550209', screener.id);
    const create = await restRequest('Calls.json', (r) => r.form.To === '+14155550209');
    assert.equal(create.form.MachineDetection, 'Enable');
    const answer = await twilio.voice(
      {
        CallSid: twilioSid(callId),
        Direction: 'outbound-api',
        From: NUMBERS.twilio,
        To: '+14155550209',
        AnsweredBy: 'machine_start',
      },
      { query: new URL(String(create.form.Url)).search },
    );
    assert.match(answer.body, /<Hangup\/>/);
    await expectEnded(callId, 'voicemail', 'machine-detected');
    assert.ok(!t.events.some((e) => e.type === 'call.started' && e.callId === callId), 'the agent never ran');
    const plain = await restRequest('Calls.json', (r) => r.form.To === '+14155550201');
    assert.equal(plain.form.MachineDetection, undefined, 'agents without it do not pay for AMD');
  });

  test('Twilio: no stream within the answer timeout → failed, and the call is hung up over REST', async () => {
    const callId = await place(NUMBERS.twilio, '+14155550203');
    await restRequest('Calls.json', (r) => r.form.To === '+14155550203');
    await expectEnded(callId, 'failed', 'connector-error', ANSWER_TIMEOUT_MS + 15_000);
    const row = await t.platform.store.calls.get(t.workspaceId, callId);
    assert.match(row.error ?? '', /no media stream and no final status from the carrier within 5000 ms/);
    const hangup = rest.requests.find(
      (r) => r.path === `/2010-04-01/Accounts/${TWILIO_SID}/Calls/${twilioSid(callId)}.json`,
    );
    assert.deepEqual(hangup?.form, { Status: 'completed' });
  });

  test('Plivo: Call API with our ref → answer URL → stream → the agent greets; socket close ends it', async () => {
    const callId = await place(NUMBERS.plivo, '+14155550188');
    const create = await restRequest('Plivo Call', (r) => (r.json as { to?: string })?.to === '14155550188');
    assert.equal(create.path, `/v1/Account/${PLIVO_ID}/Call/`);
    const body = create.json as { from: string; answer_url: string; hangup_url: string };
    assert.equal(body.from, NUMBERS.plivo.slice(1));
    const answerUrl = new URL(body.answer_url);
    assert.equal(answerUrl.searchParams.get('ref'), callId);
    const callUuid = crypto.randomUUID();
    const answer = await plivo.answer(
      { CallUUID: callUuid, Direction: 'outbound', From: '14155550110', To: '14155550188' },
      { query: answerUrl.search },
    );
    assert.ok(answer.streamUrl, answer.body);
    const stream = await plivo.stream(answer, callUuid);
    stream.sendStart();
    await feedSilenceUntil(stream, 25);
    const ev = await started(callId);
    assert.ok(ev.type === 'call.started' && ev.data.connector === 'plivo');
    stream.close();
    await expectEnded(callId, 'completed', 'callee-hangup');
  });

  test('Plivo: a busy hangup callback ends the call busy; cancelling a ringing call cancels its request', async () => {
    const busyId = await place(NUMBERS.plivo, '+14155550189');
    const create = await restRequest('Plivo Call', (r) => (r.json as { to?: string })?.to === '14155550189');
    const hangupUrl = new URL((create.json as { hangup_url: string }).hangup_url);
    const status = await plivo.hangup(
      {
        CallUUID: crypto.randomUUID(),
        Direction: 'outbound',
        From: '14155550110',
        To: '14155550189',
        CallStatus: 'busy',
        HangupCause: 'USER_BUSY',
      },
      hangupUrl.search,
    );
    assert.equal(status, 204);
    const busy = await endedRow(busyId);
    assert.equal(busy.outcome, 'busy');

    const ringingId = await place(NUMBERS.plivo, '+14155550190');
    await restRequest('Plivo Call', (r) => (r.json as { to?: string })?.to === '14155550190');
    const cancel = await t.platform.app.inject({
      method: 'POST',
      url: `/v1/calls/${ringingId}/cancel`,
      headers: auth,
    });
    assert.equal(cancel.statusCode, 202, cancel.body);
    const row = await endedRow(ringingId);
    assert.equal(row.outcome, 'cancelled');
    await restRequest(
      'the request to be cancelled',
      (r) => r.method === 'DELETE' && r.path === `/v1/Account/${PLIVO_ID}/Request/req-${ringingId}/`,
    );
  });

  test('Telnyx: dial with our ref → the stream it names → the agent greets; stop ends it', async () => {
    const callId = await place(NUMBERS.telnyx, '+14155550211');
    const create = await restRequest(
      'Telnyx dial',
      (r) => r.path === '/v2/calls' && (r.json as { to?: string }).to === '+14155550211',
    );
    const body = create.json as {
      from: string;
      stream_url: string;
      client_state: string;
      connection_id: string;
    };
    assert.equal(body.from, NUMBERS.telnyx);
    assert.equal(body.connection_id, 'conn-1');
    assert.equal(fromBase64(body.client_state), callId);
    const stream = await telnyx.stream(body.stream_url, telnyxId(callId));
    stream.begin();
    await feedSilenceUntil(stream, 25);
    const ev = await started(callId);
    assert.ok(ev.type === 'call.started' && ev.data.connector === 'telnyx');
    stream.sendStop();
    await expectEnded(callId, 'completed', 'callee-hangup');
  });

  /** An agent that screens for answering machines, with or without a message to leave. */
  async function screener(name: string, voicemailMessage?: string): Promise<string> {
    const a = await t.platform.store.agents.create(t.workspaceId, {
      name,
      publish: true,
      config: {
        greeting: 'Hello from Acme.',
        voicemailDetection: true,
        ...(voicemailMessage ? { voicemailMessage } : {}),
      },
    });
    return a.id;
  }

  test('Twilio: an agent with a voicemail message asks DetectMessageEnd; after the beep it leaves it', async () => {
    const message = 'Hi, this is Acme calling about your order.';
    const callId = await place(NUMBERS.twilio, '+14155550210', await screener('Twilio message', message));
    const create = await restRequest('Calls.json', (r) => r.form.To === '+14155550210');
    assert.equal(create.form.MachineDetection, 'DetectMessageEnd');
    const answer = await twilio.voice(
      {
        CallSid: twilioSid(callId),
        Direction: 'outbound-api',
        From: NUMBERS.twilio,
        To: '+14155550210',
        AnsweredBy: 'machine_end_beep',
      },
      { query: new URL(String(create.form.Url)).search },
    );
    assert.match(answer.body, /<Stream/);
    const stream = await twilio.stream(answer, twilioSid(callId));
    stream.begin();
    await feedSilenceUntil(stream, 10);
    await expectEnded(callId, 'voicemail', 'machine-detected');
    const said = t.events.flatMap((e) =>
      e.type === 'transcript.final' && e.callId === callId && e.data.role === 'agent' ? [e.data.text] : [],
    );
    assert.deepEqual(said, [message], 'the message, never the greeting');
  });

  test('Plivo: machine_detection is asked for; Machine=true on the answer URL ends the call voicemail', async () => {
    const callId = await place(NUMBERS.plivo, '+14155550191', await screener('Plivo screener'));
    const create = await restRequest('Plivo Call', (r) => (r.json as { to?: string })?.to === '14155550191');
    const body = create.json as { answer_url: string; machine_detection?: string };
    assert.equal(body.machine_detection, 'true');
    const callUuid = crypto.randomUUID();
    const answer = await plivo.answer(
      { CallUUID: callUuid, Direction: 'outbound', From: '14155550110', To: '14155550191', Machine: 'true' },
      { query: new URL(body.answer_url).search },
    );
    const stream = await plivo.stream(answer, callUuid);
    stream.sendStart();
    await expectEnded(callId, 'voicemail', 'machine-detected');
    assert.ok(
      !t.events.some((e) => e.type === 'transcript.final' && e.callId === callId && e.data.role === 'agent'),
      'the agent said nothing to the machine',
    );
    await restRequest('the REST hang-up', (r) => r.method === 'DELETE' && r.path.includes(callUuid));
  });

  test('Telnyx: answering_machine_detection is asked for; a machine verdict webhook ends the call voicemail', async () => {
    const callId = await place(NUMBERS.telnyx, '+14155550213', await screener('Telnyx screener'));
    const create = await restRequest(
      'Telnyx dial',
      (r) => r.path === '/v2/calls' && (r.json as { to?: string }).to === '+14155550213',
    );
    const body = create.json as { stream_url: string; answering_machine_detection?: string };
    assert.equal(body.answering_machine_detection, 'detect');
    const stream = await telnyx.stream(body.stream_url, telnyxId(callId));
    stream.begin();
    await started(callId);
    const res = await telnyx.webhook('webhook-machine-detection-ended', {
      call_control_id: telnyxId(callId),
      direction: 'outgoing',
      from: NUMBERS.telnyx,
      to: '+14155550213',
      client_state: Buffer.from(callId).toString('base64'),
      result: 'machine',
    });
    assert.equal(res.status, 204);
    await expectEnded(callId, 'voicemail', 'machine-detected');
    assert.ok(
      !t.events.some((e) => e.type === 'transcript.final' && e.callId === callId && e.data.role === 'agent'),
      'the agent said nothing to the machine',
    );
  });

  test('Telnyx: call.hangup with user_busy before the stream ends the call busy', async () => {
    const callId = await place(NUMBERS.telnyx, '+14155550212');
    await restRequest(
      'Telnyx dial',
      (r) => r.path === '/v2/calls' && (r.json as { to?: string }).to === '+14155550212',
    );
    const res = await telnyx.webhook('webhook-call-hangup', {
      call_control_id: telnyxId(callId),
      direction: 'outgoing',
      from: NUMBERS.telnyx,
      to: '+14155550212',
      hangup_cause: 'user_busy',
      sip_hangup_cause: '486',
      client_state: Buffer.from(callId).toString('base64'),
    });
    assert.equal(res.status, 204);
    await expectEnded(callId, 'busy', 'busy');
  });

  test('ARI: originate to the dial endpoint → answered channel gets external media → the agent greets over RTP', async () => {
    const callId = await place(NUMBERS.asterisk, '+14155550221');
    const originate = await waitFor('originate', () =>
      ari.requests.find(
        (r) => r.method === 'POST' && r.path === '/channels' && r.query.callerId === NUMBERS.asterisk,
      ),
    );
    assert.equal(originate.query.endpoint, 'PJSIP/+14155550221@trunk');
    assert.equal(originate.query.app, 'switchboard');
    const channelId = originate.query.channelId ?? '';
    ari.emit({
      type: 'StasisStart',
      args: ['outbound'],
      channel: { id: channelId, state: 'Up', caller: { number: '+14155550221' }, dialplan: { exten: 's' } },
    });
    const ev = await started(callId);
    assert.ok(
      ev.type === 'call.started' && ev.data.connector === 'asterisk' && ev.data.direction === 'outbound',
    );
    assert.ok(ari.find('POST', '/channels/externalMedia'), 'external media back to us');
    await waitFor('the greeting as RTP', () => rtpIn.length >= 25 || undefined);
    assert.ok(
      rtpIn.every((p) => p.length === 12 + 160),
      '20 ms μ-law RTP packets',
    );
    ari.emit({ type: 'StasisEnd', channel: { id: channelId } });
    await expectEnded(callId, 'completed', 'callee-hangup');
  });

  test('ARI: a warm transfer originates the person, plays the summary, bridges them; the call ends transferred', async () => {
    const callId = await place(NUMBERS.asterisk, '+14155550223');
    const originate = await waitFor('originate', () =>
      ari.requests.find(
        (r) => r.method === 'POST' && r.path === '/channels' && r.query.endpoint?.includes('0223'),
      ),
    );
    const caller = originate.query.channelId ?? '';
    ari.emit({
      type: 'StasisStart',
      args: ['outbound'],
      channel: { id: caller, state: 'Up', caller: { number: '+14155550223' }, dialplan: { exten: 's' } },
    });
    await waitFor('the call to be answered', () =>
      t.events.find((e) => e.type === 'call.answered' && e.callId === callId),
    );
    const res = await t.platform.app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: auth,
      payload: { to: '+14155550300', mode: 'warm', summary: 'A caller about order 1042.', hold: 'silence' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const dial = await waitFor('the person to be originated', () =>
      ari.requests.find(
        (r) =>
          r.method === 'POST' && r.path === '/channels' && r.query.endpoint === 'PJSIP/+14155550300@trunk',
      ),
    );
    const person = dial.query.channelId ?? '';
    const before = rtpIn.length;
    ari.emit({
      type: 'StasisStart',
      args: ['outbound'],
      channel: { id: person, state: 'Up', caller: { number: '+14155550300' }, dialplan: { exten: 's' } },
    });
    await waitFor('the person in the caller’s bridge', () =>
      ari.requests.find(
        (r) => r.path === `/bridges/sbbridge-${caller}/addChannel` && r.query.channel === person,
      ),
    );
    assert.ok(rtpIn.length - before >= 25, 'the person heard the summary over RTP first');
    assert.ok(ari.find('POST', `/bridges/sbbridge-${person}/removeChannel`), 'out of their own bridge first');
    await expectEnded(callId, 'transferred', 'transfer');
    const statuses = t.events.flatMap((e) =>
      e.type === 'transfer.status' && e.callId === callId ? [e.data.status] : [],
    );
    assert.deepEqual(statuses, ['attempted', 'answered', 'bridged']);
    ari.emit({ type: 'StasisEnd', channel: { id: person } });
    await waitFor('the caller hung up with the person', () =>
      ari.requests.find((r) => r.method === 'DELETE' && r.path === `/channels/${caller}`),
    );
  });

  test('ARI: a warm transfer to a busy line takes the caller back; the call goes on', async () => {
    const callId = await place(NUMBERS.asterisk, '+14155550224');
    const originate = await waitFor('originate', () =>
      ari.requests.find(
        (r) => r.method === 'POST' && r.path === '/channels' && r.query.endpoint?.includes('0224'),
      ),
    );
    const caller = originate.query.channelId ?? '';
    ari.emit({
      type: 'StasisStart',
      args: ['outbound'],
      channel: { id: caller, state: 'Up', caller: { number: '+14155550224' }, dialplan: { exten: 's' } },
    });
    await waitFor('the call to be answered', () =>
      t.events.find((e) => e.type === 'call.answered' && e.callId === callId),
    );
    const res = await t.platform.app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: auth,
      payload: { target: '+14155550301', mode: 'warm' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const dial = await waitFor('the person to be originated', () =>
      ari.requests.find(
        (r) =>
          r.method === 'POST' && r.path === '/channels' && r.query.endpoint === 'PJSIP/+14155550301@trunk',
      ),
    );
    ari.emit({
      type: 'ChannelDestroyed',
      cause: 17,
      cause_txt: 'User busy',
      channel: { id: dial.query.channelId },
    });
    const failed = await waitFor('the transfer to fail', () =>
      t.events.find((e) => e.type === 'transfer.status' && e.callId === callId && e.data.status === 'failed'),
    );
    assert.equal(failed.type === 'transfer.status' && failed.data.reason, 'busy');
    await waitFor('the agent to say so', () =>
      t.events.find((e) => e.type === 'transcript.final' && e.callId === callId && /busy/.test(e.data.text)),
    );
    ari.emit({ type: 'StasisEnd', channel: { id: caller } });
    await expectEnded(callId, 'completed', 'callee-hangup');
  });

  test('ARI: a channel destroyed busy before it answered ends the call busy', async () => {
    const callId = await place(NUMBERS.asterisk, '+14155550222');
    const originate = await waitFor('originate', () =>
      ari.requests.find(
        (r) => r.method === 'POST' && r.path === '/channels' && r.query.endpoint?.includes('+14155550222'),
      ),
    );
    ari.emit({
      type: 'ChannelDestroyed',
      cause: 17,
      cause_txt: 'User busy',
      channel: { id: originate.query.channelId },
    });
    await expectEnded(callId, 'busy', 'busy');
  });
});

/** A Twilio CallSid derived from our ref (a UUID): CA + 32 hex digits. */
const twilioSid = (ref: string) => `CA${ref.replace(/-/g, '')}`;
const telnyxId = (ref: string) => `v3:${ref}`;
const fromBase64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
