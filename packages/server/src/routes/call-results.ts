import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { agentConfigSchema, analysisEnabled, conflict, notFound } from '@switchboard/core';
import type { CallAnalysisRow } from '@switchboard/events';
import { AnalysesRepo, createEventsApi, externalUpdatesBody } from '@switchboard/events';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { SESSION_COOKIE, ws } from '../plugins/auth.js';
import { send } from '../plugins/errors.js';
import { idParams, json, stdErrors, timestamp } from '../schemas.js';

const analysisView = z
  .object({
    callId: z.uuid(),
    status: z.enum(['pending', 'done', 'failed']),
    attempts: z.number().int(),
    summary: z.string().nullable(),
    fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullable(),
    provider: z.string().nullable().describe('the LLM reference that produced it'),
    error: z.string().nullable().describe("the last attempt's error"),
    completedAt: timestamp.nullable(),
    updatedAt: timestamp,
  })
  .meta({
    id: 'CallAnalysis',
    examples: [
      {
        callId: '8e4a1b2c-3d5f-4a6b-9c7d-0e1f2a3b4c5d',
        status: 'done',
        attempts: 1,
        summary: 'Ana asked to move her cleaning to next Tuesday; the agent booked 10:30 am.',
        fields: { appointment_booked: true, reason: 'reschedule' },
        provider: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
        error: null,
        completedAt: '2026-03-02T10:08:12.415Z',
        updatedAt: '2026-03-02T10:08:12.415Z',
      },
    ],
  });

/** Results coming in from runtimes outside Switchboard, and recordings going out. */
export const callResultRoutes =
  ({ store, config, internalToken }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const events = createEventsApi({
      store,
      publicUrl: config.publicUrl,
      internalToken,
      mqtt: !!config.MQTT_URL,
    });
    const tags = ['calls'];
    const analyses = new AnalysesRepo(store.database.db);
    const analysisJson = (r: CallAnalysisRow) =>
      json({
        callId: r.callId,
        status: r.status,
        attempts: r.attempts,
        summary: r.summary,
        fields: r.fields,
        provider: r.provider,
        error: r.lastError,
        completedAt: r.completedAt,
        updatedAt: r.updatedAt,
      });

    app.get(
      '/calls/:id/analysis',
      {
        schema: {
          tags,
          summary: "A call's post-call analysis",
          description:
            'Present when the agent version that ran the call defines `analysis` (a summary and/or fields). ' +
            'It is also delivered as the `call.analyzed` event. `status` is pending until the analyst ' +
            'answers, then done or failed (with the last error). Any role; 404 for an unknown call or one ' +
            'without analysis.',
          params: idParams,
          response: { 200: analysisView, ...stdErrors },
        },
      },
      async (req) => {
        await store.calls.get(ws(req), req.params.id);
        const row = await analyses.get(ws(req), req.params.id);
        if (!row) throw notFound('analysis for call', req.params.id);
        return analysisJson(row);
      },
    );

    app.post(
      '/calls/:id/analysis',
      {
        schema: {
          tags,
          summary: 'Analyse an ended call (again)',
          description:
            'Queues post-call analysis with the analysis settings of the agent version that ran the call; a new ' +
            '`call.analyzed` event follows. Use it after a failed analysis or to fill in fields added since. ' +
            'Answers 202 with the analysis as pending. Needs the member role; 409 while the call has not ' +
            'ended or when its agent version defines no analysis; 404 for an unknown call.',
          params: idParams,
          response: { 202: analysisView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const call = await store.calls.get(ws(req), req.params.id);
        if (call.status !== 'ended') throw conflict('the call has not ended yet');
        const version =
          call.agentId && call.agentVersion !== null
            ? await store.agents.getVersion(ws(req), call.agentId, call.agentVersion).catch(() => null)
            : null;
        const parsed = version ? agentConfigSchema.safeParse(version.config) : undefined;
        if (!parsed?.success || !analysisEnabled(parsed.data.analysis)) {
          throw conflict('the agent version that ran this call defines no analysis');
        }
        await analyses.request(ws(req), call.id, new Date());
        const row = await analyses.get(ws(req), call.id);
        return reply.code(202).send(analysisJson(row!));
      },
    );

    app.post(
      '/calls/external-updates',
      {
        schema: {
          tags,
          summary: 'Report call status from a runtime outside Switchboard',
          description:
            'The batch array queue-driven calling systems use. Idempotent per (call_id, status): repeating a ' +
            'batch changes nothing. An unknown call_id creates an external call. Each accepted update ' +
            'publishes the matching call event to webhooks and MQTT. `call_id` is matched against the ' +
            "call's id, its external id or its `customCallId`. A final outcome as `status` (completed, busy, …) " +
            'ends the call with that outcome. 1–500 updates per request; the answer lists, by index, the ' +
            'call each one landed on and whether it changed anything. Needs the member role.',
          body: externalUpdatesBody.meta({
            examples: [
              [
                {
                  call_id: 'job-48213',
                  campaign_id: 'spring-recall',
                  phone_number: '+14155550187',
                  status: 'in-progress',
                  start_time: '2026-03-02T10:05:02Z',
                },
                {
                  call_id: 'job-48213',
                  status: 'completed',
                  duration_seconds: 164,
                  end_time: '2026-03-02T10:07:46Z',
                  transcript: [
                    {
                      role: 'assistant',
                      text: 'Hi Ana, this is Bayview Dental calling about your cleaning.',
                    },
                    { role: 'user', text: 'Oh right, can we move it to Tuesday?' },
                  ],
                  variables: { patientName: 'Ana' },
                },
              ],
            ],
          }),
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  index: z.number().int(),
                  callId: z.uuid(),
                  status: z.string(),
                  applied: z.boolean(),
                }),
              ),
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => ({ data: await events.externalUpdates.apply(ws(req), req.body) }),
    );

    app.get(
      '/calls/:id/recording',
      {
        // Signed links work without credentials; the handler checks one or the other.
        config: { auth: 'public' },
        schema: {
          tags,
          summary: "A call's recording (WAV)",
          description:
            'Send an API key or session, or use the signed, expiring link from the call.ended webhook ' +
            '(`?expires=…&sig=…`). Any role may fetch a recording. Answers 404 when the call has none ' +
            '(recording turned off for its agent, or nothing recorded); 401 when the link is invalid or expired. ' +
            'A single `Range: bytes=…` is answered with 206 and that part (416 outside the file), so players can seek.',
          params: idParams,
          querystring: z.object({
            expires: z.string().max(20).optional(),
            sig: z.string().max(128).optional(),
          }),
          produces: ['audio/wav'],
          response: {
            200: z.any().describe('audio/wav'),
            206: z.any().describe('audio/wav: the byte range asked for'),
            ...stdErrors,
          },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        let workspaceId: string | undefined;
        if (req.query.sig || req.query.expires) {
          if (!events.links.verify(id, req.query.expires, req.query.sig)) {
            return send(reply, 401, 'unauthorized', 'the recording link is invalid or has expired');
          }
        } else {
          workspaceId = await authenticate(req.headers.authorization, req.cookies[SESSION_COOKIE]);
          if (!workspaceId) {
            return send(
              reply,
              401,
              'unauthorized',
              'send an API key as "Authorization: Bearer <key>", log in, or use a signed link',
            );
          }
        }
        const [call] = await store.database.db.query.calls.findMany({
          where: (c, { and, eq }) =>
            workspaceId ? and(eq(c.id, id), eq(c.workspaceId, workspaceId)) : eq(c.id, id),
          columns: { recordingPath: true },
          limit: 1,
        });
        const path = call?.recordingPath;
        const size = path
          ? await stat(path).then(
              (s) => (s.isFile() ? s.size : null),
              () => null,
            )
          : null;
        if (!path || size === null) return send(reply, 404, 'not_found', `call ${id} has no recording`);
        reply.header('content-type', 'audio/wav').header('cache-control', 'private, no-store');
        reply.header('accept-ranges', 'bytes');
        // One byte range (`bytes=a-b`, `a-` or `-n`), so a browser's player can seek.
        const range = byteRange(req.headers.range, size);
        if (range === 'unsatisfiable') {
          return reply.status(416).header('content-range', `bytes */${size}`).send();
        }
        if (range) {
          return reply
            .status(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
            .header('content-length', range.end - range.start + 1)
            .send(createReadStream(path, range));
        }
        return reply.header('content-length', size).send(createReadStream(path));
      },
    );

    /** The same checks the auth hook makes for `user` routes; any role may read a recording. */
    async function authenticate(authorization: string | undefined, cookie: string | undefined) {
      const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
      if (bearer) return (await store.apiKeys.authenticate(bearer))?.workspaceId;
      if (cookie) return (await store.accounts.findSession(cookie))?.workspaceId;
      return undefined;
    }
  };

/**
 * The one byte range a `Range` header asks for, within a file of `size` bytes; undefined for no
 * header or one this does not serve (several ranges, other units: the whole file is sent), and
 * 'unsatisfiable' for a range outside the file.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
