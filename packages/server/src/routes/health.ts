import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps, SubsystemState } from '../deps.js';

const subsystem = z.object({
  name: z.string(),
  state: z.enum(['up', 'down', 'disabled', 'degraded']),
  detail: z.string().optional(),
});

export const healthRoutes =
  ({ store, subsystems = [], calls }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['health'];
    app.get(
      '/health/live',
      {
        config: { auth: 'public', rateLimit: false },
        schema: {
          tags,
          summary: 'The process is up',
          description:
            'Liveness for an orchestrator: answers 200 while the process can serve HTTP at all, checking ' +
            'nothing else, so a database outage does not get the process restarted. Public (no key) and not ' +
            'rate limited.',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { auth: 'public', rateLimit: false },
        schema: {
          tags,
          summary:
            'Ready to take traffic: database reachable, migrations applied, optional subsystems; 503 `draining` once shutdown began',
          description:
            'Readiness for a load balancer; public (no key) and not rate limited. 200 `ready` when the database ' +
            'answers, every migration is applied and no optional subsystem reports `down` (`degraded` and ' +
            '`disabled` still count as ready). Otherwise 503 `not-ready`, with `checks` saying which part is ' +
            'down. Once shutdown has begun it answers 503 `draining` at once, without checking anything, so ' +
            'the instance leaves the pool while its live calls finish.',
          response: {
            200: z.object({ status: z.enum(['ready', 'not-ready']), checks: z.array(subsystem) }).meta({
              examples: [
                {
                  status: 'ready',
                  checks: [
                    { name: 'database (postgres)', state: 'up' },
                    { name: 'migrations', state: 'up', detail: '14/14 applied' },
                  ],
                },
              ],
            }),
            503: z
              .object({
                status: z.enum(['ready', 'not-ready', 'draining']),
                checks: z.array(subsystem),
              })
              .meta({
                examples: [
                  {
                    status: 'draining',
                    checks: [
                      { name: 'calls', state: 'down', detail: 'shutting down: live calls are finishing' },
                    ],
                  },
                ],
              }),
          },
        },
      },
      async (_req, reply) => {
        // Shutting down: out of the load balancer at once, while live calls finish.
        if (calls?.runner.draining) {
          return reply.status(503).send({
            status: 'draining',
            checks: [{ name: 'calls', state: 'down', detail: 'shutting down: live calls are finishing' }],
          });
        }
        const checks: SubsystemState[] = [];
        try {
          await store.database.ping();
          const m = await store.database.migrationState();
          checks.push({ name: `database (${store.database.kind})`, state: 'up' });
          checks.push({
            name: 'migrations',
            state: m.applied >= m.expected ? 'up' : 'down',
            detail: `${m.applied}/${m.expected} applied`,
          });
        } catch (e) {
          checks.push({
            name: `database (${store.database.kind})`,
            state: 'down',
            detail: (e as Error).message,
          });
        }
        for (const check of subsystems) {
          try {
            checks.push(await check());
          } catch (e) {
            checks.push({ name: 'subsystem', state: 'down', detail: (e as Error).message });
          }
        }
        const ready = checks.every((c) => c.state !== 'down');
        return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
      },
    );
  };
