import { DialerLimits } from '@switchboard/dialer';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { stdErrors } from '../schemas.js';

const limitsView = z
  .object({
    maxConcurrentCalls: z.number().int().nullable(),
    callsPerSecondPerNumber: z.number().int().nullable(),
    effective: z.object({
      maxConcurrentCalls: z.number().int(),
      callsPerSecondPerNumber: z.number().int(),
    }),
  })
  .meta({
    id: 'DialerLimits',
    examples: [
      {
        maxConcurrentCalls: 20,
        callsPerSecondPerNumber: null,
        effective: { maxConcurrentCalls: 20, callsPerSecondPerNumber: 1 },
      },
    ],
  });

/** The workspace's outbound limits, enforced across every dialer process. */
export const dialerLimitRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['calls'];
    const limits = new DialerLimits(store.database.db);

    app.get(
      '/dialer-limits',
      {
        schema: {
          tags,
          summary: "Get the workspace's outbound call limits",
          description:
            '`null` means the platform default; `effective` is what the dialer applies. Limits hold across ' +
            'every dialer process: concurrent outbound calls in the workspace (campaign calls included; a ' +
            "campaign's `maxConcurrency` limits it further) and calls started per second on each number. " +
            'Any role may read them.',
          response: { 200: limitsView, ...stdErrors },
        },
      },
      async (req) => limits.get(ws(req)),
    );

    app.put(
      '/dialer-limits',
      {
        config: { role: 'admin' },
        schema: {
          tags,
          summary: "Set the workspace's outbound call limits",
          description:
            'Replaces both limits; `null` returns one to the platform default. New calls are claimed under ' +
            'the new limits at once; calls in progress are not ended. Needs the admin role.',
          body: z
            .strictObject({
              maxConcurrentCalls: z.number().int().min(1).max(10_000).nullable(),
              callsPerSecondPerNumber: z.number().int().min(1).max(1000).nullable(),
            })
            .meta({ examples: [{ maxConcurrentCalls: 20, callsPerSecondPerNumber: null }] }),
          response: { 200: limitsView, ...stdErrors },
        },
      },
      async (req) => limits.set(ws(req), req.body),
    );
  };
