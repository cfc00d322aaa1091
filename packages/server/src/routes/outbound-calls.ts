import { acquireDialQueue, OutboundCalls } from '@switchboard/dialer';
import type { Call } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { e164, idParams, json, stdErrors, timestamp } from '../schemas.js';

export const outboundCallView = z
  .object({
    id: z.uuid(),
    agentId: z.uuid().nullable(),
    campaignId: z.uuid().nullable(),
    direction: z.string(),
    connector: z.string(),
    from: z.string(),
    to: z.string(),
    status: z.string(),
    statusProgression: z.array(z.object({ status: z.string(), at: z.string() })),
    outcome: z.string().nullable(),
    endedReason: z.string().nullable(),
    customCallId: z.string().nullable(),
    variables: z.record(z.string(), z.string()),
    agentOverrides: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The agent fields this call changes, as the request gave them'),
    error: z.string().nullable(),
    queuedAt: timestamp,
    endedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({
    id: 'OutboundCall',
    examples: [
      {
        id: '2b7e9f4c-6d1a-4e3b-8c5f-9a0d1e2f3b4c',
        agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
        campaignId: null,
        direction: 'outbound',
        connector: 'twilio',
        from: '+14155550123',
        to: '+14155552671',
        status: 'queued',
        statusProgression: [{ status: 'queued', at: '2026-03-04T15:02:11.480Z' }],
        outcome: null,
        endedReason: null,
        customCallId: 'appt-reminder-88213',
        variables: { firstName: 'Maria', appointmentTime: 'Thursday at 10:30' },
        agentOverrides: { greeting: 'Hi {{firstName}}, this is Ana from the clinic.' },
        error: null,
        queuedAt: '2026-03-04T15:02:11.480Z',
        endedAt: null,
        createdAt: '2026-03-04T15:02:11.480Z',
      },
    ],
  });

export const outboundView = (c: Call) =>
  json({
    id: c.id,
    agentId: c.agentId,
    campaignId: c.campaignId,
    direction: c.direction,
    connector: c.connector,
    from: c.fromNumber,
    to: c.toNumber,
    status: c.status,
    statusProgression: c.statusProgression,
    outcome: c.outcome,
    endedReason: c.endedReason,
    customCallId: c.customCallId,
    variables: c.variables,
    agentOverrides: c.agentOverrides,
    error: c.error,
    queuedAt: c.queuedAt,
    endedAt: c.endedAt,
    createdAt: c.createdAt,
  });

const variableName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/);

/** Placing single outbound calls. The queue starts on first use, on the platform's database. */
export const outboundCallRoutes =
  ({ store, logger }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['calls'];
    const { queue, release } = acquireDialQueue(store.database, { logger });
    app.addHook('onClose', release);
    const calls = new OutboundCalls(store, queue);

    app.post(
      '/calls',
      {
        config: { role: 'member' },
        schema: {
          tags,
          summary: 'Place an outbound call',
          description:
            'Needs the member role. Queues a call and returns at once (202); follow it with `GET /v1/calls/{id}` ' +
            'or webhooks. `agent` must be a published agent of the workspace (400 otherwise). `scheduledAt` ' +
            'holds the call until then. `from` is a number the workspace owns, a list of them, or ' +
            'the id or name of a caller-ID pool (`/v1/caller-id-pools`); with several numbers the call goes out ' +
            'on the next one in turn that has room under its calls-per-second limit (`/v1/dialer-limits`). ' +
            "`variables` fill the agent's `{{…}}` placeholders; each one the agent uses " +
            'without a default is required. `agentOverrides` changes any agent field for this call only ' +
            '(greeting, systemPrompt, voice, tools, turnTaking…): it is merged into the published version ' +
            'as `PATCH /v1/agents/{id}` merges a draft (objects key by key; arrays and values replaced; ' +
            '`null` removes an optional field) and the result is validated like an agent document, each ' +
            'bad field named under `body.agentOverrides` (400). The call keeps the merged document ' +
            '(`agentConfig` on `GET /v1/calls/{id}`). Repeating a request with the same `customCallId` returns the same ' +
            'call and never places a second one (with the `idempotent-replayed: true` header). 400 also when ' +
            '`from` names a number or pool the workspace does not own.',
          body: z
            .strictObject({
              agent: z.uuid(),
              to: e164,
              from: z.union([z.string().min(1).max(100), z.array(e164).min(1).max(100)]),
              variables: z.record(variableName, z.string().max(2000)).optional(),
              scheduledAt: timestamp.optional(),
              customCallId: z.string().min(1).max(200).optional(),
              agentOverrides: z.record(z.string(), z.unknown()).optional(),
            })
            .meta({
              examples: [
                {
                  agent: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
                  to: '+14155552671',
                  from: '+14155550123',
                  variables: { firstName: 'Maria', appointmentTime: 'Thursday at 10:30' },
                  customCallId: 'appt-reminder-88213',
                  agentOverrides: {
                    greeting: 'Hi {{firstName}}, this is Ana from the clinic.',
                    turnTaking: { endOfTurnSilenceMs: 900 },
                  },
                },
                {
                  agent: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
                  to: '+14155552672',
                  from: ['+14155550123', '+14155550124'],
                  scheduledAt: '2030-03-05T17:00:00.000Z',
                },
              ],
            }),
          response: { 202: outboundCallView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const { call, created } = await calls.create(ws(req), {
          agentId: b.agent,
          to: b.to,
          from: b.from,
          variables: b.variables,
          scheduledAt: b.scheduledAt ? new Date(b.scheduledAt) : undefined,
          customCallId: b.customCallId,
          agentOverrides: b.agentOverrides,
        });
        req.log.info({ callId: call.id, created, pii: { to: b.to } }, 'outbound call queued');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.status(202).send(outboundView(call));
      },
    );

    app.post(
      '/calls/:id/cancel',
      {
        config: { role: 'member' },
        schema: {
          tags,
          summary: 'Cancel an outbound call',
          description:
            'Needs the member role. A call not dialled yet ends at once as cancelled (a campaign contact it was ' +
            'for is cancelled too); one in progress is hung up and ends shortly after, with its own outcome. ' +
            '404 for an unknown or inbound call; 409 when the call has already ended.',
          params: idParams,
          response: { 202: outboundCallView, ...stdErrors },
        },
      },
      async (req, reply) => reply.status(202).send(outboundView(await calls.cancel(ws(req), req.params.id))),
    );
  };
