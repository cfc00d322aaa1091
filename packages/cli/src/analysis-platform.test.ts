import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebhooksRepo } from '@switchboard/events';
import { startReceiver, type TestReceiver } from '@switchboard/events/testing';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const ACCOUNT = 'AC44444444444444444444444444444444';
const TOKEN = 'twilio-auth-token-for-tests-0002';
const NUMBER = '+15559870044';

/**
 * A Chat Completions server (protocols.md §7.3) that answers every request by calling the
 * analysis tool, streamed as the real service streams tool calls: the arguments in pieces.
 */
function fakeChatCompletions(): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): void }> {
  const bodies: Record<string, unknown>[] = [];
  const args = JSON.stringify({ summary: 'The agent greeted the caller, who hung up.', topic: 'greeting' });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += String(c);
    });
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      chunk({
        role: 'assistant',
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'record_analysis', arguments: '' } },
        ],
      });
      for (const piece of [args.slice(0, 20), args.slice(20)]) {
        chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
      }
      chunk({}, 'tool_calls');
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        bodies,
        close: () => server.close(),
      }),
    ),
  );
}

// Post-call analysis through the whole platform: a phone call ends, the agent's analysis model
// (an OpenAI-compatible provider) fills in the fields, and call.analyzed reaches the webhook.
describe('post-call analysis through the platform', () => {
  let t: TestPlatform;
  let llm: Awaited<ReturnType<typeof fakeChatCompletions>>;
  let receiver: TestReceiver;
  before(async () => {
    llm = await fakeChatCompletions();
    receiver = await startReceiver();
    t = await startTestPlatform({}, { logLevel: 'warn' });
    const { store } = t.platform;
    const { workspaceId } = t;
    const analyst = await store.providers.create(workspaceId, {
      name: 'Analyst',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: llm.url, model: 'gpt-4o-mini' },
    });
    const agent = await store.agents.create(workspaceId, {
      name: 'Analysed receptionist',
      publish: true,
      config: {
        greeting: 'Thanks for calling Acme.',
        analysis: {
          summary: true,
          fields: [{ name: 'topic', type: 'string', description: 'What the call was about.' }],
          llm: [analyst.id],
          instructions: 'Topics are one word.',
        },
      },
    });
    await new WebhooksRepo(store.database.db, store.credentials).create(workspaceId, {
      url: receiver.url,
      eventTypes: ['call.ended', 'call.analyzed'],
    });
    await store.credentials.create(workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(workspaceId, {
      number: NUMBER,
      connector: 'twilio',
      agentId: agent.id,
    });
  });
  after(async () => {
    await t?.close();
    llm?.close();
    await receiver?.close();
  });

  test('the call ends, the model is asked with the transcript, call.analyzed is delivered and readable', async () => {
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: NUMBER, CallSid: 'CA55555555555555555555555555555555' });
    assert.ok(answer.streamUrl, answer.body);
    const stream = await twilio.stream(answer, 'CA55555555555555555555555555555555');
    stream.begin();
    await feedSilenceUntil(stream, 25, 10_000);
    stream.sendStop();

    const typeOf = (r: { json: unknown }) => (r.json as { type: string }).type;
    const analyzed = await waitFor(
      'call.analyzed',
      () => receiver.received.find((r) => typeOf(r) === 'call.analyzed'),
      10_000,
    ).catch(() => undefined);
    assert.ok(analyzed, `call.analyzed delivered (got ${receiver.received.map(typeOf).join(', ')})`);
    const ended = receiver.received.findIndex((r) => typeOf(r) === 'call.ended');
    assert.ok(ended >= 0 && ended < receiver.received.indexOf(analyzed), 'call.ended comes first');
    const event = analyzed.json as { data: Record<string, unknown> & { callId: string } };
    assert.equal(event.data.summary, 'The agent greeted the caller, who hung up.');
    assert.deepEqual(event.data.fields, { topic: 'greeting' });

    const request = llm.bodies[0] as { model: string; messages: { content: string }[]; tools: unknown[] };
    assert.equal(request.model, 'gpt-4o-mini');
    assert.match(request.messages[0]!.content, /Topics are one word\./);
    assert.match(request.messages[1]!.content, /Agent: Thanks for calling Acme\./);
    assert.equal(request.tools.length, 1);

    const key = await t.platform.store.apiKeys.create(t.workspaceId, { name: 'reader', role: 'viewer' });
    const got = await t.platform.app.inject({
      method: 'GET',
      url: `/v1/calls/${event.data.callId}/analysis`,
      headers: { authorization: `Bearer ${key.key}` },
    });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json().status, 'done');
    assert.deepEqual(got.json().fields, { topic: 'greeting' });
    assert.equal(got.json().attempts, 1);
  });
});
