import { findProviderType, type OutboundGuard } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import { guardFor, type ResolvedProvider } from '../factory.js';
import { OpenAiEmbeddings } from './openai-embeddings.js';

/** The provider types whose endpoint also serves `/embeddings`. */
export const EMBEDDING_PROVIDER_TYPES = [{ kind: 'llm', type: 'openai-compatible' }] as const;

export const isEmbeddingProvider = (p: { kind: string; type: string }): boolean =>
  EMBEDDING_PROVIDER_TYPES.some((t) => t.kind === p.kind && t.type === p.type);

export type EmbedderFor = (
  workspaceId: string,
  providerId: string,
  model: string,
) => Promise<OpenAiEmbeddings>;

/**
 * Embedders for knowledge bases: a workspace's OpenAI-compatible provider gives the base URL and
 * the credential, the knowledge base names the model. The request goes through the same guard as
 * the provider's calls, pinned to the hosts its credential may be sent to, checked at every use.
 */
export function createEmbedderFactory(
  lookup: (workspaceId: string, providerId: string) => Promise<ResolvedProvider>,
  outbound: OutboundGuard,
  options: { timeoutMs?: number } = {},
): EmbedderFor {
  return async (workspaceId, providerId, model) => {
    const p = await lookup(workspaceId, providerId);
    const info = findProviderType(p.kind, p.type);
    if (!info || !isEmbeddingProvider(p)) {
      throw new ProviderError(
        'bad_request',
        `provider ${providerId} (${p.kind}/${p.type}) has no embeddings endpoint`,
      );
    }
    const parsed = info.settings.safeParse(p.settings);
    if (!parsed.success) throw new ProviderError('bad_request', `provider ${providerId}: invalid settings`);
    const settings = parsed.data;
    const guard = guardFor(outbound, info, { ...p, settings });
    if ('refused' in guard)
      throw new ProviderError('bad_request', `provider ${providerId}: ${guard.refused}`);
    return new OpenAiEmbeddings({
      baseUrl: String(settings.baseUrl ?? info.defaultUrl),
      model,
      ...(p.secret ? { apiKey: p.secret } : {}),
      fetch: guard.fetch,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  };
}
