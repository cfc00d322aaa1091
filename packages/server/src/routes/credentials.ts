import { parseHostRule } from '@switchboard/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

/** The credential the examples name; the API reference test stands a created one in for it. */
export const EXAMPLE_CREDENTIAL_ID = '3c9d2e7a-1b4f-4a8e-9d6c-7e5f4a3b2c1d';

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
  .meta({
    id: 'Credential',
    examples: [
      {
        id: EXAMPLE_CREDENTIAL_ID,
        name: 'openai-production',
        masked: '••••x9Qa',
        allowedHosts: ['llm-proxy.bayviewdental.com'],
        createdAt: '2026-02-11T16:45:02.118Z',
        updatedAt: '2026-02-11T16:45:02.118Z',
      },
    ],
  });

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
          description:
            "The workspace's credentials for any role, each with its name, the last characters of the secret " +
            '(`masked`) and `allowedHosts`; the secret itself is never returned. Webhook signing secrets are ' +
            'credentials too and are listed here (`webhook-signing-secret:…`). ' +
            PAGED,
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
            'Admins only. The secret is encrypted before it is stored and never returned: responses show it ' +
            'masked (`••••` and its last characters). It is sent only to the vendor hosts of the provider type ' +
            'it is used with (e.g. api.openai.com for OpenAI types) and to `allowedHosts`; members who attach it ' +
            'to a provider cannot point it anywhere else. A name already used in the workspace is a 409; a host ' +
            'rule that does not parse is a 400 naming it.',
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100),
              value: secret,
              allowedHosts: allowedHosts.optional(),
            })
            .meta({
              examples: [
                { name: 'openai-production', value: 'sk-proj-4fJ8kQ2mN7pR1sT6vW9yB3cD5eG0hL2x9Qa' },
                {
                  name: 'openai-via-proxy',
                  value: 'sk-proj-7hT3nV8bC1xZ5qW2eR6yU9iO4pA0sD3fG7Lm',
                  allowedHosts: ['llm-proxy.bayviewdental.com', '*.openai.azure.com'],
                },
              ],
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
          description:
            'One credential, masked, for any role; 404 when no credential of this workspace has the id.',
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
            'Admins only; changes only the fields given. A new `value` replaces the secret (encrypted, shown ' +
            'masked) and is used from the next connection. `allowedHosts` replaces the list; providers already ' +
            'pointing at a host taken off it stop connecting (their test answers `not_allowed`). 404 for an ' +
            'unknown credential, 409 for a name already used in the workspace.',
          params: idParams,
          body: z
            .strictObject({
              name: z.string().trim().min(1).max(100).optional(),
              value: secret.optional(),
              allowedHosts: allowedHosts.optional(),
            })
            .meta({
              examples: [
                { value: 'sk-proj-9kL2mP5nQ8rS1tU4vW7xY0zA3bC6dE9fR2Tw' },
                { allowedHosts: ['llm-proxy.bayviewdental.com', '10.20.0.0/16'] },
              ],
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
          description:
            'Admins only. Removes the secret for good. A credential still attached to a provider is a 409 ' +
            '(detach it from the provider or delete the provider first), and so is the signing secret of a ' +
            'webhook (deleting the webhook deletes it). 404 for an unknown credential.',
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
