import { estimateTokens, KNOWLEDGE_SEARCH_TOOL, type KnowledgeConfig, type Logger } from '@switchboard/core';
import type { ChatMessage, ToolDefinition } from '../providers/types.js';
import type { BuiltinTool } from '../tools/tool-runner.js';

/** One passage of a knowledge base document, as a search returns it. */
export interface KnowledgePassage {
  text: string;
  /** The document's name (its file name when uploaded). */
  source: string;
  /** The headings above the passage, outermost first. */
  headingPath: string[];
  documentId: string;
  chunkId: string;
  /** The passage's place in its document, from 0. */
  position: number;
  /** Higher is better; only comparable within one search. */
  score: number;
}

/**
 * Searches the knowledge bases an agent is attached to. The composition root builds one per call
 * from the store; the engine only asks it questions.
 */
export interface KnowledgeSource {
  search(query: string, opts: { limit: number; signal?: AbortSignal }): Promise<KnowledgePassage[]>;
}

/**
 * The instructions every model gets: the agent's prompt followed by its FAQ, so a hosted model
 * answers the same questions the local answerer matches.
 */
export function agentInstructions(systemPrompt: string, knowledge: Pick<KnowledgeConfig, 'faq'>): string {
  if (knowledge.faq.length === 0) return systemPrompt;
  const faq = knowledge.faq.map((f) => `Q: ${f.question}\nA: ${f.answer}`).join('\n\n');
  return (
    `${systemPrompt}\n\n## Frequently asked questions\n` +
    `Answer these questions with these answers, in your own words when it reads better.\n\n${faq}`
  );
}

/** How a passage is cited: "[2] opening-hours.md › Holidays". */
export function citation(p: KnowledgePassage, n: number): string {
  const where = p.headingPath.length > 0 ? ` › ${p.headingPath.join(' › ')}` : '';
  return `[${n}] ${p.source}${where}`;
}

/**
 * A system message with the passages found for the caller's last turn, cut to `maxTokens`. The
 * passages ride along on the message for a model that reads them directly (the local answerer);
 * wire formats send only the text.
 */
export function contextMessage(
  passages: readonly KnowledgePassage[],
  maxTokens: number,
): Extract<ChatMessage, { role: 'system' }> | undefined {
  let budget = maxTokens - estimateTokens(CONTEXT_HEADER);
  const kept: KnowledgePassage[] = [];
  const blocks: string[] = [];
  for (const p of passages) {
    const block = `${citation(p, kept.length + 1)}\n${p.text}`;
    const cost = estimateTokens(block) + 1;
    if (cost > budget) {
      // A first passage longer than the whole budget is cut rather than dropped.
      if (kept.length > 0 || budget < 20) break;
      const cut = `${block.slice(0, budget * 4 - 4).trimEnd()}…`;
      kept.push(p);
      blocks.push(cut);
      break;
    }
    budget -= cost;
    kept.push(p);
    blocks.push(block);
  }
  if (kept.length === 0) return undefined;
  return { role: 'system', content: `${CONTEXT_HEADER}\n\n${blocks.join('\n\n')}`, passages: kept };
}

const CONTEXT_HEADER =
  'Knowledge base passages that may answer the caller (cite none aloud; ignore them if they do not fit):';

/** The `knowledge_search` tool's schema. */
export const knowledgeSearchDefinition: ToolDefinition = {
  name: KNOWLEDGE_SEARCH_TOOL,
  description:
    "Search the organisation's knowledge base (documents, policies, product facts) for passages that " +
    'answer a question. Use it before saying you do not know.',
  parameters: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, maxLength: 500, description: 'What to look for, in words.' },
    },
    required: ['query'],
  },
};

/** The built-in search tool; its result lists passages with their citations. */
export function knowledgeSearchTool(source: KnowledgeSource, limit = 5): BuiltinTool {
  return {
    definition: knowledgeSearchDefinition,
    async run(args, signal) {
      const query = String(args.query ?? '').trim();
      const found = await source.search(query, { limit, signal });
      return {
        results: found.map((p, i) => ({
          citation: citation(p, i + 1),
          text: p.text,
          source: p.source,
          section: p.headingPath,
          documentId: p.documentId,
          chunkId: p.chunkId,
        })),
      };
    },
  };
}

/**
 * Looks up the caller's turn in the knowledge bases and turns what it finds into context for the
 * model's next reply. A failed search is logged and the reply goes on without context: the
 * knowledge base helps, it never holds up or ends a call.
 */
export class KnowledgeRetriever {
  readonly #source: KnowledgeSource;
  readonly #config: KnowledgeConfig['retrieval'];
  readonly #logger: Logger;

  constructor(source: KnowledgeSource, config: KnowledgeConfig['retrieval'], logger: Logger) {
    this.#source = source;
    this.#config = config;
    this.#logger = logger;
  }

  async contextFor(text: string, signal?: AbortSignal): Promise<ChatMessage | undefined> {
    if (!text.trim()) return undefined;
    try {
      const found = await this.#source.search(text, {
        limit: this.#config.topK,
        ...(signal ? { signal } : {}),
      });
      const message = contextMessage(found, this.#config.maxTokens);
      this.#logger.debug({ passages: message?.passages?.length ?? 0 }, 'knowledge retrieved for the turn');
      return message;
    } catch (e) {
      this.#logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'knowledge search failed');
      return undefined;
    }
  }
}

/** What a session or chat needs for an agent's knowledge: its tools and its per-turn retriever. */
export function knowledgeFor(
  config: KnowledgeConfig,
  source: KnowledgeSource | undefined,
  logger: Logger,
): { tools: BuiltinTool[]; retriever?: KnowledgeRetriever } {
  if (!source || config.knowledgeBaseIds.length === 0) return { tools: [] };
  return {
    tools: config.searchTool ? [knowledgeSearchTool(source)] : [],
    ...(config.retrieval.enabled
      ? { retriever: new KnowledgeRetriever(source, config.retrieval, logger) }
      : {}),
  };
}
