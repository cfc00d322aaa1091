import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentConfigSchema, OutboundGuard, silentLogger } from '@switchboard/core';
import { FakeLlm, FakeTts, isProviderError, type ProviderContext, ProviderError } from '@switchboard/engine';
import { createProviderFactory, type ResolvedProvider } from './factory.js';
import { AnswererLlm } from './local-answerer/answerer-llm.js';
import { EspeakTts } from './local-espeak/espeak-tts.js';
import { FliteTts } from './local-flite/flite-tts.js';
import { PocketsphinxAsr } from './local-pocketsphinx/pocketsphinx-asr.js';
import { registerLocalProviders } from './local-providers.js';
import type { BuildArgs } from './registry.js';

/** These tests build local providers and stand-ins only; no connection is checked against a network. */
const outbound = new OutboundGuard({ allowPrivateNetworks: true, allowedHosts: [] });

const ctx: ProviderContext = {
  callId: 'call-1',
  workspaceId: 'ws-1',
  agentId: 'agent-1',
  language: 'en-US',
  logger: silentLogger(),
};
const ID = '0b8a3c52-3a3e-4d7c-9a55-2f1f6c1e9d11';
const config = agentConfigSchema.parse({
  tools: [{ type: 'end_call' }],
  knowledge: { faq: [{ question: 'What are your opening hours?', answer: 'Nine to five.' }] },
});

function factory(rows: Record<string, ResolvedProvider> = {}) {
  return createProviderFactory({
    outbound,
    resolveProvider: async (ref) => rows[ref] ?? null,
    getAgentConfig: async (agentId) => (agentId === 'agent-1' ? config : undefined),
    logger: silentLogger(),
  });
}

const rejectsWith = (p: Promise<unknown>, re: RegExp, retryable = false) =>
  assert.rejects(p, (e: unknown) => isProviderError(e) && re.test(e.message) && e.retryable === retryable);

describe('createProviderFactory', () => {
  it('maps local references to the local providers', async () => {
    const f = factory();
    assert.ok((await f.tts('local:espeak', ctx)) instanceof EspeakTts);
    assert.ok((await f.tts('local:flite', ctx)) instanceof FliteTts);
    assert.ok((await f.asr('local:pocketsphinx', ctx)) instanceof PocketsphinxAsr);
    assert.ok((await f.llm('local:answerer', ctx)) instanceof AnswererLlm);
  });

  it("gives the answerer the agent's knowledge", async () => {
    const llm = (await factory().llm('local:answerer', ctx)) as AnswererLlm;
    assert.equal(llm.answer('when are you open').text, 'Nine to five.');
    assert.equal(llm.answer('bye').endCall, true);
  });

  it('prefers an agent config carried on the context', async () => {
    const own = agentConfigSchema.parse({
      knowledge: { faq: [{ question: 'Parking?', answer: 'Behind us.' }] },
    });
    const llm = (await factory().llm('local:answerer', {
      ...ctx,
      config: own,
    } as ProviderContext)) as AnswererLlm;
    assert.equal(llm.answer('is there parking').text, 'Behind us.');
  });

  it('fails clearly when the answerer cannot get the agent document', async () => {
    await rejectsWith(
      Promise.resolve(factory().llm('local:answerer', { ...ctx, agentId: 'other' })),
      /agent document/,
    );
  });

  it('uses the agent voice, then the stored settings', async () => {
    const f = factory({ [ID]: { kind: 'tts', type: 'flite', settings: { voice: 'kal' } } });
    assert.equal(((await f.tts(ID, ctx)) as FliteTts).voice, 'kal');
    assert.equal(((await f.tts(ID, { ...ctx, voice: 'awb' })) as FliteTts).voice, 'awb');
    assert.equal(
      await ((await f.tts('local:espeak', { ...ctx, voice: 'de' })) as EspeakTts).voiceName(),
      'de',
    );
  });

  it('errors clearly on unknown types, references and kinds', async () => {
    const f = factory({
      [ID]: { kind: 'tts', type: 'elevenlabs', settings: { voiceId: 'v1' }, secret: 'sk-test' },
    });
    await rejectsWith(
      Promise.resolve(f.tts(ID, ctx)),
      /^provider type elevenlabs is not available in this build$/,
    );
    await rejectsWith(Promise.resolve(f.tts('local:nope', ctx)), /provider type nope is not available/);
    await rejectsWith(Promise.resolve(f.sts('local:espeak', ctx)), /provider type espeak is not available/);
    await rejectsWith(Promise.resolve(f.llm(ID, ctx)), /is a tts provider, not llm/);
    await rejectsWith(Promise.resolve(f.tts('9c0c1b55-0000-4000-8000-000000000000', ctx)), /not found/);
    await rejectsWith(Promise.resolve(f.tts('espeak', ctx)), /neither a provider id nor local/);
  });

  it('validates stored settings and credentials, naming the field', async () => {
    const rows: Record<string, ResolvedProvider> = {
      [ID]: { kind: 'tts', type: 'espeak', settings: { voice: 7 } },
      '1b8a3c52-3a3e-4d7c-9a55-2f1f6c1e9d11': { kind: 'tts', type: 'elevenlabs', settings: { voiceId: 'v' } },
    };
    const f = createProviderFactory({
      outbound,
      resolveProvider: async (ref) => rows[ref] ?? null,
      logger: silentLogger(),
      registry: registerLocalProviders().register('tts', 'elevenlabs', () => new FakeTts()),
    });
    await rejectsWith(Promise.resolve(f.tts(ID, ctx)), /settings\.voice/);
    await rejectsWith(Promise.resolve(f.tts('1b8a3c52-3a3e-4d7c-9a55-2f1f6c1e9d11', ctx)), /no credential/);
  });

  it('reports a failed lookup as retryable', async () => {
    const f = createProviderFactory({
      outbound,
      resolveProvider: async () => {
        throw new Error('connection refused');
      },
      logger: silentLogger(),
    });
    await rejectsWith(Promise.resolve(f.tts(ID, ctx)), /connection refused/, true);
  });

  it('builds adapters registered later, with settings and secret', async () => {
    const seen: unknown[] = [];
    const registry = registerLocalProviders().register('tts', 'elevenlabs', ({ settings, secret }) => {
      seen.push({ settings, secret });
      return new FakeTts({ name: 'elevenlabs' });
    });
    const f = createProviderFactory({
      outbound,
      resolveProvider: async () => ({
        kind: 'tts',
        type: 'elevenlabs',
        settings: { voiceId: 'v1' },
        secret: 's',
      }),
      logger: silentLogger(),
      registry,
    });
    assert.equal((await f.tts(ID, ctx)).name, 'elevenlabs');
    assert.deepEqual(seen, [{ settings: { voiceId: 'v1', model: 'eleven_flash_v2_5' }, secret: 's' }]);
    assert.throws(() => registry.register('tts', 'espeak', () => new FakeTts()), /already registered/);
  });

  it('refuses at use a provider whose endpoint is outside its credential hosts, however it was saved', async () => {
    const built: BuildArgs[] = [];
    const registry = registerLocalProviders().register('llm', 'openai-compatible', (args) => {
      built.push(args);
      return new FakeLlm();
    });
    let allowedHosts: string[] = [];
    const f = createProviderFactory({
      outbound,
      resolveProvider: async () => ({
        kind: 'llm',
        type: 'openai-compatible',
        settings: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm' },
        secret: 'sk-admin-secret',
        credential: { name: 'OpenAI', allowedHosts },
      }),
      logger: silentLogger(),
      registry,
    });
    await rejectsWith(
      Promise.resolve(f.llm(ID, ctx)),
      /settings\.baseUrl: 127\.0\.0\.1:9 is not an allowed host for credential "OpenAI"; an admin can add it/,
    );
    assert.equal(built.length, 0, 'nothing is built, so nothing connects');

    // Once an admin allows the host, the provider is built with a guard pinned to the allowed hosts.
    allowedHosts = ['127.0.0.1:9'];
    await f.llm(ID, ctx);
    const guard = built[0]?.base.outbound;
    assert.ok(guard);
    assert.doesNotThrow(() => guard.checkUrl('http://127.0.0.1:9/v1/chat/completions'));
    assert.doesNotThrow(() => guard.checkUrl('https://api.openai.com/v1/chat/completions'));
    assert.throws(
      () => guard.checkUrl('https://collector.example/v1'),
      /not an allowed host for credential "OpenAI"/,
    );
  });

  it('never throws anything but ProviderError', async () => {
    const f = createProviderFactory({
      outbound,
      resolveProvider: async () => {
        throw new ProviderError('unavailable', 'store down');
      },
      logger: silentLogger(),
    });
    await rejectsWith(Promise.resolve(f.asr(ID, ctx)), /store down/, true);
  });
});
