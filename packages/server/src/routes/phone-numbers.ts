import { CONNECTORS, type PhoneNumber } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, numberOrSipUser, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const numberView = z
  .object({
    id: z.uuid(),
    number: z.string(),
    connector: z.enum(CONNECTORS),
    agentId: z.uuid().nullable(),
    label: z.string().nullable(),
    configUrl: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'PhoneNumber',
    examples: [
      {
        id: '5d2c8e1f-9a3b-4c7d-8e6f-1a2b3c4d5e6f',
        number: '+14155550123',
        connector: 'twilio',
        agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d',
        label: 'Main line',
        configUrl: null,
        createdAt: '2026-02-11T16:52:40.310Z',
        updatedAt: '2026-02-11T16:52:40.310Z',
      },
    ],
  });

const view = ({ workspaceId: _w, ...rest }: PhoneNumber) => json(rest);
const configUrl = z
  .url({ protocol: /^https?$/ })
  .nullable()
  .describe(
    "asked at each call's start for per-call overrides (`{ config?, variables? }`) merged into the " +
      'published version; any failure falls back to the published version',
  );

export const phoneNumberRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['phone numbers'];
    const admin = { role: 'admin' as const };

    app.get(
      '/phone-numbers',
      {
        schema: {
          tags,
          summary: 'List phone numbers',
          description:
            "The workspace's numbers and SIP users with the agent each is routed to, for any role; filter by " +
            '`connector` or `agentId`. ' +
            PAGED,
          querystring: z.strictObject({
            ...pageQuery,
            connector: z.enum(CONNECTORS).optional(),
            agentId: z.uuid().optional(),
          }),
          response: { 200: page(numberView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.phoneNumbers.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/phone-numbers',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Register a number',
          description:
            'An E.164 number or a SIP user, carried by one connector. Without `agentId` it is answered by ' +
            "the workspace's default inbound agent. Needs the admin role. Numbers must be valid for their " +
            'country code, so made-up ones such as +15555550100 are a 400. A number is registered once per ' +
            'connector across the whole deployment (409 if taken); an `agentId` not in the workspace is a 404.',
          body: z
            .strictObject({
              number: numberOrSipUser,
              connector: z.enum(CONNECTORS),
              agentId: z.uuid().nullable().optional(),
              label: z.string().max(100).nullable().optional(),
              configUrl: configUrl.optional(),
            })
            .meta({
              examples: [
                { number: '+14155550123', connector: 'twilio', label: 'Main line' },
                {
                  number: '+14155550124',
                  connector: 'twilio',
                  label: 'Reminders',
                  configUrl: 'https://crm.bayviewdental.com/switchboard/call-config',
                },
                { number: 'frontdesk', connector: 'sip', agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d' },
              ],
            }),
          response: { 201: numberView, ...stdErrors },
        },
      },
      async (req, reply) => reply.status(201).send(view(await store.phoneNumbers.create(ws(req), req.body))),
    );

    app.get(
      '/phone-numbers/:id',
      {
        schema: {
          tags,
          summary: 'Get a number',
          description:
            'One number with its routing; any role. 404 when no number of this workspace has the id.',
          params: idParams,
          response: { 200: numberView, ...stdErrors },
        },
      },
      async (req) => view(await store.phoneNumbers.get(ws(req), req.params.id)),
    );

    app.patch(
      '/phone-numbers/:id',
      {
        schema: {
          tags,
          summary: 'Edit a number (route it to another agent, relabel)',
          description:
            'Updates only the fields given; `agentId: null` hands the number back to the default inbound ' +
            'agent. The next call to the number follows the change. Needs the member role (registering and ' +
            'removing numbers need admin). The number and connector cannot change. 404 for an unknown ' +
            'number, or an `agentId` not in the workspace.',
          params: idParams,
          body: z
            .strictObject({
              agentId: z.uuid().nullable().optional(),
              label: z.string().max(100).nullable().optional(),
              configUrl: configUrl.optional(),
            })
            .meta({
              examples: [
                { agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d', label: 'Main line (front desk)' },
                { agentId: null, configUrl: null },
              ],
            }),
          response: { 200: numberView, ...stdErrors },
        },
      },
      async (req) => view(await store.phoneNumbers.update(ws(req), req.params.id, req.body)),
    );

    app.delete(
      '/phone-numbers/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove a number',
          description:
            'Unregisters the number: calls to it are no longer answered. Past calls stay. Needs the admin ' +
            'role; 404 when no number of this workspace has the id.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.phoneNumbers.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
