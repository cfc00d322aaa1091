import { z } from 'zod';

/**
 * The agent configuration document: what an agent version is. Validated on every write; the
 * engine reads it as an immutable snapshot at call start.
 *
 * A provider reference is either a provider id (a row in the workspace's providers, which may hold
 * credentials) or `local:<type>` for the built-in offline providers that need none.
 */
export const providerRefSchema = z
  .string()
  .regex(
    /^(local:[a-z0-9-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    'expected a provider id (uuid) or local:<type>',
  );

/** First entry serves; the rest are fallbacks tried in order when it cannot connect. */
const providerChain = z.array(providerRefSchema).min(1).max(5);

export const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .refine(
    (v) => v.type === undefined || v.type === 'object',
    'tool parameters must be a JSON schema of type object',
  );

const toolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, _ or -');

export const toolSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('end_call'),
    name: toolName.default('end_call'),
    description: z.string().max(1000).default('End the call when the conversation is complete.'),
  }),
  z.strictObject({
    type: z.literal('transfer'),
    name: toolName.default('transfer'),
    description: z.string().max(1000).default('Transfer the caller to a person.'),
    /** Phone number (E.164) or SIP URI; with several, the model chooses by `label`. */
    destinations: z
      .array(z.strictObject({ label: z.string().min(1).max(100), target: z.string().min(3).max(300) }))
      .min(1),
    message: z.string().max(500).optional(),
    /**
     * `cold` hands the caller over and leaves; `warm` calls the person first, tells them what the
     * call is about while the caller holds, and bridges the two (the agent takes the caller back
     * when nobody answers).
     */
    mode: z.enum(['cold', 'warm']).default('cold'),
    /** What the caller hears while a warm transfer rings: a soft tone pattern, or silence. */
    hold: z.enum(['music', 'silence']).default('music'),
    /** How long a warm transfer rings before the agent takes the caller back. */
    answerTimeoutSeconds: z.number().int().min(5).max(120).default(30),
  }),
  z.strictObject({
    type: z.literal('send_dtmf'),
    name: toolName.default('send_dtmf'),
    description: z.string().max(1000).default('Press keys on the phone keypad.'),
  }),
  z.strictObject({
    /** Pauses and resumes the call's recording (silence is recorded meanwhile). */
    type: z.literal('recording'),
    name: toolName.default('recording'),
    description: z
      .string()
      .max(1000)
      .default(
        'Pause the call recording before the caller gives sensitive details such as a card number, ' +
          'and resume it afterwards.',
      ),
  }),
  z.strictObject({
    type: z.literal('http'),
    name: toolName,
    description: z.string().min(1).max(1000),
    parameters: jsonSchemaObject.default({ type: 'object', properties: {} }),
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Credential whose secret signs the request body (HMAC-SHA256). */
    signingCredentialId: z.uuid().optional(),
  }),
]);
export type ToolConfig = z.infer<typeof toolSchema>;

export const turnTakingSchema = z.strictObject({
  /** Silence after the caller's speech before the turn is considered finished. */
  endOfTurnSilenceMs: z.number().int().min(100).max(5000).default(700),
  /** The caller must speak this long before the agent yields the floor. */
  minInterruptionMs: z.number().int().min(0).max(5000).default(400),
  /** ...and say at least this many words, when a transcript is available. */
  minInterruptionWords: z.number().int().min(0).max(20).default(1),
  /** Words that acknowledge without taking the turn; they never interrupt. */
  backchannelWords: z
    .array(z.string().min(1).max(40))
    .max(100)
    .default(['okay', 'ok', 'yeah', 'yes', 'right', 'mm-hmm', 'uh-huh', 'mhm', 'sure', 'got it']),
  /** After a false interruption (noise, a cough), resume speaking when nothing follows within this. */
  falseInterruptionResumeMs: z.number().int().min(0).max(10_000).default(1500),
  /** Say a filler phrase when a tool takes longer than this. */
  fillerAfterMs: z.number().int().min(0).max(30_000).default(1500),
  fillerPhrases: z.array(z.string().min(1).max(200)).max(20).default(['One moment, please.']),
  allowInterruptions: z.boolean().default(true),
});

export const idleSchema = z.strictObject({
  /** Re-prompt a silent caller after this. */
  repromptAfterMs: z.number().int().min(1000).max(120_000).default(8000),
  repromptMessages: z.array(z.string().min(1).max(500)).max(10).default(['Are you still there?']),
  /** Hang up after this many unanswered re-prompts. */
  maxReprompts: z.number().int().min(0).max(10).default(2),
  hangupMessage: z.string().max(500).default('I will end the call now. Goodbye.'),
});

export const keypadSchema = z.strictObject({
  /** Keys the caller presses reach the model as a caller turn ("Caller pressed keypad keys: 12#"). */
  toModel: z.boolean().default(true),
  /** Keys pressed within this of each other are one entry. */
  interDigitTimeoutMs: z.number().int().min(200).max(10_000).default(1500),
  /** Ends an entry at once (and is kept in it); `none` waits for the timeout. */
  terminator: z.enum(['#', '*', 'none']).default('#'),
});

/** The built-in tool that searches the agent's knowledge bases. */
export const KNOWLEDGE_SEARCH_TOOL = 'knowledge_search';

export const knowledgeSchema = z.strictObject({
  /** Question/answer pairs: matched by the local answerer, and part of every other model's instructions. */
  faq: z
    .array(
      z.strictObject({
        question: z.string().min(1).max(500),
        answer: z.string().min(1).max(2000),
        keywords: z.array(z.string().min(1).max(60)).max(30).default([]),
      }),
    )
    .max(500)
    .default([]),
  fallbackAnswer: z.string().max(1000).default("Sorry, I don't know that. Could you ask another way?"),
  /** Knowledge bases of the workspace the agent answers from (search tool and per-turn retrieval). */
  knowledgeBaseIds: z.array(z.uuid()).max(20).default([]),
  /** Passages found for each caller turn, given to the model as context. */
  retrieval: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Most passages per turn. */
      topK: z.number().int().min(1).max(20).default(4),
      /** Budget for the injected passages, in tokens (about four characters each). */
      maxTokens: z.number().int().min(50).max(8000).default(800),
    })
    .default({ enabled: true, topK: 4, maxTokens: 800 }),
  /** Offer the model a `knowledge_search` tool over the knowledge bases. */
  searchTool: z.boolean().default(true),
});
export type KnowledgeConfig = z.infer<typeof knowledgeSchema>;

/** The built-in Home Assistant tools an agent may be offered. */
export const HOME_TOOLS = ['home_get_state', 'home_list', 'home_call_service'] as const;

/** A Home Assistant domain (`light`) or entity id (`light.kitchen`). */
const haDomain = z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected a Home Assistant domain such as light');
const haEntity = z
  .string()
  .regex(/^[a-z0-9_]{1,64}\.[a-z0-9_]{1,200}$/, 'expected a Home Assistant entity id such as light.kitchen');

/**
 * The house an agent may read and act on, through the workspace's Home Assistant connection. Nothing
 * is reachable unless listed: an entity is allowed when its domain or its own id is listed.
 */
export const homeSchema = z.strictObject({
  /** Offer the `home_*` tools to the model. */
  enabled: z.boolean().default(false),
  /** Domains whose every entity the agent may read and act on (`light`, `switch`, `cover`). */
  domains: z.array(haDomain).max(100).default([]),
  /** Single entities allowed beside those domains. */
  entities: z.array(haEntity).max(1000).default([]),
  /** Read only: the agent may look but never call a service. */
  readOnly: z.boolean().default(false),
  /**
   * Domains whose services change something risky (unlocking, disarming, opening); the agent must
   * read the action back and hear a yes before it runs.
   */
  confirmDomains: z.array(haDomain).max(100).default(['lock', 'alarm_control_panel', 'cover']),
});
export type HomeConfig = z.infer<typeof homeSchema>;

/**
 * Post-call analysis: after a call ends, an LLM reads the transcript and fills in a summary and the
 * fields defined here; the result is stored with the call and delivered as `call.analyzed`.
 */
export const analysisSchema = z.strictObject({
  summary: z.boolean().default(false),
  fields: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/),
        type: z.enum(['string', 'number', 'boolean']),
        description: z.string().max(500),
        /** For string fields: the only values accepted (anything else is recorded as null). */
        enum: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
      }),
    )
    .max(50)
    .default([]),
  /** The model that analyses; defaults to the agent's own `providers.llm`. */
  llm: providerChain.optional(),
  /** Extra guidance for the analyst (what counts as a qualified lead, say). */
  instructions: z.string().max(5000).optional(),
});
export type AnalysisConfig = z.infer<typeof analysisSchema>;

/** Whether the agent asks for post-call analysis at all. */
export function analysisEnabled(a: AnalysisConfig): boolean {
  return a.summary || a.fields.length > 0;
}

/**
 * The LLM chain that analyses an agent's calls. `local:answerer` only matches questions to
 * answers; it cannot read a transcript and fill in fields, so it is never an analyst.
 */
export function analysisLlm(c: Pick<AgentConfig, 'analysis' | 'providers'>): string[] | undefined {
  const chain = (c.analysis.llm ?? c.providers.llm)?.filter((r) => r !== 'local:answerer');
  return chain && chain.length > 0 ? chain : undefined;
}

export const agentConfigSchema = z
  .strictObject({
    /** `sts`: one speech-to-speech provider; `cascaded`: ASR → LLM → TTS. */
    mode: z.enum(['sts', 'cascaded']).default('cascaded'),
    providers: z
      .strictObject({
        sts: providerChain.optional(),
        asr: providerChain.optional(),
        llm: providerChain.optional(),
        tts: providerChain.optional(),
      })
      .default({ asr: ['local:soundswallower'], llm: ['local:answerer'], tts: ['local:espeak'] }),
    systemPrompt: z.string().max(50_000).default('You are a helpful phone assistant. Keep answers short.'),
    greeting: z.string().max(2000).optional(),
    /** Provider-specific voice name (e.g. `en-us` for espeak, `alloy` for OpenAI). */
    voice: z.string().max(100).optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a BCP 47 language tag such as en-US')
      .default('en-US'),
    /** Phrases the caller is expected to say; local ASR builds its grammar from these. */
    expectedPhrases: z.array(z.string().min(1).max(200)).max(500).default([]),
    tools: z.array(toolSchema).max(64).default([]),
    turnTaking: turnTakingSchema.default(turnTakingSchema.parse({})),
    idle: idleSchema.default(idleSchema.parse({})),
    keypad: keypadSchema.default(keypadSchema.parse({})),
    maxDurationSeconds: z
      .number()
      .int()
      .min(10)
      .max(4 * 3600)
      .default(900),
    /**
     * Outbound calls detect answering machines: the carrier's own detection where it has one
     * (Twilio, Plivo, Telnyx), the platform's detector on the audio otherwise (SIP, Asterisk).
     * When a machine answers, the call is hung up before the agent speaks — or, with
     * `voicemailMessage`, the message is left after the beep — and ends with outcome voicemail.
     */
    voicemailDetection: z.boolean().default(false),
    /** Left on an answering machine after its beep (needs `voicemailDetection`). */
    voicemailMessage: z.string().min(1).max(1000).optional(),
    /** Said before the agent ends the call itself. */
    goodbyeMessage: z.string().max(500).optional(),
    knowledge: knowledgeSchema.default(knowledgeSchema.parse({})),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    home: homeSchema.default(homeSchema.parse({})),
    recording: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
    /** Default values for `{{variable}}` placeholders in the prompt and greeting. */
    variables: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string().max(2000)).default({}),
    /** Per-agent webhook for this agent's call events (in addition to workspace webhooks). */
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Per-call configuration URL: at call start the platform POSTs the call's details here and
     * merges the returned overrides into the published version (Vapi's assistant-request).
     */
    configUrl: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'sts' && !c.providers.sts) {
      ctx.addIssue({ code: 'custom', path: ['providers', 'sts'], message: 'mode sts needs providers.sts' });
    }
    if (c.mode === 'cascaded') {
      for (const k of ['asr', 'llm', 'tts'] as const) {
        if (!c.providers[k]) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', k],
            message: `mode cascaded needs providers.${k}`,
          });
        }
      }
    }
    if (analysisEnabled(c.analysis) && !analysisLlm(c)) {
      ctx.addIssue({
        code: 'custom',
        path: ['analysis', 'llm'],
        message:
          'post-call analysis needs a language model: set analysis.llm (local:answerer cannot analyse calls)',
      });
    }
    const fieldNames = new Set<string>();
    c.analysis.fields.forEach((f, i) => {
      if (fieldNames.has(f.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['analysis', 'fields', i, 'name'],
          message: `duplicate analysis field ${f.name}`,
        });
      }
      fieldNames.add(f.name);
      if (f.enum && f.type !== 'string') {
        ctx.addIssue({
          code: 'custom',
          path: ['analysis', 'fields', i, 'enum'],
          message: 'enum is only for string fields',
        });
      }
    });
    const kbIds = new Set<string>();
    c.knowledge.knowledgeBaseIds.forEach((id, i) => {
      if (kbIds.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['knowledge', 'knowledgeBaseIds', i],
          message: `knowledge base ${id} is listed twice`,
        });
      }
      kbIds.add(id);
    });
    const names = new Set<string>();
    c.tools.forEach((t, i) => {
      if (
        t.name === KNOWLEDGE_SEARCH_TOOL &&
        c.knowledge.searchTool &&
        c.knowledge.knowledgeBaseIds.length > 0
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'name'],
          message: `${KNOWLEDGE_SEARCH_TOOL} is the built-in knowledge search tool; rename this tool or set knowledge.searchTool to false`,
        });
      }
      if (c.home.enabled && (HOME_TOOLS as readonly string[]).includes(t.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'name'],
          message: `${t.name} is a built-in Home Assistant tool; rename this tool or set home.enabled to false`,
        });
      }
      if (names.has(t.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'name'],
          message: `duplicate tool name ${t.name}`,
        });
      }
      names.add(t.name);
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
/** What a client may send: every field optional where it has a default. */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** An immutable view of one published agent version: what a call runs. */
export interface AgentSnapshot {
  agentId: string;
  workspaceId: string;
  name: string;
  version: number;
  config: AgentConfig;
}

/**
 * Merges a partial document into a base one: objects merge key by key, arrays and scalars are
 * replaced, `null` removes an optional field. Used by PATCH and by per-call overrides.
 */
export function mergeConfig(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isPlainObject(patch) || !isPlainObject(base)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeConfig(base[k], v);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Replaces `{{name}}` placeholders; unknown names are left as they are. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (m, name: string) => vars[name] ?? m);
}
