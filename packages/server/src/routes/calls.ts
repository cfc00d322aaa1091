import {
  CALL_DIRECTIONS,
  CALL_OUTCOMES,
  CALL_STATUSES,
  ENDED_REASONS,
  validationFailed,
} from '@switchboard/core';

const DAY_MS = 24 * 3600_000;

import type { Call } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

export const callView = z
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
    agentOverrides: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The agent fields this call changed (`agentOverrides` when it was placed)'),
    agentConfig: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        'The agent document the call ran, its overrides merged in; null for a call without overrides',
      ),
    hasRecording: z.boolean(),
    recordingUrl: z
      .string()
      .nullable()
      .describe(
        'A recording kept where the call ran (a call run on Vapi), linked as it is; recordings made here are at /v1/calls/{id}/recording',
      ),
    error: z.string().nullable().describe('Why the call failed, in words, when it did'),
    queuedAt: timestamp,
    startedAt: timestamp.nullable(),
    answeredAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    durationMs: z.number().nullable(),
    erasedAt: timestamp
      .nullable()
      .describe("When the call's data was erased on request; the row is then a tombstone"),
    createdAt: timestamp,
  })
  .meta({
    id: 'Call',
    examples: [
      {
        id: '8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d',
        agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
        agentVersion: 3,
        direction: 'inbound',
        connector: 'twilio',
        from: '+14155550187',
        to: '+14155550123',
        status: 'ended',
        statusProgression: [
          { status: 'ringing', at: '2026-03-02T10:05:01.220Z' },
          { status: 'in-progress', at: '2026-03-02T10:05:02.031Z' },
          { status: 'ended', at: '2026-03-02T10:07:45.870Z' },
        ],
        outcome: 'completed',
        endedReason: 'agent-ended',
        externalId: 'CA5f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c',
        customCallId: null,
        variables: { patientName: 'Ana' },
        providersUsed: { asr: 'local:pocketsphinx', llm: 'local:answerer', tts: 'local:espeak' },
        agentOverrides: null,
        agentConfig: null,
        hasRecording: true,
        recordingUrl: null,
        error: null,
        queuedAt: '2026-03-02T10:05:01.220Z',
        startedAt: '2026-03-02T10:05:02.031Z',
        answeredAt: '2026-03-02T10:05:02.031Z',
        endedAt: '2026-03-02T10:07:45.870Z',
        durationMs: 163839,
        erasedAt: null,
        createdAt: '2026-03-02T10:05:01.220Z',
      },
    ],
  });

export const callJson = (c: Call) =>
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
    agentOverrides: c.agentOverrides,
    agentConfig: c.agentConfig,
    hasRecording: c.recordingPath !== null,
    recordingUrl: c.recordingUrl,
    error: c.error,
    queuedAt: c.queuedAt,
    startedAt: c.startedAt,
    answeredAt: c.answeredAt,
    endedAt: c.endedAt,
    durationMs: c.durationMs,
    erasedAt: c.erasedAt,
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
          description:
            "The workspace's calls, inbound and outbound, including those reported by outside runtimes; any " +
            'role. Filter by `status`, `direction`, `outcome`, `agentId` or `number` (the caller or the called ' +
            'number, exactly); `since` (inclusive) and `until` (exclusive) bound the creation time. ' +
            PAGED,
          querystring: z.strictObject({
            ...pageQuery,
            status: z.enum(CALL_STATUSES).optional(),
            direction: z.enum(CALL_DIRECTIONS).optional(),
            outcome: z.enum(CALL_OUTCOMES).optional(),
            agentId: z.uuid().optional(),
            since: timestamp.optional(),
            until: timestamp.optional(),
            number: z
              .string()
              .trim()
              .min(1)
              .max(64)
              .optional()
              .describe('the from or to number, e.g. +14155550187')
              .meta({ examples: ['+14155550187'] }),
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
        return { data: r.data.map(callJson), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/calls/stats',
      {
        schema: {
          tags,
          summary: 'Call statistics: calls per hour, outcomes, response latency',
          description:
            "For the dashboard's overview, any role. Over the calls created in [`since`, `until`) (by default " +
            'the last 24 hours; at most 31 days): the count per hour (hours without calls are left out), the ' +
            'count per outcome (`null` for calls not over yet), and the 50th and 95th percentile of the turn ' +
            "response time, from the end of the caller's speech to the first audio sent, over every turn " +
            'with both marks (`null` when there is none). A range longer than 31 days, or `until` before ' +
            '`since`, is a 400.',
          querystring: z.strictObject({ since: timestamp.optional(), until: timestamp.optional() }),
          response: {
            200: z
              .object({
                since: timestamp,
                until: timestamp,
                perHour: z.array(z.object({ hour: timestamp, count: z.number().int() })),
                outcomes: z.array(z.object({ outcome: z.string().nullable(), count: z.number().int() })),
                responseMs: z.object({
                  turns: z.number().int(),
                  p50: z.number().nullable(),
                  p95: z.number().nullable(),
                }),
              })
              .meta({
                examples: [
                  {
                    since: '2026-03-01T10:00:00.000Z',
                    until: '2026-03-02T10:00:00.000Z',
                    perHour: [
                      { hour: '2026-03-02T08:00:00.000Z', count: 14 },
                      { hour: '2026-03-02T09:00:00.000Z', count: 22 },
                    ],
                    outcomes: [
                      { outcome: 'completed', count: 31 },
                      { outcome: 'no-answer', count: 4 },
                      { outcome: null, count: 1 },
                    ],
                    responseMs: { turns: 212, p50: 640, p95: 1180 },
                  },
                ],
              }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const until = req.query.until ? new Date(req.query.until) : new Date();
        const since = req.query.since ? new Date(req.query.since) : new Date(until.getTime() - DAY_MS);
        if (until.getTime() <= since.getTime()) {
          throw validationFailed('until must be after since', [
            { path: 'querystring.until', message: 'must be after since' },
          ]);
        }
        if (until.getTime() - since.getTime() > 31 * DAY_MS) {
          throw validationFailed('the range is longer than 31 days', [
            { path: 'querystring.since', message: 'at most 31 days before until' },
          ]);
        }
        const s = await store.calls.stats(ws(req), since, until);
        return {
          since: since.toISOString(),
          until: until.toISOString(),
          perHour: s.perHour.map((h) => ({ hour: h.hour.toISOString(), count: h.count })),
          outcomes: s.outcomes,
          responseMs: s.responseMs,
        };
      },
    );

    app.get(
      '/calls/:id',
      {
        schema: {
          tags,
          summary: 'Get a call',
          description:
            'One call with its status history, outcome, the agent version and providers it used, and whether ' +
            'it has a recording (fetch it from `/v1/calls/{id}/recording`). Any role; 404 when no call of ' +
            'this workspace has the id.',
          params: idParams,
          response: { 200: callView, ...stdErrors },
        },
      },
      async (req) => callJson(await store.calls.get(ws(req), req.params.id)),
    );

    app.get(
      '/calls/:id/events',
      {
        schema: {
          tags,
          summary: "A call's events: transcript, tool calls, DTMF, interruptions",
          description:
            'Everything recorded during the call in order (`seq`), each with its type and data; any role. ' +
            'Not paginated. 404 when no call of this workspace has the id.',
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
          description:
            'For each turn, when the caller stopped speaking, the final transcript arrived, the model produced ' +
            'its first token, speech synthesis its first audio, and that audio was sent; a mark is null when ' +
            'the stage did not happen. Any role; 404 when no call of this workspace has the id.',
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
