import { CallEventBus, type Config, type Logger, type OutboundGuard } from '@switchboard/core';
import type { ProviderFactory } from '@switchboard/engine';
import {
  createEmbedderFactory,
  createProviderFactory,
  createProviderTester,
  type ResolvedProvider,
  registerCascadedProviders,
  registerLocalProviders,
  registerStsProviders,
} from '@switchboard/providers';
import { CallRunner, type EmbedderFor, KnowledgeEmbedding, TalkTokens } from '@switchboard/server';
import type { Store } from '@switchboard/store';

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
  /** Knowledge bases' embeddings endpoints and their background embedder. */
  knowledge: { embedderFor: EmbedderFor; embedding: KnowledgeEmbedding };
}

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
  const registry = registerCascadedProviders(registerStsProviders(registerLocalProviders()));
  const lookup = async (workspaceId: string, ref: string): Promise<ResolvedProvider> => {
    const row = await store.providers.get(workspaceId, ref);
    const cred = row.credentialId
      ? await store.credentials.revealForUse(workspaceId, row.credentialId)
      : undefined;
    return {
      kind: row.kind,
      type: row.type,
      settings: row.settings,
      ...(cred
        ? { secret: cred.secret, credential: { name: cred.name, allowedHosts: cred.allowedHosts } }
        : {}),
    };
  };
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
    // eSpeak NG is WebAssembly installed by npm: it speaks even when nothing else can start.
    unavailableTts: 'local:espeak',
    outbound,
    ...(opts.platformTools ? { platformTools: opts.platformTools } : {}),
    maxConcurrentCalls: config.MAX_CONCURRENT_CALLS,
    embedderFor,
  });
  return {
    bus,
    providers,
    runner,
    tokens: new TalkTokens(opts.internalToken),
    knowledge: { embedderFor, embedding },
    providerTester: createProviderTester(lookup, { timeoutMs: 8000, outbound }),
  };
}
