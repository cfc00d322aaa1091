import { CALL_DIRECTIONS, CALL_OUTCOMES, CALL_STATUSES, ENDED_REASONS } from '@switchboard/core';
import type { Call } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const callView = z
  .object({
    id: z.uuid(),
    agentId: z.uuid().nullable(),
    agentVersion: z.number().int().nullable(),
    direction: z.enum(CALL_DIRECTIONS),
    connector: z.string(),
    from: z.string(),
    to: z.string(),
    status: z.string(),
    statusProgression: z.array(z.object({ status: z.string(), at: z.string() })),
    outcome: z.string().nullable(),
    endedReason: z
      .string()
      .nullable()
      .describe(
        `Why the call ended: ${ENDED_REASONS.join(', ')}. The far end hanging up is \`caller-hangup\` on ` +
          'an inbound call and `callee-hangup` on an outbound one.',
      ),
    externalId: z.string().nullable(),
    customCallId: z.string().nullable(),
    variables: z.record(z.string(), z.string()),
    providersUsed: z.record(z.string(), z.string()),
    hasRecording: z.boolean(),
    error: z.string().nullable().describe('Why the call failed, in words, when it did'),
    queuedAt: timestamp,
    startedAt: timestamp.nullable(),
    answeredAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    durationMs: z.number().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Call' });

const view = (c: Call) =>
  json({
    id: c.id,
    agentId: c.agentId,
    agentVersion: c.agentVersion,
    direction: c.direction,
    connector: c.connector,
    from: c.fromNumber,
    to: c.toNumber,
    status: c.status,
    statusProgression: c.statusProgression,
    outcome: c.outcome,
    endedReason: c.endedReason,
    externalId: c.externalId,
    customCallId: c.customCallId,
    variables: c.variables,
    providersUsed: c.providersUsed,
    hasRecording: c.recordingPath !== null,
    error: c.error,
    queuedAt: c.queuedAt,
    startedAt: c.startedAt,
    answeredAt: c.answeredAt,
    endedAt: c.endedAt,
    durationMs: c.durationMs,
    createdAt: c.createdAt,
  });

export const callRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['calls'];

    app.get(
      '/calls',
      {
        schema: {
          tags,
          summary: 'List calls, newest first',
          querystring: z.strictObject({
            ...pageQuery,
            status: z.enum(CALL_STATUSES).optional(),
            direction: z.enum(CALL_DIRECTIONS).optional(),
            outcome: z.enum(CALL_OUTCOMES).optional(),
            agentId: z.uuid().optional(),
            since: timestamp.optional(),
            until: timestamp.optional(),
          }),
          response: { 200: page(callView), ...stdErrors },
        },
      },
      async (req) => {
        const { since, until, ...q } = req.query;
        const r = await store.calls.list(ws(req), {
          ...q,
          since: since ? new Date(since) : undefined,
          until: until ? new Date(until) : undefined,
        });
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/calls/:id',
      {
        schema: { tags, summary: 'Get a call', params: idParams, response: { 200: callView, ...stdErrors } },
      },
      async (req) => view(await store.calls.get(ws(req), req.params.id)),
    );

    app.get(
      '/calls/:id/events',
      {
        schema: {
          tags,
          summary: "A call's events: transcript, tool calls, DTMF, interruptions",
          params: idParams,
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  seq: z.number().int(),
                  type: z.string(),
                  at: timestamp,
                  data: z.record(z.string(), z.unknown()),
                }),
              ),
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => ({
        data: json((await store.calls.events(ws(req), req.params.id)).map(({ callId: _c, ...e }) => e)),
      }),
    );

    app.get(
      '/calls/:id/latencies',
      {
        schema: {
          tags,
          summary: 'Per-turn latency marks (ms from call start)',
          params: idParams,
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  turn: z.number().int(),
                  callerStoppedMs: z.number().nullable(),
                  asrFinalMs: z.number().nullable(),
                  llmFirstTokenMs: z.number().nullable(),
                  ttsFirstAudioMs: z.number().nullable(),
                  firstAudioSentMs: z.number().nullable(),
                }),
              ),
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => ({
        data: (await store.calls.latencies(ws(req), req.params.id)).map(({ callId: _c, ...l }) => l),
      }),
    );
  };
