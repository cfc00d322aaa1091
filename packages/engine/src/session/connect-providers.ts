import type { AgentConfig, Logger } from '@switchboard/core';
import type { CallLeg } from '../call-leg.js';
import { connectFirst, type ProviderFactory, type ServedProviders } from '../providers/provider-factory.js';
import type { ProviderContext, StsSession, ToolDefinition } from '../providers/types.js';
import type { CascadedProviders } from './cascaded-pipeline.js';

export interface ConnectArgs {
  factory: ProviderFactory;
  config: AgentConfig;
  ctx: ProviderContext;
  leg: CallLeg;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Opens the recogniser and readies the model and synthesiser, each walking its fallback chain,
 * all three at once. If any kind has no working provider, the others are closed again.
 */
export async function connectCascaded(
  a: ConnectArgs,
): Promise<{ providers: CascadedProviders; served: ServedProviders }> {
  const refs = a.config.providers;
  const [asr, llm, tts] = await Promise.allSettled([
    connectFirst(
      'asr',
      refs.asr ?? [],
      async (ref) => {
        const p = await a.factory.asr(ref, a.ctx);
        return p.connect({
          format: a.leg.inputFormat,
          language: a.config.language,
          phrases: a.config.expectedPhrases,
          signal: a.signal,
        });
      },
      a.logger,
      a.signal,
    ),
    connectFirst(
      'llm',
      refs.llm ?? [],
      async (ref) => {
        const p = await a.factory.llm(ref, a.ctx);
        await p.prepare(a.signal);
        return p;
      },
      a.logger,
      a.signal,
    ),
    connectFirst(
      'tts',
      refs.tts ?? [],
      async (ref) => {
        const p = await a.factory.tts(ref, a.ctx);
        await p.prepare(a.signal);
        return p;
      },
      a.logger,
      a.signal,
    ),
  ]);
  if (asr.status === 'fulfilled' && llm.status === 'fulfilled' && tts.status === 'fulfilled') {
    return {
      providers: { asr: asr.value.value, llm: llm.value.value, tts: tts.value.value },
      served: { asr: asr.value.ref, llm: llm.value.ref, tts: tts.value.ref },
    };
  }
  await Promise.allSettled([
    asr.status === 'fulfilled' ? asr.value.value.close() : undefined,
    llm.status === 'fulfilled' ? llm.value.value.close() : undefined,
    tts.status === 'fulfilled' ? tts.value.value.close() : undefined,
  ]);
  const failed = [asr, llm, tts].find((r) => r.status === 'rejected') as PromiseRejectedResult;
  throw failed.reason;
}

export async function connectSts(
  a: ConnectArgs & { instructions: string; tools: readonly ToolDefinition[] },
): Promise<{ sts: StsSession; served: ServedProviders }> {
  const r = await connectFirst(
    'sts',
    a.config.providers.sts ?? [],
    async (ref) => {
      const p = await a.factory.sts(ref, a.ctx);
      return p.connect({
        inputFormat: a.leg.inputFormat,
        outputFormat: a.leg.outputFormat,
        instructions: a.instructions,
        tools: a.tools,
        language: a.config.language,
        endOfTurnSilenceMs: a.config.turnTaking.endOfTurnSilenceMs,
        signal: a.signal,
        ...(a.config.voice ? { voice: a.config.voice } : {}),
      });
    },
    a.logger,
    a.signal,
  );
  return { sts: r.value, served: { sts: r.ref } };
}
