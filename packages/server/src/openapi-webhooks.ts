import { CALL_EVENT_TYPES, CALL_OUTCOMES, ENDED_REASONS } from '@switchboard/core';
import { z } from 'zod';

/**
 * The events Switchboard POSTs to a team's webhooks, described for the OpenAPI document's
 * `webhooks` section: the default `switchboard` envelope and each event's `data`.
 */
const iso = z.iso.datetime().describe('ISO 8601 time');

const callSummary = {
  callId: z.uuid(),
  agentId: z.uuid().nullable(),
  agentName: z.string().nullable(),
  agentVersion: z.number().int().nullable(),
  direction: z.enum(['inbound', 'outbound']),
  connector: z.string().describe('sip, twilio, plivo, telnyx, asterisk, web'),
  from: z.string(),
  to: z.string(),
  externalId: z.string().nullable().describe("the carrier's id for the call (Call SID, SIP Call-ID…)"),
  customCallId: z.string().nullable(),
  status: z.enum(['queued', 'ringing', 'in-progress', 'ended']),
  variables: z.record(z.string(), z.string()),
  startedAt: iso.nullable(),
};

const transcriptEntry = z.object({
  role: z.enum(['caller', 'agent', 'tool']),
  text: z.string(),
  startMs: z.number().describe('milliseconds from call start'),
  endMs: z.number().optional(),
  interrupted: z.boolean().optional().describe('the agent was cut off: the text is what the caller heard'),
  toolName: z.string().optional(),
});

const latency = z.object({
  turn: z.number().int(),
  callerStoppedMs: z.number().optional(),
  asrFinalMs: z.number().optional(),
  llmFirstTokenMs: z.number().optional(),
  ttsFirstAudioMs: z.number().optional(),
  firstAudioSentMs: z.number().optional(),
});

const story = {
  callId: z.uuid(),
  at: iso,
  seq: z.number().int().describe("the event's place in the call's story"),
};

const DATA: Record<string, { summary: string; data: z.ZodType }> = {
  'call.started': {
    summary: 'A call began (inbound answered, or outbound placed)',
    data: z.object(callSummary),
  },
  'call.ringing': {
    summary: 'An outbound call is ringing',
    data: z.object({ ...callSummary, at: iso }),
  },
  'call.answered': {
    summary: 'The call was answered and the agent is live',
    data: z.object({ ...callSummary, at: iso, answeredAt: iso }),
  },
  'transcript.final': {
    summary: 'A final line of the transcript',
    data: z.object({ ...story, ...transcriptEntry.shape }),
  },
  'agent.interrupted': {
    summary: 'The caller talked over the agent (barge-in)',
    data: z.object({ ...story, heardText: z.string(), droppedText: z.string() }),
  },
  'recording.paused': {
    summary: 'The recording was paused: silence is recorded until it resumes',
    data: z.object({
      ...story,
      by: z.enum(['api', 'tool']).describe("the API, or the agent's pause_recording tool"),
      atMs: z.number().describe('milliseconds from call start'),
      recordingMs: z.number().describe('milliseconds from the start of the recording file'),
    }),
  },
  'recording.resumed': {
    summary: 'The recording resumed after a pause',
    data: z.object({
      ...story,
      by: z.enum(['api', 'tool']),
      atMs: z.number().describe('milliseconds from call start'),
      recordingMs: z.number().describe('milliseconds from the start of the recording file'),
      pausedMs: z.number().describe('how long the recording was paused'),
    }),
  },
  'context.injected': {
    summary: 'A system message was added to the conversation over the API',
    data: z.object({ ...story, message: z.string(), atMs: z.number() }),
  },
  'transfer.status': {
    summary: 'A transfer started, connected, failed or was handed over',
    data: z.object({
      ...story,
      status: z
        .enum(['attempted', 'answered', 'failed', 'bridged', 'handed-off'])
        .describe('warm: attempted → answered → bridged, or failed; cold: handed-off'),
      mode: z.enum(['cold', 'warm']),
      target: z.string(),
      by: z.enum(['api', 'tool']),
      atMs: z.number(),
      reason: z
        .string()
        .optional()
        .describe('why it failed: busy, no-answer, rejected, failed, or caller-hangup'),
    }),
  },
  'tool.called': {
    summary: 'The agent called a tool',
    data: z.object({
      ...story,
      name: z.string(),
      args: z.unknown(),
      result: z.unknown(),
      ok: z.boolean(),
      durationMs: z.number(),
    }),
  },
  'dtmf.received': {
    summary: 'The caller pressed a key',
    data: z.object({ ...story, digit: z.string() }),
  },
  'call.ended': {
    summary: 'The call ended: the whole story in one message',
    data: z.object({
      ...callSummary,
      statusProgression: z.array(z.object({ status: z.string(), at: iso })),
      outcome: z.enum(CALL_OUTCOMES),
      endedReason: z.enum(ENDED_REASONS),
      queuedAt: iso,
      answeredAt: iso.nullable(),
      endedAt: iso.nullable(),
      durationMs: z.number().nullable(),
      transcript: z.array(transcriptEntry),
      hasRecording: z.boolean(),
      recordingUrl: z.url().nullable().describe('signed and expiring; a fresh one on every attempt'),
      latencies: z.array(latency),
      providers: z.record(z.string(), z.string()).describe('which provider served each kind'),
      error: z.string().nullable().describe('why a failed call failed, naming the provider and the cause'),
    }),
  },
  'call.analyzed': {
    summary: 'Post-call analysis finished (or failed for good)',
    data: z.object({
      ...story,
      summary: z.string().optional(),
      fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      provider: z.string().optional(),
      error: z.string().optional(),
    }),
  },
};

const HEADERS = [
  {
    name: 'X-Switchboard-Signature',
    in: 'header',
    required: false,
    description:
      'When the webhook has a secret: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. ' +
      'Reject old timestamps to stop replays; several v1 values appear while a secret rotates.',
    schema: { type: 'string' },
  },
  {
    name: 'X-Switchboard-Event-Id',
    in: 'header',
    required: true,
    description: 'The idempotency key: retries of one event carry the same id.',
    schema: { type: 'string', format: 'uuid' },
  },
  { name: 'X-Switchboard-Event-Type', in: 'header', required: true, schema: { type: 'string' } },
];

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  return rest;
}

/** The OpenAPI 3.1 `webhooks` object: one POST per event type a webhook can subscribe to. */
export function webhookDocs(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const type of CALL_EVENT_TYPES) {
    // transcript.partial and turn.latency are for the live view only; webhooks cannot subscribe to them.
    const entry = DATA[type];
    if (!entry) continue;
    const envelope = z.object({
      id: z.uuid().describe('the event id, also in X-Switchboard-Event-Id'),
      type: z.literal(type),
      createdAt: iso,
      workspaceId: z.uuid(),
      data: entry.data,
    });
    out[type] = {
      post: {
        summary: entry.summary,
        description:
          `Sent to every webhook subscribed to \`${type}\`, in order per call, retried with backoff ` +
          'for 24 hours until the receiver answers 2xx. This is the `switchboard` format; webhooks ' +
          'may instead ask for the `avr` or `external-updates` formats.',
        parameters: HEADERS,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: jsonSchema(envelope),
            },
          },
        },
        responses: { '2XX': { description: 'Received; any 2xx stops the retries' } },
      },
    };
  }
  return out;
}
