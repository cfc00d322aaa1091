import { type CallerIdPool, CallerIdPools } from '@switchboard/dialer';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { e164, idParams, json, PAGED, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const poolName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/,
    'expected 1–64 letters, digits, spaces, dots, dashes or underscores',
  );
const poolNumbers = z.array(e164).min(1).max(100);

const poolView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    numbers: z.array(z.string()),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({
    id: 'CallerIdPool',
    examples: [
      {
        id: 'b7e3c9a1-2f4d-4e6a-8b0c-3d5f7a9c1e2b',
        name: 'Bay Area reminders',
        numbers: ['+14155550123', '+14155550124'],
        createdAt: '2026-03-01T15:20:00.000Z',
        updatedAt: '2026-03-01T15:20:00.000Z',
      },
    ],
  });

const view = ({ workspaceId: _w, ...rest }: CallerIdPool) => json(rest);

/** Caller-ID pools: sets of the workspace's numbers that outbound calls and campaigns rotate through. */
export const callerIdPoolRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['caller-ID pools'];
    const admin = { role: 'admin' as const };
    const pools = new CallerIdPools(store.database.db);

    app.get(
      '/caller-id-pools',
      {
        schema: {
          tags,
          summary: 'List caller-ID pools, newest first',
          description: "The workspace's caller-ID pools with their numbers, for any role. " + PAGED,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(poolView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await pools.list(ws(req), req.query);
        return { data: r.data.map(view), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/caller-id-pools',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create a caller-ID pool',
          description:
            'A named set of numbers the workspace owns. Its id (or name) as `from` of `POST /v1/calls` or ' +
            '`callerId` of a campaign sends calls out on its numbers in turn, each within its calls-per-second ' +
            'limit. Every number must be registered under `/v1/phone-numbers` and listed once (400 naming ' +
            'it otherwise), 1–100 of them; the name may not look like a number or an id, and one already ' +
            'used is a 409. Needs the admin role.',
          body: z
            .strictObject({ name: poolName, numbers: poolNumbers })
            .meta({ examples: [{ name: 'Bay Area reminders', numbers: ['+14155550123', '+14155550124'] }] }),
          response: { 201: poolView, ...stdErrors },
        },
      },
      async (req, reply) => reply.status(201).send(view(await pools.create(ws(req), req.body))),
    );

    app.get(
      '/caller-id-pools/:id',
      {
        schema: {
          tags,
          summary: 'Get a caller-ID pool',
          description: 'One pool with its numbers; any role. 404 when no pool of this workspace has the id.',
          params: idParams,
          response: { 200: poolView, ...stdErrors },
        },
      },
      async (req) => view(await pools.get(ws(req), req.params.id)),
    );

    app.patch(
      '/caller-id-pools/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Rename a caller-ID pool or replace its numbers',
          description:
            'Campaigns that name the pool follow a rename. Calls already queued keep the numbers they were ' +
            'queued with. `numbers` replaces the whole list, checked as on create; a refused edit changes ' +
            'nothing. Needs the admin role; 404 for an unknown pool, 409 for a name already used.',
          params: idParams,
          body: z.strictObject({ name: poolName.optional(), numbers: poolNumbers.optional() }).meta({
            examples: [
              { numbers: ['+14155550123', '+14155550124'] },
              { name: 'Bay Area reminders - weekdays' },
            ],
          }),
          response: { 200: poolView, ...stdErrors },
        },
      },
      async (req) => view(await pools.update(ws(req), req.params.id, req.body)),
    );

    app.delete(
      '/caller-id-pools/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a caller-ID pool',
          description:
            'Refused (409) while an active or paused campaign dials from it. The numbers themselves stay ' +
            'registered. Needs the admin role; 404 for an unknown pool.',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await pools.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
