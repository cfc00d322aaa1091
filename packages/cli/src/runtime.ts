import { CallEventBus, type Config, type Logger, type OutboundGuard } from '@switchboard/core';
import type { ProviderFactory } from '@switchboard/engine';
import {
  createEmbedderFactory,
  createProviderFactory,
  createProviderTester,
  localVadFactory,
  ModelLocator,
  type ResolvedProvider,
  registerCascadedProviders,
  registerLocalProviders,
  registerStsProviders,
} from '@switchboard/providers';
import {
  CallRunner,
  type EmbedderFor,
  KnowledgeEmbedding,
  LocalNonces,
  type RedisCallDirectory,
  RedisNonces,
  TalkTokens,
} from '@switchboard/server';
import { resolveStoredProvider, type Store } from '@switchboard/store';
import type { Redis } from 'ioredis';

export interface CallRuntime {
  /** `POST /v1/providers/{id}/test`: checks a provider's credentials against its service. */
  providerTester: (
    workspaceId: string,
    providerId: string,
  ) => Promise<import('@switchboard/providers').ProviderTestResult>;
  bus: CallEventBus;
  providers: ProviderFactory;
  runner: CallRunner;
  tokens: TalkTokens;
  /** Which process runs each live call, with `REDIS_URL`. */
  directory?: RedisCallDirectory;
  /** Knowledge bases' embeddings endpoints and their background embedder. */
  knowledge: { embedderFor: EmbedderFor; embedding: KnowledgeEmbedding };
}

/** eSpeak NG is WebAssembly installed by npm: it speaks even when nothing else can start. */
export const UNAVAILABLE_TTS = 'local:espeak';

/**
 * The call side of the composition root: one event bus, one provider factory backed by the
 * encrypted store, one runner for every connector.
 */
export function createCallRuntime(opts: {
  store: Store;
  config: Config;
  logger: Logger;
  internalToken: string;
  /** Every request a workspace can aim (providers, config URLs, HTTP tools) goes through it. */
  outbound: OutboundGuard;
  /** Tools the platform offers every call beside the agent's own (the home tools). */
  platformTools?: ConstructorParameters<typeof CallRunner>[0]['platformTools'];
  /** With `REDIS_URL`: talk-token nonces and the live-call directory are shared by every process. */
  redis?: Redis;
  directory?: RedisCallDirectory;
  /** Where the local providers and the VAD load their models (MODELS_DIR, then the packages). */
  models?: ModelLocator;
}): CallRuntime {
  const { store, config, logger, outbound } = opts;
  const bus = new CallEventBus((err, event) =>
    logger.error({ err, event: event.type, callId: event.callId }, 'call event subscriber failed'),
  );
  // Transcripts at debug level, as personal data: visible only with LOG_PII=true.
  bus.subscribe(
    (e) => {
      if (e.type === 'transcript.final') {
        logger.debug({ callId: e.callId, role: e.data.role, pii: { text: e.data.text } }, 'transcript');
      }
    },
    ['transcript.final'],
  );
  let runner: CallRunner | undefined;
  // Every adapter this build has: the offline stack and the vendors' wire protocols.
  const models = opts.models ?? new ModelLocator(config.modelsDir);
  const registry = registerCascadedProviders(registerStsProviders(registerLocalProviders(undefined, models)));
  const lookup = (workspaceId: string, ref: string): Promise<ResolvedProvider> =>
    resolveStoredProvider(store, workspaceId, ref);
  const providers = createProviderFactory({
    outbound,
    logger,
    registry,
    resolveProvider: (ref, ctx) => lookup(ctx.workspaceId, ref).catch(() => null),
    getAgentConfig: async (agentId, ctx) =>
      runner?.configFor(ctx.callId) ?? (await store.resolver.resolveAgent({ agentId })).config,
  });
  const embedderFor = createEmbedderFactory(lookup, outbound);
  const embedding = new KnowledgeEmbedding({
    store,
    embedderFor,
    logger: logger.child({ subsystem: 'knowledge-embedding' }),
  });
  runner = new CallRunner({
    store,
    bus,
    providers,
    logger,
    dataDir: config.DATA_DIR,
    configUrlTimeoutMs: config.AGENT_CONFIG_URL_TIMEOUT_MS,
    unavailableTts: UNAVAILABLE_TTS,
    vadFactory: localVadFactory(models, (message) => logger.warn({ subsystem: 'vad' }, message)),
    outbound,
    ...(opts.platformTools ? { platformTools: opts.platformTools } : {}),
    maxConcurrentCalls: config.MAX_CONCURRENT_CALLS,
    ...(opts.directory ? { directory: opts.directory } : {}),
    embedderFor,
  });
  return {
    bus,
    providers,
    runner,
    tokens: new TalkTokens(
      opts.internalToken,
      undefined,
      opts.redis ? new RedisNonces(opts.redis) : new LocalNonces(),
    ),
    knowledge: { embedderFor, embedding },
    providerTester: createProviderTester(lookup, { timeoutMs: 8000, outbound }),
    ...(opts.directory ? { directory: opts.directory } : {}),
  };
}
