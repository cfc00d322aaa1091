import type { AgentConfig, Logger } from '@switchboard/core';
import type {
  AsrProvider,
  LlmProvider,
  ProviderBaseOptions,
  ProviderContext,
  ProviderKind,
  StsProvider,
  TtsProvider,
} from '@switchboard/engine';

export interface ProviderByKind {
  sts: StsProvider;
  asr: AsrProvider;
  llm: LlmProvider;
  tts: TtsProvider;
}

/** What a builder gets to make one provider instance for one call. */
export interface BuildArgs {
  /** The reference being resolved (`local:espeak` or a provider id), for messages. */
  ref: string;
  /** The provider's settings, defaults applied and validated against its schema in core. */
  settings: Record<string, unknown>;
  /** The decrypted credential, for providers that need one. Never log it. */
  secret?: string;
  ctx: ProviderContext;
  /** The call's agent document, for providers that read it (the answerer's FAQ). */
  agentConfig: () => Promise<AgentConfig | undefined>;
  /** Options every provider base takes (metrics sink, time limits). */
  base: ProviderBaseOptions;
  logger: Logger;
}

export type ProviderBuilder<K extends ProviderKind> = (
  args: BuildArgs,
) => ProviderByKind[K] | Promise<ProviderByKind[K]>;

/**
 * Provider type → builder. The factory only looks types up here, so an adapter is added by
 * registering it (`registry.register('tts', 'elevenlabs', build)`) without touching the factory.
 */
export class ProviderRegistry {
  readonly #builders = new Map<string, ProviderBuilder<ProviderKind>>();

  register<K extends ProviderKind>(kind: K, type: string, build: ProviderBuilder<K>): this {
    const key = `${kind}/${type}`;
    if (this.#builders.has(key)) throw new Error(`provider type ${key} is already registered`);
    this.#builders.set(key, build as unknown as ProviderBuilder<ProviderKind>);
    return this;
  }

  get<K extends ProviderKind>(kind: K, type: string): ProviderBuilder<K> | undefined {
    return this.#builders.get(`${kind}/${type}`) as ProviderBuilder<K> | undefined;
  }

  /** Registered `kind/type` keys, for diagnostics. */
  keys(): string[] {
    return [...this.#builders.keys()].sort();
  }
}
