import type { AgentConfig, Logger } from '@switchboard/core';
import type { KnowledgeSource } from '@switchboard/engine';
import type { Store } from '@switchboard/store';
import { type EmbedderFor, searchKnowledge } from './knowledge-embedding.js';

/**
 * The knowledge an agent answers from: search over the knowledge bases its document lists, inside
 * its own workspace; hybrid (full-text and vector, fused by rank) for the bases with an embeddings
 * model, full-text for the others. Undefined when it lists none. Hits keep their source and
 * position, which the tool's answer cites.
 */
export function knowledgeSource(
  store: Store,
  workspaceId: string,
  config: AgentConfig,
  embeddings?: { embedderFor: EmbedderFor; logger?: Logger },
): KnowledgeSource | undefined {
  const ids = config.knowledge.knowledgeBaseIds;
  if (ids.length === 0) return undefined;
  return {
    search: async (query, { limit, signal }) =>
      (
        await searchKnowledge(
          { store, embedderFor: embeddings?.embedderFor, logger: embeddings?.logger },
          workspaceId,
          ids,
          query,
          limit,
          signal,
        )
      ).hits,
  };
}
