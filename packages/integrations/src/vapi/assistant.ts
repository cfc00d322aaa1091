/**
 * An agent's published version as a Vapi assistant body (protocols.md §8), and the difference
 * between two bodies that an update sends. Only what Vapi can run is mapped: the prompt (with the
 * FAQ), the greeting, the duration limit, the language, end-call, transfer and keypad tools. HTTP
 * tools, our providers and voices have no Vapi counterpart here and are left to Vapi's defaults.
 */
import { createHash } from 'node:crypto';
import type { AgentSnapshot, ToolConfig } from '@switchboard/core';

/** The header Vapi sends back with every server message; its value is the workspace's secret. */
export const VAPI_SECRET_HEADER = 'x-vapi-secret';

/** The server messages an assistant sends us. */
export const VAPI_SERVER_MESSAGES = ['status-update', 'end-of-call-report', 'transcript'] as const;

export interface AssistantTarget {
  /** Where Vapi posts server messages for this workspace. */
  serverUrl: string;
  serverSecret: string;
  /** The query tool over the agent's knowledge bases, when it has any. */
  queryToolId?: string | undefined;
}

/** Vapi limits an assistant's name to 40 characters. */
const NAME_MAX = 40;

export function toAssistant(snapshot: AgentSnapshot, target: AssistantTarget): Record<string, unknown> {
  const c = snapshot.config;
  const faq = c.knowledge.faq.map((f) => `Q: ${f.question}\nA: ${f.answer}`).join('\n\n');
  const system = faq ? `${c.systemPrompt}\n\nFrequently asked questions:\n${faq}` : c.systemPrompt;
  const tools = c.tools.map(toVapiTool).filter((t): t is Record<string, unknown> => t !== null);
  return {
    name: snapshot.name.slice(0, NAME_MAX),
    ...(c.greeting
      ? { firstMessage: c.greeting, firstMessageMode: 'assistant-speaks-first' }
      : { firstMessageMode: 'assistant-waits-for-user' }),
    maxDurationSeconds: c.maxDurationSeconds,
    ...(c.goodbyeMessage ? { endCallMessage: c.goodbyeMessage } : {}),
    model: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: system }],
      ...(tools.length > 0 ? { tools } : {}),
      ...(target.queryToolId ? { toolIds: [target.queryToolId] } : {}),
    },
    transcriber: { provider: 'deepgram', model: 'nova-3', language: c.language.split('-')[0] },
    serverMessages: [...VAPI_SERVER_MESSAGES],
    server: { url: target.serverUrl, headers: { [VAPI_SECRET_HEADER]: target.serverSecret } },
    metadata: { switchboardAgentId: snapshot.agentId },
  };
}

function toVapiTool(t: ToolConfig): Record<string, unknown> | null {
  switch (t.type) {
    case 'end_call':
      return { type: 'endCall' };
    case 'send_dtmf':
      return { type: 'dtmf' };
    case 'transfer':
      return {
        type: 'transferCall',
        destinations: t.destinations.map((d) =>
          d.target.startsWith('sip:')
            ? { type: 'sip', sipUri: d.target, description: d.label }
            : { type: 'number', number: d.target, description: d.label },
        ),
      };
    default:
      return null;
  }
}

/**
 * The body as it is kept to compare the next sync against: the workspace secret in the server
 * headers replaced by its hash, so the database never holds it in clear and a new secret still
 * shows as a change.
 */
export function storedAssistant(body: Record<string, unknown>): Record<string, unknown> {
  const server = body.server as { headers?: Record<string, string> } | undefined;
  const secret = server?.headers?.[VAPI_SECRET_HEADER];
  if (!server || !secret) return body;
  const hash = `sha256:${createHash('sha256').update(secret).digest('hex')}`;
  return { ...body, server: { ...server, headers: { ...server.headers, [VAPI_SECRET_HEADER]: hash } } };
}

/**
 * The top-level fields of `next` that differ from `prev`, for a PATCH. A field `prev` had and
 * `next` lacks is sent as null, which clears it on Vapi.
 */
export function assistantChanges(
  prev: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) if (!jsonEqual(prev[k], v)) out[k] = v;
  for (const k of Object.keys(prev)) if (!(k in next)) out[k] = null;
  return out;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
