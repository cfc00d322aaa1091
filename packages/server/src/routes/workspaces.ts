import { AppError, notFound } from '@switchboard/core';
import { ROLES } from '@switchboard/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { roleAtLeast, ws } from '../plugins/auth.js';
import { json, stdErrors, timestamp } from '../schemas.js';

const workspaceView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES).optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Workspace' });
const memberView = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(ROLES),
    createdAt: timestamp,
  })
  .meta({ id: 'User' });
const userParams = z.strictObject({ userId: z.uuid() });

export const workspaceRoutes =
  ({ store }: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['workspaces'];

    app.get(
      '/workspaces',
      {
        schema: {
          tags,
          summary: 'Workspaces you can use',
          description: 'With an API key: its own workspace. With a session: every workspace you belong to.',
          response: { 200: z.object({ data: z.array(workspaceView) }), ...stdErrors },
        },
      },
      async (req) => {
        if (req.auth?.kind === 'session' && req.auth.userId) {
          return { data: json(await store.accounts.listWorkspacesForUser(req.auth.userId)) };
        }
        return { data: [json({ ...(await store.accounts.getWorkspace(ws(req))), role: req.auth!.role })] };
      },
    );

    app.post(
      '/workspaces',
      {
        config: { auth: 'session' },
        schema: {
          tags,
          summary: 'Create a workspace (you become its owner)',
          body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
          response: { 201: workspaceView, ...stdErrors },
        },
      },
      async (req, reply) => {
        const w = await store.accounts.createWorkspace(req.body.name);
        const me = await store.accounts.getMember(ws(req), req.auth!.userId!);
        await store.accounts.addMember(w.id, { email: me.email, role: 'owner' });
        return reply.status(201).send(json({ ...w, role: 'owner' as const }));
      },
    );

    app.get(
      '/workspaces/:id',
      {
        schema: {
          tags,
          summary: 'Get a workspace',
          params: z.strictObject({ id: z.uuid() }),
          response: { 200: workspaceView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.params.id !== ws(req)) throw notFound('workspace', req.params.id);
        return json({ ...(await store.accounts.getWorkspace(req.params.id)), role: req.auth!.role });
      },
    );

    app.patch(
      '/workspaces/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags,
          summary: 'Rename a workspace',
          params: z.strictObject({ id: z.uuid() }),
          body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
          response: { 200: workspaceView, ...stdErrors },
        },
      },
      async (req) => {
        if (req.params.id !== ws(req)) throw notFound('workspace', req.params.id);
        return json({
          ...(await store.accounts.renameWorkspace(req.params.id, req.body.name)),
          role: req.auth!.role,
        });
      },
    );

    const users = ['users'];
    app.get(
      '/users',
      {
        schema: {
          tags: users,
          summary: 'Members of the workspace',
          response: { 200: z.object({ data: z.array(memberView) }), ...stdErrors },
        },
      },
      async (req) => ({ data: json(await store.accounts.listMembers(ws(req))) }),
    );

    app.post(
      '/users',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: 'Add a member',
          description: 'Creates the user if the email is new. Only an owner can add another owner.',
          body: z.strictObject({
            email: z.email(),
            name: z.string().max(200).optional(),
            password: z.string().min(12).max(200).optional(),
            role: z.enum(ROLES),
          }),
          response: { 201: memberView, ...stdErrors },
        },
      },
      async (req, reply) => {
        if (req.body.role === 'owner' && !roleAtLeast(req.auth!.role, 'owner')) {
          throw new AppError('forbidden', 'only an owner can add an owner');
        }
        return reply.status(201).send(json(await store.accounts.addMember(ws(req), req.body)));
      },
    );

    app.patch(
      '/users/:userId',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: "Change a member's role",
          params: userParams,
          body: z.strictObject({ role: z.enum(ROLES) }),
          response: { 200: memberView, ...stdErrors },
        },
      },
      async (req) => {
        const target = await store.accounts.getMember(ws(req), req.params.userId);
        if ((target.role === 'owner' || req.body.role === 'owner') && !roleAtLeast(req.auth!.role, 'owner')) {
          throw new AppError('forbidden', 'only an owner can grant or take away the owner role');
        }
        if (
          target.role === 'owner' &&
          req.body.role !== 'owner' &&
          (await store.accounts.countOwners(ws(req))) <= 1
        ) {
          throw new AppError('conflict', 'a workspace needs at least one owner');
        }
        return json(await store.accounts.setRole(ws(req), req.params.userId, req.body.role));
      },
    );

    app.delete(
      '/users/:userId',
      {
        config: { role: 'admin' },
        schema: {
          tags: users,
          summary: 'Remove a member',
          params: userParams,
          response: { 204: z.null(), ...stdErrors },
        },
      },
      async (req, reply) => {
        const target = await store.accounts.getMember(ws(req), req.params.userId);
        if (target.role === 'owner') {
          if (!roleAtLeast(req.auth!.role, 'owner'))
            throw new AppError('forbidden', 'only an owner can remove an owner');
          if ((await store.accounts.countOwners(ws(req))) <= 1)
            throw new AppError('conflict', 'a workspace needs at least one owner');
        }
        await store.accounts.removeMember(ws(req), req.params.userId);
        return reply.status(204).send(null);
      },
    );
  };
