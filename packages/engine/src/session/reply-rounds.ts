import type { ChatMessage, LlmProvider, ToolCall } from '../providers/types.js';
import { type ToolEffect, type ToolOutcome, type ToolRunner, toolResultText } from '../tools/tool-runner.js';

/** A model that keeps calling tools is stopped after this many rounds. */
const MAX_TOOL_ROUNDS = 5;

export interface ReplyHooks {
  /** Any first chunk from the model (text or tool call). */
  onChunk?: () => void;
  onText: (delta: string) => void;
  /** A round's text is complete (it may be followed by tool calls). */
  onRoundEnd?: (text: string) => void;
  /** Tools are about to run / have run; used for the filler phrase. */
  onToolsStart?: () => void;
  onToolsEnd?: () => void;
  onToolOutcome: (outcome: ToolOutcome) => void;
  /**
   * Not a hook: context for this reply only (knowledge passages found for the caller's turn). It
   * goes to the model just before the caller's last message in every round, and is never kept in
   * `history`, so the conversation does not grow by a context block a turn.
   */
  context?: ChatMessage;
}

/**
 * One reply of the model, tools included: stream a round, run its tool calls, feed the results
 * back, repeat until the model answers without tools (or a tool ends the call). Used by voice turns
 * and text chat alike. Appends every assistant and tool message to `history`.
 */
export async function replyRounds(
  llm: LlmProvider,
  tools: ToolRunner,
  history: ChatMessage[],
  signal: AbortSignal,
  hooks: ReplyHooks,
): Promise<ToolEffect | undefined> {
  const context = hooks.context;
  let effect: ToolEffect | undefined;
  for (let round = 0; round < MAX_TOOL_ROUNDS && !signal.aborted; round++) {
    let text = '';
    const calls: ToolCall[] = [];
    const messages = context ? withContext(history, context) : history;
    for await (const c of llm.chat({ messages, tools: tools.definitions, signal })) {
      hooks.onChunk?.();
      if (c.type === 'text') {
        text += c.text;
        hooks.onText(c.text);
      } else if (c.type === 'tool-call') calls.push(c.call);
    }
    const ran = calls.length > 0 && !signal.aborted;
    history.push({ role: 'assistant', content: text, ...(ran ? { toolCalls: calls } : {}) });
    hooks.onRoundEnd?.(text);
    if (!ran) return effect;
    hooks.onToolsStart?.();
    try {
      for (const call of calls) {
        // Every call gets a result message, or the model's next request would be rejected.
        if (signal.aborted) {
          history.push({
            role: 'tool',
            toolCallId: call.id,
            name: call.name,
            content: '{"error":"cancelled"}',
          });
          continue;
        }
        const outcome = await tools.run(call, signal);
        hooks.onToolOutcome(outcome);
        history.push({
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: toolResultText(outcome),
        });
        effect ??= outcome.effect;
      }
    } finally {
      hooks.onToolsEnd?.();
    }
    // After end_call or transfer the model has said its last words.
    if (effect) return effect;
  }
  return effect;
}

/** `history` with `context` placed before its last user message. */
export function withContext(history: readonly ChatMessage[], context: ChatMessage): ChatMessage[] {
  const out = [...history];
  let at = out.length;
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]?.role === 'user') {
      at = i;
      break;
    }
  }
  out.splice(at, 0, context);
  return out;
}
