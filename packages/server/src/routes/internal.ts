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
          body: z.union([
            z.strictObject({ agentId: z.uuid(), workspaceId: z.uuid().optional() }),
            z.strictObject({ connector: z.enum(CONNECTORS), number: z.string().min(1).max(64) }),
            z.strictObject({ workspaceId: z.uuid(), direction: z.enum(['inbound', 'outbound']) }),
          ]),
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
