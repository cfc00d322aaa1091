import type { AgentSnapshot } from '@switchboard/core';
import { CONNECTORS } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { stdErrors } from '../schemas.js';

/** Endpoints for workers and other processes of this deployment, behind the internal token. */
export const internalRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['internal'];
    app.post(
      '/agents/resolve',
      {
        config: { auth: 'internal' },
        schema: {
          tags,
          summary: 'Resolve what answers a call (agent id, number, or workspace default)',
          description:
            "For this deployment's workers, with the internal token (`X-Internal-Token` or bearer); user " +
            'credentials get a 401. Returns the published version that would answer: the agent named, the ' +
            'agent a registered number routes to (else the default inbound agent, with the number and its ' +
            'configuration URL), or the default agent for a direction. 404 when there is none or the agent ' +
            'has no published version. Publishing reaches the answer at once in every process.',
          body: z
            .union([
              z.strictObject({ agentId: z.uuid(), workspaceId: z.uuid().optional() }),
              z.strictObject({ connector: z.enum(CONNECTORS), number: z.string().min(1).max(64) }),
              z.strictObject({ workspaceId: z.uuid(), direction: z.enum(['inbound', 'outbound']) }),
            ])
            .meta({
              examples: [
                { connector: 'twilio', number: '+14155550123' },
                { agentId: '0f8b7c3e-2d4a-4b6e-9c1d-5e7f8a9b0c1d' },
                { workspaceId: '9c4f1a2b-3d5e-4f60-8a7b-1c2d3e4f5a6b', direction: 'outbound' },
              ],
            }),
          response: {
            200: z.object({
              agentId: z.uuid(),
              workspaceId: z.uuid(),
              name: z.string(),
              version: z.number().int(),
              config: z.record(z.string(), z.unknown()),
              configUrl: z.string().optional(),
              phoneNumberId: z.uuid().optional(),
            }),
            ...stdErrors,
          },
        },
      },
      async (req) => {
        const r = await store.resolver.resolveAgent(req.body);
        return { ...r, config: r.config as unknown as Record<string, unknown> } satisfies Omit<
          AgentSnapshot,
          'config'
        > & {
          config: Record<string, unknown>;
        };
      },
    );
  };
