import { AppError } from '@switchboard/core';
import { API_KEY_ROLES } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { roleAtLeast, ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const exampleKey = {
  id: '3b9d2c1e-7f4a-4e8b-a6d5-0c2f1e9b8a7d',
  name: 'CRM integration',
  prefix: 'sb_4f2a9c1e',
  role: 'member',
  createdBy: '6a1e2f3b-4c5d-4e7f-8a9b-0c1d2e3f4a5b',
  lastUsedAt: null,
  expiresAt: '2027-01-01T00:00:00.000Z',
  revokedAt: null,
  createdAt: '2026-03-02T09:20:44.118Z',
} as const;

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
  .meta({ id: 'ApiKey', examples: [exampleKey] });

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
          description:
            "The workspace's API keys with their visible prefix, role, expiry and last use; the secret part " +
            'is never shown again after creation. Needs the admin role. Revoked keys are left out unless ' +
            '`includeRevoked=true`. ' +
            PAGED,
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
          description:
            'Creates a key for scripts and integrations, sent as `Authorization: Bearer <key>`. The key is in ' +
            'this response once and never again; only its hash is stored, so keep it now. Needs the admin ' +
            'role, and the key cannot have more rights than you (403). `role` defaults to member; without ' +
            '`expiresAt` the key lasts until revoked.',
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100),
              role: z.enum(API_KEY_ROLES).default('member'),
              expiresAt: timestamp.optional(),
            })
            .meta({
              examples: [{ name: 'CRM integration', role: 'member', expiresAt: '2027-01-01T00:00:00Z' }],
            }),
          response: {
            201: keyView.extend({ key: z.string().describe('the whole key; shown only here') }).meta({
              examples: [{ ...exampleKey, key: 'sb_4f2a9c1e_kT9vXw1mZr8LpQe3NcYb7HdJ5sUaG2fR' }],
            }),
            ...stdErrors,
          },
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
          description:
            'Stops the key working at once and returns it with `revokedAt` set; the row stays for the audit ' +
            'trail. Needs the admin role. 404 for an unknown or already revoked key.',
          params: idParams,
          response: { 200: keyView, ...stdErrors },
        },
      },
      async (req) => json(await store.apiKeys.revoke(ws(req), req.params.id)),
    );
  };
