import {
  type AgentConfig,
  type AnalysisConfig,
  analysisLlm,
  type CallAnalysis,
  type TranscriptEntry,
} from '@switchboard/core';
import { ProviderError } from '../providers/provider-error.js';
import { connectFirst, type ProviderFactory } from '../providers/provider-factory.js';
import type { ChatMessage, LlmProvider, ProviderContext, ToolDefinition } from '../providers/types.js';

/** The tool the analyst is asked to call: its arguments are the analysis. */
export const ANALYSIS_TOOL = 'record_analysis';

type FieldValue = string | number | boolean | null;
const MAX_SUMMARY = 4000;

/**
 * The JSON schema of the analysis tool's arguments: the summary (when asked for) and each field
 * the agent defines, every one required and nullable so the model says "unknown" explicitly.
 */
export function analysisTool(spec: AnalysisConfig): ToolDefinition {
  const properties: Record<string, unknown> = {};
  if (spec.summary) {
    properties.summary = {
      type: 'string',
      description: 'Two or three sentences: why the caller called, what was resolved, what happens next.',
    };
  }
  for (const f of spec.fields) {
    properties[f.name] = {
      type: [f.type, 'null'],
      description: f.description,
      ...(f.enum ? { enum: [...f.enum, null] } : {}),
    };
  }
  return {
    name: ANALYSIS_TOOL,
    description: 'Records the analysis of the finished call.',
    parameters: {
      type: 'object',
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
    },
  };
}

/** The transcript as the analyst reads it: one line per utterance, tools noted, interruptions marked. */
export function transcriptText(transcript: readonly TranscriptEntry[]): string {
  return transcript
    .map((t) => {
      if (t.role === 'tool') return `[tool ${t.toolName ?? ''}: ${t.text}]`;
      const who = t.role === 'caller' ? 'Caller' : 'Agent';
      return `${who}: ${t.text}${t.interrupted ? ' [interrupted]' : ''}`;
    })
    .join('\n');
}

export function analysisMessages(
  spec: AnalysisConfig,
  transcript: readonly TranscriptEntry[],
  language: string,
): ChatMessage[] {
  const system = [
    'You analyse a finished phone call between an AI phone agent and a caller.',
    `Call the ${ANALYSIS_TOOL} tool exactly once with your analysis; do not reply with anything else.`,
    'Use only what the transcript says. When it does not tell you a field, use null.',
    `Write the summary in the language of the call (${language}).`,
    spec.instructions ? `\n${spec.instructions}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: `Transcript:\n${transcriptText(transcript)}` },
  ];
}

/**
 * Asks one model for the analysis. A model without tool calling may answer with the JSON object
 * as text; that is accepted too. Values of the wrong type become null rather than failing the
 * whole analysis, so one confused field never loses the rest.
 */
export async function analyzeTranscript(
  llm: LlmProvider,
  opts: {
    spec: AnalysisConfig;
    transcript: readonly TranscriptEntry[];
    language: string;
    signal: AbortSignal;
  },
): Promise<Omit<CallAnalysis, 'provider' | 'error'>> {
  const { spec } = opts;
  if (!opts.transcript.some((t) => t.role === 'caller' || t.role === 'agent')) {
    // Nothing was said: there is nothing to ask a model about.
    return emptyAnalysis(spec, 'Nothing was said on the call.');
  }
  let text = '';
  let args: string | undefined;
  for await (const chunk of llm.chat({
    messages: analysisMessages(spec, opts.transcript, opts.language),
    tools: [analysisTool(spec)],
    signal: opts.signal,
  })) {
    if (chunk.type === 'text') text += chunk.text;
    else if (chunk.type === 'tool-call' && chunk.call.name === ANALYSIS_TOOL && args === undefined) {
      args = chunk.call.arguments;
    }
  }
  const parsed = parseObject(args) ?? parseObject(extractJson(text));
  if (!parsed) {
    throw new ProviderError('protocol', `the model did not call ${ANALYSIS_TOOL} or return a JSON object`);
  }
  return coerceAnalysis(spec, parsed);
}

/** Keeps what the spec asks for, with the types it declares; anything else is dropped or null. */
export function coerceAnalysis(
  spec: AnalysisConfig,
  raw: Record<string, unknown>,
): Omit<CallAnalysis, 'provider' | 'error'> {
  const fields: Record<string, FieldValue> = {};
  for (const f of spec.fields) fields[f.name] = coerceField(f, raw[f.name]);
  const out: Omit<CallAnalysis, 'provider' | 'error'> = { fields };
  if (spec.summary && typeof raw.summary === 'string' && raw.summary.trim()) {
    out.summary = raw.summary.trim().slice(0, MAX_SUMMARY);
  }
  return out;
}

function coerceField(f: AnalysisConfig['fields'][number], v: unknown): FieldValue {
  if (v === null || v === undefined) return null;
  switch (f.type) {
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      return null;
    case 'string': {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
      const s = String(v).trim();
      if (!f.enum) return s.slice(0, 2000);
      return f.enum.find((e) => e.toLowerCase() === s.toLowerCase()) ?? null;
    }
  }
}

function emptyAnalysis(spec: AnalysisConfig, summary: string): Omit<CallAnalysis, 'provider' | 'error'> {
  const fields: Record<string, FieldValue> = {};
  for (const f of spec.fields) fields[f.name] = null;
  return spec.summary ? { summary, fields } : { fields };
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The outermost `{…}` of a reply that wraps its JSON in prose or a code fence. */
function extractJson(text: string): string | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
}

export interface CallAnalysisRequest {
  providers: ProviderFactory;
  config: Pick<AgentConfig, 'analysis' | 'providers' | 'language'>;
  transcript: readonly TranscriptEntry[];
  ctx: ProviderContext;
  signal: AbortSignal;
}

/**
 * Analyses one call with the agent's analysis model: the first of its chain that connects serves
 * (as during a call). Throws when none connects or the model's answer holds no analysis; the
 * caller decides whether to retry.
 */
export async function analyzeCall(req: CallAnalysisRequest): Promise<CallAnalysis> {
  const chain = analysisLlm(req.config);
  if (!chain)
    throw new ProviderError('bad_request', 'the agent has no language model that can analyse calls');
  const { ref, value: llm } = await connectFirst(
    'llm',
    chain,
    async (r) => {
      const p = await req.providers.llm(r, req.ctx);
      try {
        await p.prepare(req.signal);
      } catch (e) {
        await p.close().catch(() => {});
        throw e;
      }
      return p;
    },
    req.ctx.logger,
    req.signal,
  );
  try {
    const result = await analyzeTranscript(llm, {
      spec: req.config.analysis,
      transcript: req.transcript,
      language: req.config.language,
      signal: req.signal,
    });
    return { ...result, provider: ref };
  } finally {
    await llm.close().catch(() => {});
  }
}
