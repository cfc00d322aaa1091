import { PROVIDER_TEST_CODES } from '@switchboard/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { errorResponse, idParams, stdErrors } from '../schemas.js';

const testResult = z
  .object({
    ok: z.boolean(),
    code: z.enum(PROVIDER_TEST_CODES),
    message: z.string(),
    latencyMs: z.number().int().nonnegative(),
  })
  .meta({
    id: 'ProviderTestResult',
    examples: [
      { ok: true, code: 'ok', message: 'https://api.openai.com accepted the credentials', latencyMs: 212 },
      {
        ok: false,
        code: 'bad_credentials',
        message: 'HTTP 401: https://api.openai.com rejected the key',
        latencyMs: 187,
      },
    ],
  });

/** `POST /providers/{id}/test`: checks a stored provider's settings and credential against its service. */
export const providerTestRoutes =
  ({ store, providerTester }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/providers/:id/test',
      {
        schema: {
          tags: ['providers'],
          summary: 'Check a provider against its service',
          description:
            'Needs the member role (it contacts the service with the stored secret). One cheap authenticated ' +
            'read against the service (never a billed request); `ok` is true only with `code: ok`. A failed check is ' +
            'still a 200: `code` says what is wrong (`bad_credentials`, `no_access`, `unreachable`, `timeout`, ' +
            '`bad_settings`, `not_allowed`, `unsupported`). `not_allowed`: the endpoint is not a host the ' +
            "provider's credential may be sent to (an admin adds it to the credential's `allowedHosts`), or it " +
            'is a private address the server does not reach (`OUTBOUND_ALLOW_PRIVATE_NETWORKS`, ' +
            "`OUTBOUND_ALLOWED_HOSTS`); nothing was sent. `message` is in our own words: the service's " +
            'response body is never quoted, and the secret never appears in it. 404 for a provider not in the ' +
            'workspace (nothing is contacted); 501 when this server runs without provider checks.',
          params: idParams,
          response: { 200: testResult, 501: errorResponse, ...stdErrors },
        },
      },
      async (req, reply) => {
        // A provider of another workspace or none at all is a 404 before anything is contacted.
        await store.providers.get(ws(req), req.params.id);
        if (!providerTester) {
          return reply.status(501).send({
            error: {
              code: 'unavailable',
              message: 'provider checks are not enabled on this server',
              details: [],
            },
          });
        }
        return providerTester(ws(req), req.params.id);
      },
    );
  };
