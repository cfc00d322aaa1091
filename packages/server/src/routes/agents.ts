import { type AgentConfig, AppError, agentConfigSchema } from '@switchboard/core';
import type { Agent, AgentVersion } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { ws } from '../plugins/auth.js';
import { idParams, json, page, pageQuery, stdErrors, timestamp } from '../schemas.js';

const agentView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    draft: agentConfigSchema,
    draftUpdatedAt: timestamp,
    currentVersion: z.number().int().nullable(),
    hasUnpublishedChanges: z.boolean(),
    defaultInbound: z.boolean(),
    defaultOutbound: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Agent' });

const versionView = z
  .object({
    agentId: z.uuid(),
    version: z.number().int(),
    config: agentConfigSchema,
    note: z.string().nullable(),
    sourceVersion: z.number().int().nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'AgentVersion' });

const name = z.string().trim().min(1).max(100);
const description = z.string().max(2000).nullable();

const viewAgent = (a: Agent) => {
  const { workspaceId: _w, ...rest } = a;
  return json(rest);
};
const viewVersion = (v: AgentVersion) => {
  const { workspaceId: _w, ...rest } = v;
  return json({ ...rest, config: v.config as AgentConfig });
};

/** Validation errors from the repository name fields under the request body. */
async function inBody<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && e.code === 'validation_failed') {
      throw new AppError('validation_failed', e.message, {
        details: e.details.map((d) => ({
          ...d,
          path: d.path.startsWith('config') ? `body.${d.path}` : d.path,
        })),
      });
    }
    throw e;
  }
}

export const agentRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { store } = deps;
    const tags = ['agents'];

    app.get(
      '/agents',
      {
        schema: {
          tags,
          summary: 'List agents',
          querystring: z.strictObject({
            ...pageQuery,
            name: z.string().max(100).optional().describe('substring of the name, case-insensitive'),
            default: z.enum(['inbound', 'outbound']).optional(),
          }),
          response: { 200: page(agentView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.agents.list(ws(req), { ...req.query, isDefault: req.query.default });
        return { data: r.data.map(viewAgent), nextCursor: r.nextCursor };
      },
    );

    app.post(
      '/agents',
      {
        schema: {
          tags,
          summary: 'Create an agent',
          description:
            'Creates the agent with its draft configuration; `publish: true` also publishes version 1.',
          body: z.strictObject({
            name,
            description: description.optional(),
            config: agentConfigSchema.optional(),
            defaultInbound: z.boolean().optional(),
            defaultOutbound: z.boolean().optional(),
            publish: z.boolean().optional(),
          }),
          response: { 201: agentView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const a = await inBody(() => store.agents.create(ws(req), req.body, req.auth?.userId));
        return reply.status(201).send(viewAgent(a));
      },
    );

    app.get(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Get an agent',
          params: idParams,
          response: { 200: agentView, ...stdErrors },
        },
      },
      async (req) => viewAgent(await store.agents.get(ws(req), req.params.id)),
    );

    app.patch(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Edit an agent',
          description:
            'Updates only the fields given. `config` is merged into the draft: objects merge key by key, arrays ' +
            'replace, null removes an optional field. Calls keep using the published version until you publish.',
          params: idParams,
          body: z.strictObject({
            name: name.optional(),
            description: description.optional(),
            config: z.record(z.string(), z.unknown()).optional().describe('partial AgentConfig'),
            defaultInbound: z.boolean().optional(),
            defaultOutbound: z.boolean().optional(),
          }),
          response: { 200: agentView, ...stdErrors },
        },
      },
      async (req) => viewAgent(await inBody(() => store.agents.update(ws(req), req.params.id, req.body))),
    );

    app.delete(
      '/agents/:id',
      {
        schema: {
          tags,
          summary: 'Delete an agent',
          params: idParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        await store.agents.delete(ws(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/agents/:id/publish',
      {
        schema: {
          tags,
          summary: 'Publish the draft',
          description: 'Freezes the draft into a new immutable version. The next call uses it; no restart.',
          params: idParams,
          body: z.strictObject({ note: z.string().max(500).optional() }).nullish(),
          response: { 201: versionView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const v = await inBody(() =>
          store.agents.publish(ws(req), req.params.id, { note: req.body?.note, userId: req.auth?.userId }),
        );
        return reply.status(201).send(viewVersion(v));
      },
    );

    app.post(
      '/agents/:id/rollback',
      {
        schema: {
          tags,
          summary: 'Roll back to an earlier version',
          description: 'Publishes a copy of the given version as the newest one; the draft follows.',
          params: idParams,
          body: z.strictObject({ version: z.number().int().min(1), note: z.string().max(500).optional() }),
          response: { 201: versionView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const v = await store.agents.rollback(ws(req), req.params.id, req.body.version, {
          note: req.body.note,
          userId: req.auth?.userId,
        });
        return reply.status(201).send(viewVersion(v));
      },
    );

    app.get(
      '/agents/:id/versions',
      {
        schema: {
          tags,
          summary: 'List published versions, newest first',
          params: idParams,
          querystring: z.strictObject(pageQuery),
          response: { 200: page(versionView), ...stdErrors },
        },
      },
      async (req) => {
        const r = await store.agents.listVersions(ws(req), req.params.id, req.query);
        return { data: r.data.map(viewVersion), nextCursor: r.nextCursor };
      },
    );

    app.get(
      '/agents/:id/versions/:version',
      {
        schema: {
          tags,
          summary: 'Get one published version',
          params: z.strictObject({ id: z.uuid(), version: z.coerce.number().int().min(1) }),
          response: { 200: versionView, ...stdErrors },
        },
      },
      async (req) => viewVersion(await store.agents.getVersion(ws(req), req.params.id, req.params.version)),
    );
  };
