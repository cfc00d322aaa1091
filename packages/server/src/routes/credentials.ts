import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const credentialView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    masked: z.string().describe('the last characters of the secret, e.g. ••••abcd'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Credential' });

const secret = z.string().min(1).max(20_000).describe('the secret; write-only, never returned');
const view = <T extends { workspaceId: string }>({ workspaceId: _w, ...rest }: T) => json(rest);

export const credentialRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['credentials'];
    const admin = { role: 'admin' as const };

    app.get(
      '/credentials',
      {
        schema: {
          tags,
          summary: 'List credentials (masked)',
          querystring: z.strictObject(pageQuery),
          response: { 200: page(credentialView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.credentials.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/credentials',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Store a credential (encrypted at rest)',
          body: z.strictObject({ name: z.string().trim().min(1).max(100), value: secret }),
          response: { 201: credentialView, ...stdErrors },
        },
      },
      async (req, reply) => reply.status(201).send(view(await store.credentials.create(ws(req), req.body))),
    );

    app.get(
      '/credentials/:id',
      {
        schema: {
          tags,
          summary: 'Get a credential (masked)',
          params: idParams,
          response: { 200: credentialView, ...stdErrors },
        },
      },
      async (req) => view(await store.credentials.get(ws(req), req.params.id)),
    );

    app.patch(
      '/credentials/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Rename or rotate a credential',
          params: idParams,
          body: z.strictObject({
            name: z.string().trim().min(1).max(100).optional(),
            value: secret.optional(),
          }),
          response: { 200: credentialView, ...stdErrors },
        },
      },
      async (req) => view(await store.credentials.update(ws(req), req.params.id, req.body)),
    );

    app.delete(
      '/credentials/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a credential',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.credentials.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
