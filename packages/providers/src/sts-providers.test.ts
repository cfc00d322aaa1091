import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findProviderType, type Logger } from '@switchboard/core';
import type { ProviderContext } from '@switchboard/engine';
import { AvrSts } from './avr-sts/avr-sts.js';
import { DeepgramAgent } from './deepgram-agent/deepgram-agent.js';
import { OpenAiRealtime } from './openai-realtime/openai-realtime.js';
import { registerStsProviders } from './sts-providers.js';
import { quietLogger } from './ws/sts-test-kit.js';

const ctx: ProviderContext = {
  callId: 'call-1',
  workspaceId: 'w',
  agentId: 'a',
  language: 'en-US',
  logger: quietLogger as Logger,
};
const build = (type: string, settings: Record<string, unknown>, secret?: string) => {
  const parsed = findProviderType('sts', type)?.settings.parse(settings) ?? settings;
  const builder = registerStsProviders().get('sts', type);
  assert.ok(builder, type);
  return builder({
    ref: 'p',
    settings: parsed,
    ...(secret ? { secret } : {}),
    ctx,
    agentConfig: async () => undefined,
    base: {},
    logger: quietLogger,
  });
};

test('sts providers: each type builds its adapter from validated settings', async () => {
  const oa = await build(
    'openai-realtime',
    { vad: 'semantic_vad', eagerness: 'low', baseUrl: 'ws://127.0.0.1:1/v1/realtime' },
    'sk',
  );
  assert.ok(oa instanceof OpenAiRealtime);
  assert.equal(oa.settings.vad, 'semantic_vad');
  assert.equal(oa.settings.model, 'gpt-realtime');
  assert.equal(oa.settings.baseUrl, 'ws://127.0.0.1:1/v1/realtime');
  const dg = await build('deepgram-agent', { thinkModel: 'gpt-4o' }, 'dg');
  assert.ok(dg instanceof DeepgramAgent);
  assert.equal(dg.settings.thinkModel, 'gpt-4o');
  assert.ok((await build('avr-sts', { url: 'ws://avr-sts:6033' })) instanceof AvrSts);
});

test('sts providers: a keyed type without its key is an auth error', () => {
  assert.throws(() => build('openai-realtime', {}), /no credential/);
});
