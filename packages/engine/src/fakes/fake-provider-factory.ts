import { ProviderError } from '../providers/provider-error.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { AsrProvider, LlmProvider, StsProvider, TtsProvider } from '../providers/types.js';

export interface FakeProviders {
  sts?: Record<string, StsProvider>;
  asr?: Record<string, AsrProvider>;
  llm?: Record<string, LlmProvider>;
  tts?: Record<string, TtsProvider>;
}

/** Serves prepared instances by reference; an unknown reference fails like a missing provider. */
export class FakeProviderFactory implements ProviderFactory {
  readonly created: string[] = [];
  readonly #p: FakeProviders;

  constructor(providers: FakeProviders) {
    this.#p = providers;
  }

  #get<T>(kind: keyof FakeProviders, ref: string): T {
    const found = this.#p[kind]?.[ref] as T | undefined;
    if (!found) throw new ProviderError('bad_request', `unknown ${kind} provider ${ref}`);
    this.created.push(`${kind}:${ref}`);
    return found;
  }

  sts(ref: string): StsProvider {
    return this.#get('sts', ref);
  }
  asr(ref: string): AsrProvider {
    return this.#get('asr', ref);
  }
  llm(ref: string): LlmProvider {
    return this.#get('llm', ref);
  }
  tts(ref: string): TtsProvider {
    return this.#get('tts', ref);
  }
}
