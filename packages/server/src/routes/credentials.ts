import { parseHostRule } from '@switchboard/core';
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
    allowedHosts: z
      .array(z.string())
      .describe(
        "hosts this secret may be sent to besides the vendor's own (the provider type's, e.g. api.openai.com)",
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Credential' });

const secret = z.string().min(1).max(20_000).describe('the secret; write-only, never returned');

const hostRule = z
  .string()
  .trim()
  .min(1)
  .max(260)
  .superRefine((v, ctx) => {
    const r = parseHostRule(v);
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `"${v}" ${r}` });
  });

const allowedHosts = z
  .array(hostRule)
  .max(50)
  .describe(
    "Hosts this secret may be sent to besides the vendor's own, for a proxy, Azure or a self-hosted server: " +
      '`host`, `host:port`, `*.domain` (sub-domains only), an IP address or a CIDR range. Providers that use ' +
      'the credential may point only at the vendor hosts of their type and these. Admins only; replaces the list.',
  );
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
          description:
            'Admins only. The secret is sent only to the vendor hosts of the provider type it is used with ' +
            '(e.g. api.openai.com for OpenAI types) and to `allowedHosts`; members who attach it to a provider ' +
            'cannot point it anywhere else.',
          body: z.strictObject({
            name: z.string().trim().min(1).max(100),
            value: secret,
            allowedHosts: allowedHosts.optional(),
          }),
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
          summary: 'Rename, rotate or change where a credential may be sent',
          description:
            'Admins only. `allowedHosts` replaces the list; providers already pointing at a host taken off it ' +
            'stop connecting (their test answers `not_allowed`).',
          params: idParams,
          body: z.strictObject({
            name: z.string().trim().min(1).max(100).optional(),
            value: secret.optional(),
            allowedHosts: allowedHosts.optional(),
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
