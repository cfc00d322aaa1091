import type { AgentConfig } from '@switchboard/core';
import type { KnowledgeSource } from '@switchboard/engine';
import type { Store } from '@switchboard/store';

/**
 * The knowledge an agent answers from: full-text search over the knowledge bases its document
 * lists, inside its own workspace. Undefined when it lists none.
 */
export function knowledgeSource(
  store: Store,
  workspaceId: string,
  config: AgentConfig,
): KnowledgeSource | undefined {
  const ids = config.knowledge.knowledgeBaseIds;
  if (ids.length === 0) return undefined;
  return { search: (query, { limit }) => store.knowledge.search(workspaceId, ids, query, limit) };
}
