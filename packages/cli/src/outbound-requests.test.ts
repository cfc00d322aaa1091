import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const ACCOUNT = 'AC44444444444444444444444444444444';
const TOKEN = 'twilio-auth-token-for-tests-0044';

/** Records whatever reaches it, on any path; nothing a member aims should ever arrive here. */
async function captureServer() {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A Chat Completions stand-in the operator allowed by host:port: it asks for the `lookup` tool
 * once, then answers in text, so a test chat runs the agent's HTTP tool.
 */
async function toolCallingModel() {
  const sse = (chunks: unknown[]) =>
    `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const toolAnswered = /"role":"tool"/.test(body);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        toolAnswered
          ? sse([chunk({ role: 'assistant', content: 'The lookup failed.' }), chunk({}, 'stop')])
          : sse([
              chunk({
                role: 'assistant',
                tool_calls: [
                  { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } },
                ],
              }),
              chunk({}, 'tool_calls'),
            ]),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// The class of bug behind "a member can read any workspace secret": every feature through which an
// API user makes the server send a request, aimed by a member at an address the operator did not
// allow (loopback, here), must send nothing and answer a clear 4xx or a result code, never a 500.
// The platform runs with the production default (no private networks), except the model stand-in,
// which the operator allowed by host:port.
describe('every outbound request a member can cause goes only to allowed hosts', () => {
  let t: TestPlatform;
  let capture: Awaited<ReturnType<typeof captureServer>>;
  let model: Awaited<ReturnType<typeof toolCallingModel>>;
  const logs: string[] = [];
  let memberKey: string;
  let adminKey: string;
  let at: (path: string) => string;

  before(async () => {
    capture = await captureServer();
    model = await toolCallingModel();
    // A name, not an IP: the API cannot refuse it when saved, so the connection-time check must.
    at = (path) => `http://localhost:${capture.port}${path}`;
    t = await startTestPlatform(
      { OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${model.port}` },
      { logLevel: 'warn', logs },
    );
    const { store } = t.platform;
    memberKey = (await store.apiKeys.create(t.workspaceId, { name: 'member', role: 'member' })).key;
    adminKey = (await store.apiKeys.create(t.workspaceId, { name: 'admin', role: 'admin' })).key;
  });
  after(async () => {
    await t?.close();
    await capture?.close();
    await model?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = memberKey) =>
    t.platform.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });

  const provider = async (body: Record<string, unknown>) => {
    const res = await api('POST', '/v1/providers', { name: `p-${Math.random()}`, ...body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };

  test('provider test: HTTP, WebSocket and raw TCP endpoints are refused with a result code', async () => {
    for (const body of [
      { kind: 'llm', type: 'avr-llm', settings: { url: at('/llm') } },
      { kind: 'sts', type: 'avr-sts', settings: { url: `ws://localhost:${capture.port}/sts` } },
      { kind: 'asr', type: 'wyoming', settings: { host: 'localhost', port: capture.port } },
    ]) {
      const id = await provider(body);
      const res = await api('POST', `/v1/providers/${id}/test`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().code, 'not_allowed', `${body.type}: ${res.body}`);
      assert.match(res.json().message, /OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    }
    assert.deepEqual(capture.seen, []);
  });

  test('provider settings: an IP address the server does not reach is a 400 naming the setting', async () => {
    for (const [settings, path] of [
      [{ url: `http://127.0.0.1:${capture.port}/llm` }, 'body.settings.url'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'body.settings.url'],
      [{ url: 'http://[::ffff:127.0.0.1]/' }, 'body.settings.url'],
    ] as const) {
      const res = await api('POST', '/v1/providers', { name: 'x', kind: 'llm', type: 'avr-llm', settings });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'validation_failed');
      assert.equal(res.json().error.details[0].path, path);
    }
  });

  test('a provider used in a test chat: refused, a 422 in our words', async () => {
    const llm = await provider({ kind: 'llm', type: 'avr-llm', settings: { url: at('/llm') } });
    const agent = await api('POST', '/v1/agents', {
      name: 'aims its model at loopback',
      publish: true,
      config: { providers: { asr: ['local:pocketsphinx'], llm: [llm], tts: ['local:espeak'] } },
    });
    assert.equal(agent.statusCode, 201, agent.body);
    const chat = await api('POST', `/v1/agents/${agent.json().id}/test-chat`, { message: 'hello' });
    assert.equal(chat.statusCode, 422, chat.body);
    assert.match(chat.json().error.message, /OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    assert.deepEqual(capture.seen, []);
  });

  test('an HTTP tool run from a test chat: a failed tool call, nothing sent', async () => {
    const llm = await provider({
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: `http://127.0.0.1:${model.port}/v1`, model: 'm' },
    });
    const agent = await api('POST', '/v1/agents', {
      name: 'tool at loopback',
      publish: true,
      config: {
        providers: { asr: ['local:pocketsphinx'], llm: [llm], tts: ['local:espeak'] },
        tools: [{ type: 'http', name: 'lookup', description: 'Look something up', url: at('/tool') }],
      },
    });
    assert.equal(agent.statusCode, 201, agent.body);
    const chat = await api('POST', `/v1/agents/${agent.json().id}/test-chat`, { message: 'look it up' });
    assert.equal(chat.statusCode, 200, chat.body);
    const call = chat.json().toolCalls[0];
    assert.equal(call.name, 'lookup');
    assert.equal(call.ok, false);
    assert.match(JSON.stringify(call.result), /refused/);
    assert.deepEqual(capture.seen, []);
  });

  test('webhooks, agent webhookUrl and configUrl of a real call: nothing sent, the call goes on', async () => {
    // Workspace webhooks are an admin's; a member's attempt is a 403 before anything else.
    const hook = { url: at('/workspace-hook'), eventTypes: ['call.ended'] };
    assert.equal((await api('POST', '/v1/webhooks', hook)).statusCode, 403);
    const adminHook = await api('POST', '/v1/webhooks', hook, adminKey);
    assert.equal(adminHook.statusCode, 201, adminHook.body);

    // The demo agent (offline voice stack), edited by the member to report to loopback.
    const edited = await api('PATCH', `/v1/agents/${t.demoAgentId}`, {
      config: { webhookUrl: at('/agent-hook'), configUrl: at('/config') },
    });
    assert.equal(edited.statusCode, 200, edited.body);
    const published = await api('POST', `/v1/agents/${t.demoAgentId}/publish`, {});
    assert.equal(published.statusCode, 201, published.body);
    const { store } = t.platform;
    await store.credentials.create(t.workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(t.workspaceId, {
      number: '+15559870044',
      connector: 'twilio',
      agentId: t.demoAgentId,
    });
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: '+15559870044', CallSid: 'CA44444444444444444444444444444444' });
    assert.equal(answer.status, 200, answer.body);
    const stream = await twilio.stream(answer, 'CA44444444444444444444444444444444');
    stream.begin();
    await feedSilenceUntil(stream, 10, 10_000);
    stream.sendStop();
    await waitFor('call.ended', () => t.events.find((e) => e.type === 'call.ended'), 10_000);

    const lines = () => logs.map((l) => JSON.parse(l) as { msg: string; target?: string; error?: string });
    const config = await waitFor('the config URL failure', () =>
      lines().find((l) => l.msg.startsWith('per-call config failed')),
    );
    assert.match(config.error ?? '', /config URL refused: .*OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    // Deliveries are dead-lettered on their first attempt: a refused target is refused on every retry.
    const dead = await waitFor('a dead-lettered delivery to the agent webhookUrl', () =>
      lines().find((l) => l.msg === 'delivery dead-lettered' && l.target === 'agent'),
    );
    assert.match(dead.error ?? '', /OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    const workspaceHook = await waitFor('the workspace webhook delivery to be dead', async () => {
      const r = await api('GET', `/v1/webhooks/${adminHook.json().id}/deliveries`, undefined, adminKey);
      const first = r.json().data[0] as { status: string; attempts: number; lastError: string } | undefined;
      return first?.status === 'dead' ? first : undefined;
    });
    assert.equal(workspaceHook.attempts, 1);
    assert.match(workspaceHook.lastError, /OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    assert.deepEqual(capture.seen, []);
  });
});
