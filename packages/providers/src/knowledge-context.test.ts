import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { agentConfigSchema, KNOWLEDGE_SEARCH_TOOL, OutboundGuard, silentLogger } from '@switchboard/core';
import { CallSession, ChatSession, FakeCallLeg } from '@switchboard/engine';
import { MULAW_8K } from '@switchboard/media';
import { registerCascadedProviders } from './cascaded-providers.js';
import { createProviderFactory } from './factory.js';
import { registerStsProviders } from './sts-providers.js';
import { fakeHttpServer, fixture, writeSse } from './util/test-servers.js';
import { FakeWsServer, loadFixture } from './ws/fake-ws-server.js';

/** An OpenAI-compatible model on 127.0.0.1: what reaches it is what a hosted model would see. */
const server = await fakeHttpServer((_req, res) => writeSse(res, fixture('openai/chat-text.sse')));
after(() => server.close());

const LLM_ID = '0b8a3c52-3a3e-4d7c-9a55-2f1f6c1e9d11';
const KB_ID = '6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
const providers = createProviderFactory({
  outbound: new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] }),
  resolveProvider: async (ref) =>
    ref === LLM_ID
      ? {
          kind: 'llm',
          type: 'openai-compatible',
          settings: { baseUrl: `${server.url}/v1`, model: 'gpt-test' },
        }
      : null,
  logger: silentLogger(),
  registry: registerCascadedProviders(),
});

interface WireRequest {
  messages: { role: string; content: string }[];
  tools?: { function: { name: string } }[];
}
const lastRequest = (): WireRequest => JSON.parse(server.requests.at(-1)?.body.toString('utf8') ?? '{}');

const snapshot = (knowledge: Record<string, unknown>) => ({
  agentId: 'agent-1',
  workspaceId: 'ws-1',
  name: 'Front desk',
  version: 1,
  config: agentConfigSchema.parse({
    providers: { asr: ['local:soundswallower'], llm: [LLM_ID], tts: ['local:espeak'] },
    systemPrompt: 'You answer the phone for Bayview Dental.',
    knowledge,
  }),
});

test('a hosted model gets the FAQ in its system message', async () => {
  const chat = await ChatSession.create({
    snapshot: snapshot({ faq: [{ question: 'Do you take walk-ins?', answer: 'Only before ten.' }] }),
    providers,
  });
  await chat.send('Can I just drop by?');
  const body = lastRequest();
  assert.equal(body.messages[0]?.role, 'system');
  assert.match(body.messages[0]?.content ?? '', /^You answer the phone for Bayview Dental\./);
  assert.match(body.messages[0]?.content ?? '', /Q: Do you take walk-ins\?\nA: Only before ten\./);
  assert.equal(body.tools, undefined, 'no knowledge bases: no search tool');
  await chat.close();
});

test('a hosted model gets the passages found for the turn and the knowledge_search tool', async () => {
  const chat = await ChatSession.create({
    snapshot: snapshot({ knowledgeBaseIds: [KB_ID] }),
    providers,
    knowledge: {
      search: async (query) => [
        {
          text: `Whitening costs 300 dollars (asked: ${query}).`,
          source: 'prices.md',
          headingPath: ['Cosmetic'],
          documentId: 'd1',
          chunkId: 'c1',
          position: 0,
          score: 1,
        },
      ],
    },
  });
  await chat.send('How much is whitening?');
  const body = lastRequest();
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ['system', 'system', 'user'],
  );
  assert.match(
    body.messages[1]?.content ?? '',
    /\[1\] prices\.md › Cosmetic\nWhitening costs 300 dollars \(asked: How much is whitening\?\)\./,
  );
  assert.deepEqual(
    body.tools?.map((t) => t.function.name),
    [KNOWLEDGE_SEARCH_TOOL],
  );
  // Nothing but the wire fields goes out: the passages ride on the message for local models only.
  assert.equal((body.messages[1] as unknown as Record<string, unknown>).passages, undefined);
  await chat.close();
});

test('a speech-to-speech model (OpenAI Realtime) gets the FAQ in its instructions and the search tool', async () => {
  const handshake = loadFixture<{ sessionCreated: object; sessionUpdated: object }>(
    'openai-realtime',
    'handshake',
  );
  const realtime = await FakeWsServer.start({
    onConnection: (peer) => {
      peer.send(handshake.sessionCreated);
      peer.socket.on('message', (data: Buffer, binary: boolean) => {
        if (!binary && JSON.parse(data.toString()).type === 'session.update')
          peer.send(handshake.sessionUpdated);
      });
    },
  });
  const STS_ID = '1b8a3c52-3a3e-4d7c-9a55-2f1f6c1e9d12';
  const sts = createProviderFactory({
    outbound: new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] }),
    resolveProvider: async (ref) =>
      ref === STS_ID
        ? {
            kind: 'sts',
            type: 'openai-realtime',
            settings: { baseUrl: `${realtime.url}/v1/realtime` },
            secret: 'sk-test',
            credential: { name: 'openai', allowedHosts: [new URL(realtime.url).host] },
          }
        : null,
    logger: silentLogger(),
    registry: registerStsProviders(),
  });
  const session = new CallSession({
    leg: new FakeCallLeg({ inputFormat: MULAW_8K, outputFormat: MULAW_8K }),
    snapshot: {
      agentId: 'agent-1',
      workspaceId: 'ws-1',
      name: 'Front desk',
      version: 1,
      config: agentConfigSchema.parse({
        mode: 'sts',
        providers: { sts: [STS_ID] },
        systemPrompt: 'You answer the phone for Bayview Dental.',
        knowledge: {
          knowledgeBaseIds: [KB_ID],
          faq: [{ question: 'Do you take walk-ins?', answer: 'Only before ten.' }],
        },
      }),
    },
    providers: sts,
    emit: () => {},
    knowledge: { search: async () => [] },
  });
  const done = session.start();
  const peer = await realtime.waitPeer();
  await peer.until(() => peer.messages('session.update').length > 0);
  const update = peer.messages('session.update')[0] as {
    session: { instructions: string; tools: { name: string }[] };
  };
  assert.match(update.session.instructions, /^You answer the phone for Bayview Dental\./);
  assert.match(update.session.instructions, /Q: Do you take walk-ins\?\nA: Only before ten\./);
  assert.deepEqual(
    update.session.tools.map((t) => t.name),
    [KNOWLEDGE_SEARCH_TOOL],
  );
  session.end('shutdown');
  await done;
  await realtime.close();
});
