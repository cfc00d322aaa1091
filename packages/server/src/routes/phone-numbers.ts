import { CONNECTORS, type PhoneNumber } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, numberOrSipUser, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

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
  .meta({ id: 'PhoneNumber' });

const view = ({ workspaceId: _w, ...rest }: PhoneNumber) => json(rest);
const configUrl = z.url({ protocol: /^https?$/ }).nullable();

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
            "the workspace's default inbound agent.",
          body: z.strictObject({
            number: numberOrSipUser,
            connector: z.enum(CONNECTORS),
            agentId: z.uuid().nullable().optional(),
            label: z.string().max(100).nullable().optional(),
            configUrl: configUrl.optional(),
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
          params: idParams,
          body: z.strictObject({
            agentId: z.uuid().nullable().optional(),
            label: z.string().max(100).nullable().optional(),
            configUrl: configUrl.optional(),
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
