import { AppError } from '@switchboard/core';
import { API_KEY_ROLES } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { roleAtLeast, ws } from '../plugins/auth.js';
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const keyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('the visible start of the key'),
    role: z.enum(API_KEY_ROLES),
    createdBy: z.uuid().nullable(),
    lastUsedAt: timestamp.nullable(),
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'ApiKey' });

export const apiKeyRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['api keys'];
    const admin = { role: 'admin' as const };

    app.get(
      '/api-keys',
      {
        config: admin,
        schema: {
          tags,
          summary: 'List API keys (never the keys themselves)',
          querystring: z.strictObject({ ...pageQuery, includeRevoked: z.stringbool().optional() }),
          response: { 200: page(keyView), ...stdErrors },
        },
      },
      async (req) => json(await store.apiKeys.list(ws(req), req.query)),
    );

    app.post(
      '/api-keys',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create an API key',
          description: 'The key is in the response once; only its hash is stored.',
          body: z.strictObject({
            name: z.string().trim().min(1).max(100),
            role: z.enum(API_KEY_ROLES).default('member'),
            expiresAt: timestamp.optional(),
          }),
          response: { 201: keyView.extend({ key: z.string() }), ...stdErrors },
        },
      },
      async (req, reply) => {
        if (!roleAtLeast(req.auth!.role, req.body.role)) {
          throw new AppError(
            'forbidden',
            `you cannot create a key with more rights (${req.body.role}) than your own`,
          );
        }
        const { apiKey, key } = await store.apiKeys.create(ws(req), {
          name: req.body.name,
          role: req.body.role,
          expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : undefined,
          createdBy: req.auth?.userId,
        });
        return reply.status(201).send({ ...json(apiKey), key });
      },
    );

    app.delete(
      '/api-keys/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Revoke an API key',
          params: idParams,
          response: { 200: keyView, ...stdErrors },
        },
      },
      async (req) => json(await store.apiKeys.revoke(ws(req), req.params.id)),
    );
  };
