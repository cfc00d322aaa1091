import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeRestServer, ScriptedPlivo, ScriptedTelnyx } from '@switchboard/telephony';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const PLIVO_ID = 'MAINBOUNDTEST0000001';
const PLIVO_TOKEN = 'plivo-auth-token-for-tests-0001';
const PLIVO_NUMBER = '+14155550199';
const TELNYX_NUMBER = '+15559870003';
const CCID = 'v3:inbound-telnyx-call-0001';

// The whole platform behind Plivo Audio Streams and Telnyx media streaming: a number on each
// carrier routes to the demo agent, which greets the caller over the media socket in μ-law.
describe('Plivo and Telnyx calls through the platform', () => {
  let t: TestPlatform;
  let rest: FakeRestServer;
  let plivo: ScriptedPlivo;
  let telnyx: ScriptedTelnyx;

  before(async () => {
    rest = await FakeRestServer.start();
    t = await startTestPlatform({}, { outbound: { apiUrls: { plivo: rest.url, telnyx: rest.url } } });
    const { appUrl } = t;
    plivo = new ScriptedPlivo({ appUrl, publicUrl: t.publicUrl, authId: PLIVO_ID, authToken: PLIVO_TOKEN });
    telnyx = new ScriptedTelnyx({ appUrl });
    const { store } = t.platform;
    const { workspaceId, demoAgentId: demo } = t;
    await store.credentials.create(workspaceId, { name: `plivo:${PLIVO_ID}`, value: PLIVO_TOKEN });
    await store.credentials.create(workspaceId, {
      name: 'telnyx',
      value: JSON.stringify({ apiKey: 'KEY-telnyx', publicKey: telnyx.publicKey, connectionId: 'conn-1' }),
    });
    await store.phoneNumbers.create(workspaceId, { number: PLIVO_NUMBER, connector: 'plivo', agentId: demo });
    await store.phoneNumbers.create(workspaceId, {
      number: TELNYX_NUMBER,
      connector: 'telnyx',
      agentId: demo,
    });
  });

  after(async () => {
    await t?.close();
    await rest?.close();
  });

  const ended = (connector: string) =>
    waitFor('call.ended', () => {
      const started = t.events.find((e) => e.type === 'call.started' && e.data.connector === connector);
      return started && t.events.find((e) => e.type === 'call.ended' && e.callId === started.callId);
    });

  test('Plivo: signed answer → <Stream> → the agent greets in μ-law; caller hangup; unknown numbers are refused', async () => {
    const unknown = await plivo.answer({ To: '14155550777' });
    assert.equal(unknown.status, 403, 'no account owns the number, so nothing can verify the webhook');
    const forged = await plivo.answer({}, { sign: false });
    assert.equal(forged.status, 403);
    assert.equal(t.events.length, 0);

    const callUuid = crypto.randomUUID();
    const answer = await plivo.answer({ CallUUID: callUuid, From: '14155550100', To: PLIVO_NUMBER.slice(1) });
    assert.equal(answer.status, 200, answer.body);
    assert.ok(answer.streamUrl, answer.body);
    const stream = await plivo.stream(answer, callUuid);
    stream.sendStart();
    await feedSilenceUntil(stream, 50);
    assert.ok(
      stream.mediaReceived().every((m) => m.length === 160),
      '20 ms μ-law frames',
    );
    // Plivo documents no stop message: the caller hanging up closes the socket.
    stream.close();
    const end = await ended('plivo');
    assert.ok(end.type === 'call.ended');
    assert.equal(end.data.endedReason, 'caller-hangup');
    const started = t.events.find((e) => e.type === 'call.started' && e.data.connector === 'plivo');
    assert.ok(started?.type === 'call.started' && started.data.direction === 'inbound');
  });

  test('Telnyx: signed call.initiated → answer with a stream → the agent greets; caller hangup; unknown numbers are refused', async () => {
    const unknown = await telnyx.webhook('webhook-call-initiated', {
      to: '+15559870777',
      call_control_id: 'v3:x',
    });
    assert.equal(unknown.status, 403, 'no account owns the number, so nothing can verify the webhook');
    const forged = await telnyx.webhook('webhook-call-initiated', { to: TELNYX_NUMBER }, { sign: false });
    assert.equal(forged.status, 403);
    assert.equal(rest.requests.length, 0, 'nothing was answered');

    const res = await telnyx.webhook('webhook-call-initiated', { to: TELNYX_NUMBER, call_control_id: CCID });
    assert.equal(res.status, 204);
    const answer = rest.requests.find(
      (r) => r.path === `/v2/calls/${encodeURIComponent(CCID)}/actions/answer`,
    );
    assert.ok(answer, 'answered over Call Control');
    assert.equal(answer.headers.authorization, 'Bearer KEY-telnyx');
    const streamUrl = String((answer.json as { stream_url?: string }).stream_url);
    const stream = await telnyx.stream(streamUrl, CCID);
    stream.begin();
    await feedSilenceUntil(stream, 50);
    stream.sendStop();
    const end = await ended('telnyx');
    assert.ok(end.type === 'call.ended');
    assert.equal(end.data.endedReason, 'caller-hangup');
  });

  test('Telnyx: a number whose agent is not published is rejected over Call Control', async () => {
    const { store } = t.platform;
    const { workspaceId } = t;
    // A number of the account whose agent was never published: it verifies, but nothing answers.
    const draft = await store.agents.create(workspaceId, { name: 'Draft', config: { systemPrompt: 'x' } });
    await store.phoneNumbers.create(workspaceId, {
      number: '+15559870004',
      connector: 'telnyx',
      agentId: draft.id,
    });
    rest.requests.length = 0;
    const res = await telnyx.webhook('webhook-call-initiated', {
      to: '+15559870004',
      call_control_id: 'v3:stray',
    });
    assert.equal(res.status, 204);
    assert.deepEqual(
      rest.requests.map((r) => [r.path, r.json]),
      [['/v2/calls/v3%3Astray/actions/reject', { cause: 'CALL_REJECTED' }]],
    );
  });
});
