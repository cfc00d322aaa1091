import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { agentConfigSchema, silentLogger } from '@switchboard/core';
import { openTestStore } from '@switchboard/store/testing';
import { assistantChanges, toAssistant } from './assistant.js';
import { VapiClient, VapiError } from './client.js';
import { FakeVapi } from './fake-vapi.js';
import {
  endedReasonOf,
  reportRecordingUrl,
  reportTranscript,
  vapiCallId,
  verifyVapiMessage,
} from './server-messages.js';
import { VapiSync } from './sync.js';

const noRetry = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 };

describe('Vapi client against the fake Vapi', () => {
  let vapi: FakeVapi;
  before(async () => {
    vapi = await FakeVapi.start();
  });
  after(() => vapi.close());

  test('settings checks name what failed: the key, the answer, reaching Vapi', async () => {
    const store = await openTestStore();
    try {
      const sync = (baseUrl: string) =>
        new VapiSync({
          vapi: store.vapi,
          agents: store.agents,
          baseUrl,
          publicUrl: 'https://voice.example.com',
          logger: silentLogger(),
          retry: noRetry,
        });
      assert.deepEqual(await sync(vapi.url).validate(vapi.privateKey), { ok: true });
      const auth = await sync(vapi.url).validate('wrong-key-0123456789');
      assert.equal(auth.ok || auth.check, 'auth');
      // A URL that is not Vapi's API answers 404 for the route.
      const api = await sync(`${vapi.url}/not-vapi`).validate(vapi.privateKey);
      assert.equal(api.ok || api.check, 'api');
      const closed = await FakeVapi.start();
      const url = closed.url;
      await closed.close();
      const connect = await sync(url).validate(vapi.privateKey);
      assert.equal(connect.ok || connect.check, 'connect');
    } finally {
      await store.close();
    }
  });

  test('a sync already running in another process is not started twice', async () => {
    const store = await openTestStore();
    try {
      const ws = await store.accounts.createWorkspace('Vapi lease');
      await store.vapi.saveSettings(ws.id, { privateKey: vapi.privateKey });
      const agent = await store.agents.create(ws.id, { name: 'Leased', runOnVapi: true, publish: true });
      const sync = new VapiSync({
        vapi: store.vapi,
        agents: store.agents,
        baseUrl: vapi.url,
        publicUrl: 'https://voice.example.com',
        logger: silentLogger(),
        retry: noRetry,
      });
      await store.vapi.markPending(ws.id, agent.id, true);
      // The other process holds the lease.
      assert.equal(await store.vapi.takeLease(agent.id, 60_000), true);
      const before = vapi.assistantWrites().length;
      const r = await sync.syncAgent(ws.id, agent.id);
      assert.deepEqual([r.ok, r.state], [false, 'pending']);
      assert.match(r.error!, /another process/);
      assert.equal(vapi.assistantWrites().length, before, 'Vapi was not asked');
      await store.vapi.releaseLease(agent.id);
      const done = await sync.syncAgent(ws.id, agent.id);
      assert.deepEqual([done.ok, done.state, done.operation], [true, 'synced', 'created']);
      assert.equal(await store.vapi.takeLease(agent.id, 60_000), true, 'the sync gave the lease back');
    } finally {
      await store.close();
    }
  });

  test('a 5xx is retried, a 400 is final and carries Vapi’s message', async () => {
    let failures = 1;
    vapi.fail = (r) => (r.method === 'POST' && failures-- > 0 ? 503 : undefined);
    const client = new VapiClient({
      baseUrl: vapi.url,
      privateKey: vapi.privateKey,
      logger: silentLogger(),
      requestId: 'req-7',
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const before = vapi.requests.length;
    const created = await client.createAssistant({ name: 'retried' });
    assert.ok(created.id);
    assert.equal(vapi.requests.length - before, 2);
    assert.ok(vapi.requests.slice(before).every((r) => r.headers['x-request-id'] === 'req-7'));

    vapi.fail = () => 400;
    await assert.rejects(client.createAssistant({ name: 'refused' }), (e: unknown) => {
      assert.ok(e instanceof VapiError);
      assert.equal(e.status, 400);
      assert.match(e.message, /model\.provider must be one of/);
      return true;
    });
    vapi.fail = undefined;
    // Deleting what Vapi no longer has is not an error.
    await client.deleteAssistant('00000000-0000-4000-8000-000000000000');
  });
});

describe('assistant body', () => {
  const snapshot = (over: Record<string, unknown>) => ({
    agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
    workspaceId: '3c9e1f0a-6b2d-4e8f-9a7c-1d2e3f4a5b6c',
    name: 'A front desk agent with a rather long name indeed',
    version: 2,
    config: agentConfigSchema.parse(over),
  });
  const target = { serverUrl: 'https://voice.example.com/v1/vapi/events/x', serverSecret: 's3cr3t' };

  test('maps prompt, FAQ, greeting, language and the tools Vapi has', () => {
    const body = toAssistant(
      snapshot({
        greeting: 'Hello.',
        language: 'de-DE',
        knowledge: { faq: [{ question: 'Open?', answer: 'Weekdays.' }] },
        tools: [
          { type: 'end_call' },
          { type: 'transfer', destinations: [{ label: 'Desk', target: '+15550100' }] },
          { type: 'http', name: 'book', description: 'Book', url: 'https://api.example.com/book' },
        ],
      }),
      target,
    );
    assert.equal((body.name as string).length, 40);
    assert.equal(body.firstMessage, 'Hello.');
    assert.deepEqual(body.transcriber, { provider: 'deepgram', model: 'nova-3', language: 'de' });
    const model = body.model as { messages: { content: string }[]; tools: { type: string }[] };
    assert.match(model.messages[0]!.content, /Q: Open\?\nA: Weekdays\./);
    assert.deepEqual(
      model.tools.map((t) => t.type),
      ['endCall', 'transferCall'],
    );
    assert.deepEqual(body.server, {
      url: target.serverUrl,
      headers: { 'x-vapi-secret': 's3cr3t' },
    });
  });

  test('an update carries only the changed fields, and null for a removed one', () => {
    const a = toAssistant(snapshot({ greeting: 'Hello.', goodbyeMessage: 'Bye.' }), target);
    const b = toAssistant(snapshot({ greeting: 'Hi.' }), target);
    assert.deepEqual(assistantChanges(a, b), { firstMessage: 'Hi.', endCallMessage: null });
    assert.deepEqual(assistantChanges(a, a), {});
  });
});

describe('server messages', () => {
  test('the secret header or an HMAC of the raw body, nothing else', () => {
    const body = '{"message":{"type":"status-update"}}';
    const sig = createHmac('sha256', 'k').update(body).digest('hex');
    assert.ok(verifyVapiMessage({ 'x-vapi-secret': 'k' }, body, 'k'));
    assert.ok(!verifyVapiMessage({ 'x-vapi-secret': 'kk' }, body, 'k'));
    assert.ok(verifyVapiMessage({ 'x-vapi-signature': sig }, body, 'k'));
    assert.ok(verifyVapiMessage({ 'x-vapi-signature': `sha256=${sig}` }, body, 'k'));
    assert.ok(!verifyVapiMessage({ 'x-vapi-signature': sig }, `${body} `, 'k'));
    assert.ok(!verifyVapiMessage({}, body, 'k'));
  });

  test('one Vapi call is one of our call ids, per workspace', () => {
    const id = vapiCallId('w1', 'c1');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(vapiCallId('w1', 'c1'), id);
    assert.notEqual(vapiCallId('w2', 'c1'), id);
  });

  test('ended reasons: known ones mapped, errors failed, unknown kept verbatim', () => {
    assert.deepEqual(endedReasonOf('customer-ended-call', 'outbound'), {
      outcome: 'completed',
      endedReason: 'callee-hangup',
    });
    assert.deepEqual(endedReasonOf('customer-busy', 'outbound'), { outcome: 'busy', endedReason: 'busy' });
    assert.deepEqual(endedReasonOf('voicemail', 'outbound'), {
      outcome: 'voicemail',
      endedReason: 'machine-detected',
    });
    const err = endedReasonOf('pipeline-error-openai-llm-failed', 'inbound');
    assert.equal(err.outcome, 'failed');
    assert.equal(err.endedReason, 'pipeline-error-openai-llm-failed');
    assert.equal(
      endedReasonOf('twilio-reported-something-new', 'inbound').endedReason,
      'twilio-reported-something-new',
    );
  });

  test('reports: the nested artifact and the older top-level fields', () => {
    assert.equal(
      reportRecordingUrl({ artifact: { recording: { mono: { combinedUrl: 'https://r/m.wav' } } } }),
      'https://r/m.wav',
    );
    assert.equal(reportRecordingUrl({ recordingUrl: 'https://r/old.wav' }), 'https://r/old.wav');
    assert.deepEqual(reportTranscript({ transcript: 'AI: Hello.\nUser: Hi there.' }), [
      { role: 'agent', text: 'Hello.', startMs: 0 },
      { role: 'caller', text: 'Hi there.', startMs: 0 },
    ]);
    assert.deepEqual(
      reportTranscript({
        artifact: { messages: [{ role: 'user', message: 'Hi', secondsFromStart: 1.5, duration: 400 }] },
      }),
      [{ role: 'caller', text: 'Hi', startMs: 1500, endMs: 1900 }],
    );
  });
});
